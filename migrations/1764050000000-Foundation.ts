import { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts, sessions, communities, memberships and the event outbox. */
export class Foundation1764050000000 implements MigrationInterface {
  name = 'Foundation1764050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(254) NOT NULL,
        display_name varchar(50) NOT NULL,
        avatar_url varchar(2000),
        password_hash varchar(200),
        is_platform_admin boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`);

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        access_token_hash char(64) NOT NULL,
        access_expires_at timestamptz NOT NULL,
        refresh_expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_refreshed_at timestamptz,
        revoked_at timestamptz,
        revoked_reason varchar(32),
        user_agent varchar(300),
        ip varchar(64)
      )`);
    await q.query(`CREATE UNIQUE INDEX sessions_access_token_key ON sessions (access_token_hash)`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (user_id)`);

    // Every refresh token ever issued for a session (its family); a used one is rotated.
    await q.query(`
      CREATE TABLE refresh_tokens (
        token_hash char(64) PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        rotated_at timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);

    await q.query(`
      CREATE TABLE communities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug varchar(40) NOT NULL,
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX communities_slug_key ON communities (slug)`);

    await q.query(`
      CREATE TABLE memberships (
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(16) NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'staff', 'moderator', 'admin')),
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (community_id, user_id)
      )`);
    await q.query(`CREATE INDEX memberships_user_idx ON memberships (user_id)`);
    await q.query(`CREATE INDEX memberships_list_idx ON memberships (community_id, joined_at, user_id)`);
    await q.query(`CREATE INDEX memberships_role_idx ON memberships (community_id, role, joined_at, user_id)`);

    await q.query(`
      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        type varchar(100) NOT NULL,
        community_id uuid,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX events_community_idx ON events (community_id, id)`);
    await q.query(`
      CREATE TABLE event_deliveries (
        event_id bigint NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        consumer varchar(100) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        done_at timestamptz,
        PRIMARY KEY (event_id, consumer)
      )`);
    await q.query(`CREATE INDEX event_deliveries_due_idx ON event_deliveries (event_id) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_deliveries, events, memberships, communities, refresh_tokens, sessions, users`);
  }
}
