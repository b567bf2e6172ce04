import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Actor } from '../core/auth/actor';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { AccountTokensRepository, assertUsableToken } from './account-tokens.repository';
import { IdentityErrors } from './identity.errors';
import { RecoveryClock } from './recovery.clock';
import { RecoveryErrors } from './recovery.errors';
import { RecoveryMail } from './recovery-mail';
import { hashToken } from './tokens';

/** A verification link works for a week (a new one can be asked for from the account). */
export const VERIFICATION_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Email verification: a link emailed at sign-up (and again on request) that marks the account's email
 * verified. Unverified accounts may read and post (as Discourse lets new users in before they confirm,
 * with its new-user limits: ours come from moderation's trust rules); the flag is for features that
 * send mail or trust the address. Accounts from store single sign-on, the admin from ADMIN_EMAIL and
 * accounts that existed before this feature count as verified.
 */
@Injectable()
export class EmailVerificationService {
  private readonly resends: Limiter;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    rateLimits: RateLimitService,
    private readonly tokens: AccountTokensRepository,
    private readonly mail: RecoveryMail,
    private readonly clock: RecoveryClock,
  ) {
    this.resends = rateLimits.limiter({ name: 'verify-email-resend', points: config.passwordResetsPerEmailPerHour, durationSeconds: 3600 });
  }

  /** A new token for the account's email, emailed once the caller's transaction commits (call it inside one). */
  async issue(userId: string, email: string): Promise<void> {
    const token = `hev_${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    await this.tokens.issueForUser(userId, email, hashToken(token), 'email_verification', now, new Date(now.getTime() + VERIFICATION_TTL_MS));
    // The web page (src/web) verifies and says so; the API's GET /auth/verify-email does the same for clients.
    const link = `${this.config.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
    this.db.afterCommit(() =>
      this.mail.sendLater(
        {
          to: email,
          subject: 'Confirm your email address',
          text: `Welcome! Confirm that this address is yours by opening this link (it works once, for 7 days):\n${link}\n\nIf you did not sign up, ignore this email.\n`,
        },
        'email_verification',
      ),
    );
  }

  /** POST /me/verify-email: another link, at most PASSWORD_RESETS_PER_EMAIL_PER_HOUR an hour. */
  async resend(actor: Actor): Promise<void> {
    const [user] = await this.db.query<{ email: string; email_verified_at: Date | null }>(
      'SELECT email, email_verified_at FROM users WHERE id = $1 AND deleted_at IS NULL',
      [actor.userId],
    );
    if (!user) throw IdentityErrors.userNotFound();
    if (user.email_verified_at) throw RecoveryErrors.alreadyVerified();
    await this.resends.consume(actor.userId, 'Too many verification emails, try again later');
    await this.db.transaction(() => this.issue(actor.userId, user.email));
  }

  /** Marks the email verified if the token is good and the account still has the address it was sent to. */
  async verify(token: string): Promise<void> {
    const tokenHash = hashToken(token);
    await this.db.transaction(async () => {
      const now = this.clock.now();
      const row = await this.tokens.find(tokenHash, 'email_verification', true);
      assertUsableToken(row, now, 'verification');
      const { affected } = await this.db.execute(
        `UPDATE users SET email_verified_at = coalesce(email_verified_at, $3) WHERE id = $1 AND deleted_at IS NULL AND lower(email) = lower($2)`,
        [row.user_id, row.email, now],
      );
      if (!affected) throw RecoveryErrors.invalidToken('verification');
      await this.tokens.useAll(row.user_id, 'email_verification', now);
    });
  }
}
