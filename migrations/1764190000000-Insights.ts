import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Insights (issue 17): tables derived from the outbox events (rebuildable at any time with
 * `npm run insights:rebuild`), plus the satisfaction ratings, which are insights' own source data.
 *
 * - insights_seen_events: the ids of the events the `insights` consumer has applied: its primary key
 *   makes a redelivered event a no-op (at-least-once delivery), in the same statement as the check.
 * - insights_profiles: per member per community counters; segment and churn risk from the daily job.
 * - insights_activity: one row per member per active day (actions and contribution that day).
 * - insights_daily / insights_daily_keys: per community per day aggregates (and SKU / tag mentions),
 *   so the dashboard reads at most a few hundred small rows and never scans posts.
 * - insights_questions / insights_support: what satisfaction ratings need to know about a question
 *   (asker, first staff answer) and a support room (customer, closed), from the events.
 * No foreign keys: the rows are derived from events, which may name users or rooms later anonymised.
 */
export class Insights1764190000000 implements MigrationInterface {
  name = 'Insights1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE insights_seen_events (
        event_id bigint PRIMARY KEY
      )`);

    await q.query(`
      CREATE TABLE insights_profiles (
        community_id uuid NOT NULL,
        user_id uuid NOT NULL,
        role text,
        role_event_id bigint,
        joined_at timestamptz,
        threads int NOT NULL DEFAULT 0,
        replies int NOT NULL DEFAULT 0,
        questions int NOT NULL DEFAULT 0,
        answers int NOT NULL DEFAULT 0,
        accepted_answers int NOT NULL DEFAULT 0,
        official_answers int NOT NULL DEFAULT 0,
        reactions_given int NOT NULL DEFAULT 0,
        reactions_received int NOT NULL DEFAULT 0,
        votes_cast int NOT NULL DEFAULT 0,
        chat_messages int NOT NULL DEFAULT 0,
        support_requests int NOT NULL DEFAULT 0,
        posts_removed int NOT NULL DEFAULT 0,
        points_earned int NOT NULL DEFAULT 0,
        points_reversed int NOT NULL DEFAULT 0,
        points_redeemed int NOT NULL DEFAULT 0,
        tier text,
        tier_event_id bigint,
        orders int NOT NULL DEFAULT 0,
        refunds int NOT NULL DEFAULT 0,
        ratings int NOT NULL DEFAULT 0,
        first_active_at timestamptz,
        last_active_at timestamptz,
        segment char(1) NOT NULL DEFAULT 'C',
        churn_risk boolean NOT NULL DEFAULT false,
        churn_reason text,
        segment_computed_at timestamptz,
        PRIMARY KEY (community_id, user_id)
      )`);
    await q.query(`CREATE INDEX insights_profiles_segment_idx ON insights_profiles (community_id, segment, user_id)`);

    await q.query(`
      CREATE TABLE insights_activity (
        community_id uuid NOT NULL,
        user_id uuid NOT NULL,
        day date NOT NULL,
        actions int NOT NULL,
        contribution int NOT NULL,
        PRIMARY KEY (community_id, user_id, day)
      )`);
    await q.query(`CREATE INDEX insights_activity_day_idx ON insights_activity (community_id, day) INCLUDE (user_id, contribution)`);

    await q.query(`
      CREATE TABLE insights_daily (
        community_id uuid NOT NULL,
        day date NOT NULL,
        new_members int NOT NULL DEFAULT 0,
        threads int NOT NULL DEFAULT 0,
        replies int NOT NULL DEFAULT 0,
        questions int NOT NULL DEFAULT 0,
        staff_answers int NOT NULL DEFAULT 0,
        chat_messages int NOT NULL DEFAULT 0,
        support_requests int NOT NULL DEFAULT 0,
        points_issued int NOT NULL DEFAULT 0,
        points_redeemed int NOT NULL DEFAULT 0,
        ratings int NOT NULL DEFAULT 0,
        ratings_positive int NOT NULL DEFAULT 0,
        dau int NOT NULL DEFAULT 0,
        wau int,
        mau int,
        segment_a int,
        segment_b int,
        segment_c int,
        PRIMARY KEY (community_id, day)
      )`);

    await q.query(`
      CREATE TABLE insights_daily_keys (
        community_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('sku', 'tag')),
        day date NOT NULL,
        key text NOT NULL,
        n int NOT NULL,
        PRIMARY KEY (community_id, kind, day, key)
      )`);

    await q.query(`
      CREATE TABLE insights_communities (
        community_id uuid PRIMARY KEY,
        rolled_until date,
        dirty_from date,
        core_threshold int,
        segments_day date
      )`);

    await q.query(`
      CREATE TABLE insights_questions (
        thread_id uuid PRIMARY KEY,
        community_id uuid NOT NULL,
        board_id uuid NOT NULL,
        asker_id uuid NOT NULL,
        product_skus text[] NOT NULL DEFAULT '{}',
        asked_at timestamptz NOT NULL,
        answered_at timestamptz,
        staff_id uuid,
        deleted boolean NOT NULL DEFAULT false
      )`);

    await q.query(`
      CREATE TABLE insights_support (
        room_id uuid PRIMARY KEY,
        community_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        staff_id uuid,
        closed_at timestamptz
      )`);

    await q.query(`
      CREATE TABLE insights_ratings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL,
        user_id uuid NOT NULL,
        thread_id uuid,
        room_id uuid,
        score int NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment text,
        board_id uuid,
        product_skus text[] NOT NULL DEFAULT '{}',
        staff_id uuid,
        created_at timestamptz NOT NULL,
        CHECK ((thread_id IS NULL) <> (room_id IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX insights_ratings_thread_uq ON insights_ratings (thread_id, user_id) WHERE thread_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX insights_ratings_room_uq ON insights_ratings (room_id, user_id) WHERE room_id IS NOT NULL`);
    await q.query(`CREATE INDEX insights_ratings_community_idx ON insights_ratings (community_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE insights_ratings, insights_support, insights_questions, insights_communities, insights_daily_keys, insights_daily, insights_activity, insights_profiles, insights_seen_events`,
    );
  }
}
