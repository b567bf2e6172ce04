import { MigrationInterface, QueryRunner } from 'typeorm';

/** When each session was last used, for the member's list of their sessions (devices). */
export class SessionActivity1764090000000 implements MigrationInterface {
  name = 'SessionActivity1764090000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sessions ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`UPDATE sessions SET last_used_at = coalesce(last_refreshed_at, created_at)`);
    await q.query(`CREATE INDEX sessions_user_live_idx ON sessions (user_id, created_at DESC, id DESC) WHERE revoked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sessions_user_live_idx`);
    await q.query(`ALTER TABLE sessions DROP COLUMN last_used_at`);
  }
}
