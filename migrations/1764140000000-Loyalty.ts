import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Loyalty (issue 15): per-community rules, one account per member per community, the append-only
 * ledger, rewards with their coupon codes, redemptions and the redemption idempotency keys.
 *
 * The account row carries the figures the ledger adds up to; its CHECKs make the two invariants
 * the database's own (balance never below zero; lifetime = balance + pending + spent + expired +
 * reversed), so a bug fails the write instead of leaving drift.
 */
export class Loyalty1764140000000 implements MigrationInterface {
  name = 'Loyalty1764140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE loyalty_rules (
        community_id uuid PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
        rules jsonb NOT NULL DEFAULT '{}'::jsonb,
        updated_by uuid REFERENCES users(id) ON DELETE SET NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE loyalty_accounts (
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        balance int NOT NULL DEFAULT 0 CHECK (balance >= 0),
        pending int NOT NULL DEFAULT 0 CHECK (pending >= 0),
        lifetime_earned int NOT NULL DEFAULT 0,
        spent int NOT NULL DEFAULT 0 CHECK (spent >= 0),
        expired int NOT NULL DEFAULT 0 CHECK (expired >= 0),
        reversed int NOT NULL DEFAULT 0 CHECK (reversed >= 0),
        tier varchar(50),
        last_activity_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (community_id, user_id),
        CONSTRAINT loyalty_accounts_identity CHECK (lifetime_earned = balance + pending + spent + expired + reversed)
      )`);
    await q.query(`CREATE INDEX loyalty_accounts_expiry_idx ON loyalty_accounts (community_id, last_activity_at) WHERE balance > 0`);

    await q.query(`
      CREATE TABLE loyalty_entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigserial NOT NULL,
        community_id uuid NOT NULL,
        user_id uuid NOT NULL,
        kind varchar(16) NOT NULL CHECK (kind IN ('earn', 'reversal', 'redemption', 'adjustment', 'expiry')),
        rule varchar(40) NOT NULL,
        source_key varchar(200) NOT NULL,
        source_event_id bigint,
        reason varchar(500) NOT NULL DEFAULT '',
        points int NOT NULL,
        requested_points int,
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'approved', 'cancelled')),
        reverses_entry_id uuid REFERENCES loyalty_entries(id),
        cause varchar(32),
        thread_id uuid,
        post_id uuid,
        approve_at timestamptz,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL,
        FOREIGN KEY (community_id, user_id) REFERENCES loyalty_accounts (community_id, user_id) ON DELETE CASCADE,
        CONSTRAINT loyalty_entries_once UNIQUE (community_id, user_id, rule, source_key)
      )`);
    await q.query(`CREATE UNIQUE INDEX loyalty_entries_seq_key ON loyalty_entries (seq)`);
    // An entry is reversed (or its cancellation recorded) at most once.
    await q.query(`CREATE UNIQUE INDEX loyalty_entries_reverses_key ON loyalty_entries (reverses_entry_id) WHERE reverses_entry_id IS NOT NULL`);
    await q.query(`CREATE INDEX loyalty_entries_ledger_idx ON loyalty_entries (community_id, user_id, seq)`);
    await q.query(`CREATE INDEX loyalty_entries_due_idx ON loyalty_entries (approve_at, community_id, user_id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX loyalty_entries_member_due_idx ON loyalty_entries (community_id, user_id, approve_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX loyalty_entries_day_idx ON loyalty_entries (community_id, user_id, created_at) WHERE kind = 'earn'`);
    await q.query(`CREATE INDEX loyalty_entries_post_idx ON loyalty_entries (community_id, post_id) WHERE post_id IS NOT NULL`);
    await q.query(`CREATE INDEX loyalty_entries_thread_idx ON loyalty_entries (community_id, thread_id) WHERE thread_id IS NOT NULL`);
    await q.query(`CREATE INDEX loyalty_entries_board_idx ON loyalty_entries (community_id, created_at) WHERE status = 'approved' AND kind IN ('earn', 'reversal', 'adjustment')`);

    await q.query(`
      CREATE TABLE loyalty_rewards (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        cost int NOT NULL CHECK (cost > 0),
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX loyalty_rewards_community_idx ON loyalty_rewards (community_id, created_at, id)`);
    await q.query(`
      CREATE TABLE loyalty_reward_codes (
        id bigserial PRIMARY KEY,
        reward_id uuid NOT NULL REFERENCES loyalty_rewards(id) ON DELETE CASCADE,
        code varchar(200) NOT NULL,
        redemption_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT loyalty_reward_codes_once UNIQUE (reward_id, code)
      )`);
    // A code goes to one redemption at most.
    await q.query(`CREATE UNIQUE INDEX loyalty_reward_codes_redemption_key ON loyalty_reward_codes (redemption_id) WHERE redemption_id IS NOT NULL`);
    await q.query(`CREATE INDEX loyalty_reward_codes_free_idx ON loyalty_reward_codes (reward_id, id) WHERE redemption_id IS NULL`);

    await q.query(`
      CREATE TABLE loyalty_redemptions (
        id uuid PRIMARY KEY,
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        reward_id uuid NOT NULL REFERENCES loyalty_rewards(id),
        entry_id uuid NOT NULL REFERENCES loyalty_entries(id),
        points int NOT NULL,
        code varchar(200) NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX loyalty_redemptions_member_idx ON loyalty_redemptions (community_id, user_id, created_at, id)`);
    await q.query(`CREATE INDEX loyalty_redemptions_community_idx ON loyalty_redemptions (community_id, created_at, id)`);

    // Idempotency-Key of redemptions, per member: the first answer (status and body) is kept.
    await q.query(`
      CREATE TABLE loyalty_idempotency_keys (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        key varchar(200) NOT NULL,
        request_hash char(64) NOT NULL,
        status int NOT NULL,
        body jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, key)
      )`);
    await q.query(`CREATE INDEX loyalty_idempotency_keys_age_idx ON loyalty_idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE loyalty_idempotency_keys, loyalty_redemptions, loyalty_reward_codes, loyalty_rewards, loyalty_entries, loyalty_accounts, loyalty_rules`);
  }
}
