import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { RecoveryErrors } from './recovery.errors';

export type AccountTokenPurpose = 'password_reset' | 'email_verification';

export interface AccountTokenRow {
  user_id: string;
  email: string;
  expires_at: Date;
  used_at: Date | null;
}

/** Refuses a token that is unknown, used or past its time (in that order). */
export function assertUsableToken(row: AccountTokenRow | null, now: Date, kind: 'reset' | 'verification'): asserts row is AccountTokenRow {
  if (!row) throw RecoveryErrors.invalidToken(kind);
  if (row.used_at) throw RecoveryErrors.tokenUsed(kind);
  if (new Date(row.expires_at).getTime() <= now.getTime()) throw RecoveryErrors.tokenExpired(kind);
}

/** The SQL of `account_tokens`: single-use emailed tokens, stored as their SHA-256 only. */
@Injectable()
export class AccountTokensRepository {
  constructor(private readonly db: Db) {}

  /**
   * One statement whether or not the account exists (the password-reset request must cost the same
   * either way): a token row for the live account holding `email` (compared without case), if any.
   * Also clears that account's tokens of this purpose that ended more than a day ago.
   */
  async issueForEmail(email: string, tokenHash: string, purpose: AccountTokenPurpose, now: Date, expiresAt: Date): Promise<{ user_id: string; email: string } | null> {
    const [row] = await this.db.query<{ user_id: string; email: string }>(
      `WITH account AS (SELECT id, email FROM users WHERE lower(email) = $1 AND deleted_at IS NULL),
            cleared AS (
              DELETE FROM account_tokens t USING account a
               WHERE t.user_id = a.id AND t.purpose = $3 AND coalesce(t.used_at, t.expires_at) < $4::timestamptz - interval '1 day'
            )
       INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at, created_at)
       SELECT $2, id, $3, email, $5, $4 FROM account
       RETURNING user_id, email`,
      [email, tokenHash, purpose, now, expiresAt],
    );
    return row ?? null;
  }

  async issueForUser(userId: string, email: string, tokenHash: string, purpose: AccountTokenPurpose, now: Date, expiresAt: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [tokenHash, userId, purpose, email, expiresAt, now],
    );
  }

  async find(tokenHash: string, purpose: AccountTokenPurpose, forUpdate = false): Promise<AccountTokenRow | null> {
    const [row] = await this.db.query<AccountTokenRow>(
      `SELECT user_id, email, expires_at, used_at FROM account_tokens WHERE token_hash = $1 AND purpose = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [tokenHash, purpose],
    );
    return row ?? null;
  }

  /** Uses this token and ends the account's other unused ones of the same purpose (an older link must not work after a newer one did). */
  async useAll(userId: string, purpose: AccountTokenPurpose, now: Date): Promise<void> {
    await this.db.query(`UPDATE account_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, [userId, purpose, now]);
  }

  async deleteAllOf(userId: string): Promise<void> {
    await this.db.query(`DELETE FROM account_tokens WHERE user_id = $1`, [userId]);
  }
}
