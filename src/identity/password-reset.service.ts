import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { AccountTokensRepository, assertUsableToken } from './account-tokens.repository';
import { IdentityErrors } from './identity.errors';
import { hashPassword, normalizeEmail } from './identity.service';
import { passwordProblem } from './password-policy';
import { RecoveryClock } from './recovery.clock';
import { RecoveryErrors } from './recovery.errors';
import { RecoveryMail } from './recovery-mail';
import { ClientInfo, SessionsService } from './sessions.service';
import { hashToken } from './tokens';

/**
 * "Forgot my password": an emailed single-use link (valid PASSWORD_RESET_TTL_MINUTES) that sets a new
 * password and ends every session of the account. Accounts without a password (store single sign-on)
 * can set one this way. The request answers 202 whatever the email, after the same work.
 */
@Injectable()
export class PasswordResetService {
  private readonly perIp: Limiter;
  private readonly perEmail: Limiter;
  private readonly ttlMs: number;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    rateLimits: RateLimitService,
    private readonly tokens: AccountTokensRepository,
    private readonly sessions: SessionsService,
    private readonly events: EventsService,
    private readonly mail: RecoveryMail,
    private readonly clock: RecoveryClock,
  ) {
    this.perIp = rateLimits.limiter({ name: 'password-reset-ip', points: config.passwordResetsPerIpPerHour, durationSeconds: 3600 });
    this.perEmail = rateLimits.limiter({ name: 'password-reset-email', points: config.passwordResetsPerEmailPerHour, durationSeconds: 3600 });
    this.ttlMs = config.passwordResetTtlMinutes * 60_000;
  }

  /**
   * Known and unknown emails take the same path: the same limits (keyed by what was typed), a token
   * made and hashed, and one INSERT ... SELECT that writes a row only for a live account. The email
   * goes out in the background, so the answer does not wait on the mail server either.
   */
  async request(email: string, client: ClientInfo): Promise<void> {
    const key = normalizeEmail(email);
    await this.perIp.consume(client.ip, 'Too many password reset requests from this address, try again later');
    await this.perEmail.consume(key, 'Too many password reset requests for this email, try again later');
    const token = `hpr_${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    const issued = await this.tokens.issueForEmail(key, hashToken(token), 'password_reset', now, new Date(now.getTime() + this.ttlMs));
    if (!issued) return;
    const link = `${this.config.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
    const minutes = this.config.passwordResetTtlMinutes;
    this.mail.sendLater(
      {
        to: issued.email,
        subject: 'Reset your password',
        text:
          `Someone (hopefully you) asked to reset the password of your account.\n\n` +
          `Choose a new password here (the link works once, for ${minutes} minutes):\n${link}\n\n` +
          `If you did not ask for this, ignore this email: your password stays as it is.\n`,
      },
      'password_reset',
    );
  }

  /**
   * Sets the password (same policy as sign-up), uses the token (and any older one), ends every session
   * and records user.password_reset, in one transaction. Following the link also proves the email.
   */
  async confirm(token: string, password: string): Promise<void> {
    const tokenHash = hashToken(token);
    const found = await this.tokens.find(tokenHash, 'password_reset');
    assertUsableToken(found, this.clock.now(), 'reset');
    const problem = passwordProblem(password, found.email);
    if (problem) throw IdentityErrors.weakPassword(problem);
    const passwordHash = await hashPassword(password);
    await this.db.transaction(async () => {
      const now = this.clock.now();
      const row = await this.tokens.find(tokenHash, 'password_reset', true);
      assertUsableToken(row, now, 'reset'); // a concurrent confirm of the same link loses here
      const { affected } = await this.db.execute(
        `UPDATE users SET password_hash = $2, email_verified_at = coalesce(email_verified_at, $4)
          WHERE id = $1 AND deleted_at IS NULL AND lower(email) = lower($3)`,
        [row.user_id, passwordHash, row.email, now],
      );
      // The account's email changed (or it was deleted) since the link was sent.
      if (!affected) throw RecoveryErrors.invalidToken('reset');
      await this.tokens.useAll(row.user_id, 'password_reset', now);
      await this.sessions.revokeAllBut(row.user_id, null, 'password_reset');
      await this.events.record('user.password_reset', { userId: row.user_id });
    });
  }
}
