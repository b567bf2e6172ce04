import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { Actor } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { AccountTokensRepository } from './account-tokens.repository';
import { IdentityErrors } from './identity.errors';
import { IdentityService } from './identity.service';
import { RecoveryClock } from './recovery.clock';
import { RecoveryErrors } from './recovery.errors';
import { SessionsService } from './sessions.service';

/** What an account without a password (store single sign-on) sends to confirm its deletion. */
export const DELETE_CONFIRMATION = 'DELETE';
/** Password attempts per account per 15 minutes (as many as log-ins from one address, see LoginThrottle). */
const ATTEMPTS_PER_WINDOW = 10;

/**
 * Deleting an account anonymises it rather than removing the row, so posts, votes and moderation
 * history keep their author id: the email becomes a unique undeliverable placeholder
 * (`deleted-<id>@deleted.invalid`, RFC 2606), the display name "deleted", the username (freed), bio, password,
 * avatar and verification are cleared, every session and emailed token ends, and `user.deleted` is recorded,
 * all in one transaction. Memberships are kept (the member lists then show "deleted"), so roles and
 * counts stay consistent; other modules forget the person from the event.
 */
@Injectable()
export class AccountDeletionService {
  private readonly attempts: Limiter;

  constructor(
    private readonly db: Db,
    rateLimits: RateLimitService,
    private readonly identity: IdentityService,
    private readonly sessions: SessionsService,
    private readonly tokens: AccountTokensRepository,
    private readonly events: EventsService,
    private readonly clock: RecoveryClock,
  ) {
    // Its own budget, not the log-in throttle's: someone holding a stolen access token could otherwise
    // lock the owner out of logging in by guessing here.
    this.attempts = rateLimits.limiter({ name: 'delete-account', points: ATTEMPTS_PER_WINDOW, durationSeconds: 15 * 60 });
  }

  async deleteAccount(actor: Actor, input: { password?: string; confirm?: string }): Promise<void> {
    const [row] = await this.db.query<{ password_hash: string | null }>(
      'SELECT password_hash FROM users WHERE id = $1 AND deleted_at IS NULL',
      [actor.userId],
    );
    if (!row) throw IdentityErrors.userNotFound();
    if (row.password_hash) {
      if (input.password === undefined) throw RecoveryErrors.passwordRequired();
      await this.attempts.consume(actor.userId, 'Too many password attempts, try again later');
      if (!(await argon2.verify(row.password_hash, input.password).catch(() => false))) throw RecoveryErrors.wrongPassword();
    } else if (input.confirm !== DELETE_CONFIRMATION) {
      throw RecoveryErrors.confirmationRequired();
    }
    await this.db.transaction(async () => {
      const { affected } = await this.db.execute(
        `UPDATE users
            SET email = 'deleted-' || id || '@deleted.invalid', display_name = 'deleted', avatar_url = NULL, avatar_file = NULL,
                username = NULL, username_changed_at = NULL, bio = '', password_hash = NULL, email_verified_at = NULL, deleted_at = $2
          WHERE id = $1 AND deleted_at IS NULL`,
        [actor.userId, this.clock.now()],
      );
      if (!affected) throw IdentityErrors.userNotFound(); // deleted meanwhile by another request
      // The username and the former ones are free for others (mentions of them no longer resolve to this account).
      await this.db.query('DELETE FROM username_history WHERE user_id = $1', [actor.userId]);
      await this.tokens.deleteAllOf(actor.userId);
      await this.sessions.revokeAllBut(actor.userId, null, 'account_deleted');
      await this.events.record('user.deleted', { userId: actor.userId });
      this.db.afterCommit(() => this.identity.forgetUser(actor.userId));
    });
  }
}
