import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account recovery and the member's own data (issue 20, items 3 and 4): verified emails, deleted
 * (anonymised) accounts, single-use tokens for password resets and email verification (only their
 * SHA-256 is stored), and the indexes the data export walks (each member's content by author, in
 * time order; without them each page of an export would scan the whole table).
 */
export class AccountRecovery1764180000000 implements MigrationInterface {
  name = 'AccountRecovery1764180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await q.query(`ALTER TABLE users ADD COLUMN deleted_at timestamptz`);
    // Accounts made before verification existed are treated as verified (nobody could have verified them).
    await q.query(`UPDATE users SET email_verified_at = created_at`);

    await q.query(`
      CREATE TABLE account_tokens (
        token_hash char(64) PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose varchar(24) NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
        email varchar(254) NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose) WHERE used_at IS NULL`);
    await q.query(`CREATE INDEX account_tokens_expiry_idx ON account_tokens (expires_at)`);

    // GET /me/export reads each of these by author, page by page, oldest first.
    await q.query(`CREATE INDEX threads_author_export_idx ON threads (author_id, created_at, id)`);
    await q.query(`CREATE INDEX posts_author_export_idx ON posts (author_id, created_at, id)`);
    await q.query(`CREATE INDEX post_reactions_user_idx ON post_reactions (user_id, created_at, post_id, kind)`);
    await q.query(`CREATE INDEX post_votes_user_idx ON post_votes (user_id, created_at, post_id)`);
    await q.query(`CREATE INDEX chat_messages_author_idx ON chat_messages (author_id, created_at, id)`);
    await q.query(`CREATE INDEX loyalty_entries_user_idx ON loyalty_entries (user_id, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const index of ['loyalty_entries_user_idx', 'chat_messages_author_idx', 'post_votes_user_idx', 'post_reactions_user_idx', 'posts_author_export_idx', 'threads_author_export_idx']) {
      await q.query(`DROP INDEX ${index}`);
    }
    await q.query(`DROP TABLE account_tokens`);
    await q.query(`ALTER TABLE users DROP COLUMN deleted_at`);
    await q.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
