import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Moderation (issue 14): review items (one per target, Discourse's reviewable), the reports behind
 * them, automod rules, sanctions and the append-only audit log. Two columns on the threads module's
 * tables, which its code reads: posts.queued (a post held for review: also hidden, so every existing
 * filter and the search triggers leave it out) and threads.hidden (the thread's first post is hidden or
 * queued: the thread leaves board lists and is read only by its author and moderators).
 */
export class Moderation1764130000000 implements MigrationInterface {
  name = 'Moderation1764130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE posts ADD COLUMN queued boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE threads ADD COLUMN hidden boolean NOT NULL DEFAULT false`);

    await q.query(`
      CREATE TABLE moderation_rules (
        community_id uuid PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
        watched_words jsonb NOT NULL DEFAULT '[]'::jsonb,
        queue_new_member_first_post boolean NOT NULL DEFAULT false,
        updated_by uuid REFERENCES users(id),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE review_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        type varchar(24) NOT NULL CHECK (type IN ('flagged_post', 'queued_post', 'flagged_user', 'flagged_message')),
        target_type varchar(16) NOT NULL CHECK (target_type IN ('post', 'user', 'message')),
        target_id uuid NOT NULL,
        target_author_id uuid REFERENCES users(id),
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'ignored')),
        score double precision NOT NULL DEFAULT 0,
        automod text[] NOT NULL DEFAULT '{}',
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        resolved_by uuid REFERENCES users(id),
        resolution varchar(16),
        note varchar(1000)
      )`);
    // One item per target: concurrent reports join the same row.
    await q.query(`CREATE UNIQUE INDEX review_items_target_key ON review_items (target_type, target_id)`);
    await q.query(`CREATE INDEX review_items_queue_idx ON review_items (community_id, status, score DESC, created_at, id)`);
    await q.query(`CREATE INDEX review_items_author_idx ON review_items (community_id, target_author_id, resolved_at) WHERE status = 'approved'`);

    await q.query(`
      CREATE TABLE reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        item_id uuid NOT NULL REFERENCES review_items(id) ON DELETE CASCADE,
        reporter_id uuid NOT NULL REFERENCES users(id),
        target_type varchar(16) NOT NULL,
        target_id uuid NOT NULL,
        reason varchar(16) NOT NULL CHECK (reason IN ('spam', 'abuse', 'off_topic', 'other')),
        note varchar(1000),
        weight double precision NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed', 'ignored')),
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz
      )`);
    // One open report per reporter per item (a thread's report and its first post's are one item).
    await q.query(`CREATE UNIQUE INDEX reports_open_key ON reports (item_id, reporter_id) WHERE status = 'open'`);
    await q.query(`CREATE INDEX reports_item_idx ON reports (item_id, created_at)`);
    await q.query(`CREATE INDEX reports_reporter_idx ON reports (community_id, reporter_id, status)`);

    await q.query(`
      CREATE TABLE sanctions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id),
        kind varchar(16) NOT NULL CHECK (kind IN ('warn', 'silence', 'suspend', 'ban')),
        reason varchar(1000) NOT NULL,
        until timestamptz,
        created_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        lifted_at timestamptz,
        lifted_by uuid REFERENCES users(id)
      )`);
    await q.query(`CREATE INDEX sanctions_active_idx ON sanctions (community_id, user_id) WHERE lifted_at IS NULL`);

    await q.query(`
      CREATE TABLE moderation_audit (
        id bigserial PRIMARY KEY,
        community_id uuid NOT NULL REFERENCES communities(id),
        actor_id uuid REFERENCES users(id),
        action varchar(48) NOT NULL,
        target_type varchar(16),
        target_id varchar(64),
        reason varchar(1000),
        before jsonb,
        after jsonb,
        source_event_id bigint UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX moderation_audit_community_idx ON moderation_audit (community_id, id DESC)`);
    // Append-only: no statement may change or remove an entry, whatever the code does.
    await q.query(`
      CREATE FUNCTION moderation_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'moderation_audit is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER moderation_audit_no_change BEFORE UPDATE OR DELETE ON moderation_audit
        FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only()`);
    await q.query(`
      CREATE TRIGGER moderation_audit_no_truncate BEFORE TRUNCATE ON moderation_audit
        FOR EACH STATEMENT EXECUTE FUNCTION moderation_audit_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE moderation_audit, sanctions, reports, review_items, moderation_rules`);
    await q.query(`DROP FUNCTION moderation_audit_append_only()`);
    await q.query(`ALTER TABLE threads DROP COLUMN hidden`);
    await q.query(`ALTER TABLE posts DROP COLUMN queued`);
  }
}
