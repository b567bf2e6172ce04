import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { LRUCache } from 'lru-cache';
import { Actor } from '../core/auth/actor';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db, isUniqueViolation } from '../core/database/db.service';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { AuthResultView, MeUserView, TokenPairView, UserView } from './dto/auth.dto';
import { IdentityErrors } from './identity.errors';
import { LoginThrottle } from './login-throttle';
import { passwordProblem } from './password-policy';
import { ClientInfo, SessionsService } from './sessions.service';
import { UserEntity } from './user.entity';

export type { ClientInfo } from './sessions.service';

/**
 * argon2id with 7 MiB, 5 passes, 1 lane: one of the settings OWASP's password storage cheat sheet lists
 * as equal in strength to its 19 MiB / 2 passes baseline, trading memory for passes (about the same
 * CPU time). Memory is what a server keeps: glibc leaves each hashing thread's arena at its largest
 * block (with 19 MiB, 4 x 19 MiB stayed resident after a burst of log-ins). Hashes made with other
 * settings still verify, and are redone with these at the next successful log-in.
 */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 7168, timeCost: 5, parallelism: 1 } as const;

export function toUserView(u: Pick<UserEntity, 'id' | 'displayName' | 'avatarUrl'>): UserView {
  return { id: u.id, displayName: u.displayName, avatarUrl: u.avatarUrl ?? null };
}

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  avatar_url: string | null;
  is_platform_admin: boolean;
}

export function toMeUserView(u: Pick<UserEntity, 'id' | 'email' | 'displayName' | 'avatarUrl' | 'isPlatformAdmin'>): MeUserView {
  return { ...toUserView(u), email: u.email, isPlatformAdmin: u.isPlatformAdmin };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Accounts: registration, log-in (throttled, see LoginThrottle), password changes, user views. Sessions live in SessionsService. */
@Injectable()
export class IdentityService {
  private readonly registrationsPerIp: Limiter;
  private readonly loginThrottle: LoginThrottle;
  private dummyHash: Promise<string> | null = null;
  /** Public user views (name, avatar) appear on every post; cached 10 s in process, at most 50,000 and 8 MB. */
  private readonly userViews = new LRUCache<string, UserView>({
    max: 50_000,
    maxSize: 8 * 1024 * 1024,
    sizeCalculation: (v) => 160 + 2 * (v.displayName.length + (v.avatarUrl?.length ?? 0)),
    ttl: 10_000,
  });

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) config: AppConfig,
    rateLimits: RateLimitService,
    private readonly sessions: SessionsService,
  ) {
    this.registrationsPerIp = rateLimits.limiter({ name: 'register-ip', points: config.registrationsPerIpPerHour, durationSeconds: 3600 });
    this.loginThrottle = new LoginThrottle(rateLimits, config.loginsPerIpPerMinute);
  }

  async register(input: { email: string; password: string; displayName: string }, client: ClientInfo): Promise<AuthResultView> {
    await this.registrationsPerIp.consume(client.ip, 'Too many sign-ups from this address, try again later');
    const problem = passwordProblem(input.password, input.email);
    if (problem) throw IdentityErrors.weakPassword(problem);
    const passwordHash = await argon2.hash(input.password, ARGON2_OPTIONS);
    try {
      return await this.db.transaction(async () => {
        const user = await this.db.repo(UserEntity).save(
          this.db.repo(UserEntity).create({ email: input.email.trim(), displayName: input.displayName, passwordHash }),
        );
        const tokens = await this.sessions.create(user.id, client);
        return { user: toMeUserView(user), ...tokens };
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_email_key')) throw IdentityErrors.emailInUse();
      throw err;
    }
  }

  /**
   * Unknown emails and wrong passwords get the same answer, after the same argon2 work, and go
   * through the same throttles (LoginThrottle), so neither timing nor throttling reveals accounts.
   */
  async login(input: { email: string; password: string }, client: ClientInfo): Promise<AuthResultView> {
    const accountKey = normalizeEmail(input.email);
    await this.loginThrottle.beforeLookup(accountKey, client.ip);
    const [row] = await this.db.query<UserRow & { password_hash: string | null; known_address: boolean }>(
      `SELECT u.id, u.email, u.display_name, u.avatar_url, u.is_platform_admin, u.password_hash,
              EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.ip = $2) AS known_address
         FROM users u WHERE lower(u.email) = $1`,
      [accountKey, client.ip.slice(0, 64)],
    );
    await this.loginThrottle.beforeVerify(accountKey, row?.known_address ?? false);
    const ok = await this.verifyPassword(row?.password_hash ?? null, input.password);
    if (!row || !ok) {
      await this.loginThrottle.failed(accountKey);
      throw IdentityErrors.invalidCredentials();
    }
    await this.loginThrottle.succeeded(accountKey, client.ip);
    if (row.password_hash && argon2.needsRehash(row.password_hash, ARGON2_OPTIONS)) {
      const rehashed = await argon2.hash(input.password, ARGON2_OPTIONS);
      await this.db.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3', [row.id, rehashed, row.password_hash]);
    }
    const tokens = await this.db.transaction(() => this.sessions.create(row.id, client));
    return {
      user: toMeUserView({ id: row.id, email: row.email, displayName: row.display_name, avatarUrl: row.avatar_url, isPlatformAdmin: row.is_platform_admin }),
      ...tokens,
    };
  }

  refresh(refreshToken: string): Promise<TokenPairView> {
    return this.sessions.refresh(refreshToken);
  }

  async logout(actor: Actor): Promise<void> {
    await this.sessions.revoke(actor.sessionId, 'logout');
  }

  /**
   * Changes the password and ends every other session of the account (a thief holding one is out),
   * in one transaction. A wrong current password counts as a failed log-in for the throttles.
   */
  async changePassword(actor: Actor, input: { currentPassword: string; newPassword: string }, client: ClientInfo): Promise<void> {
    const [row] = await this.db.query<{ email: string; password_hash: string | null }>('SELECT email, password_hash FROM users WHERE id = $1', [actor.userId]);
    if (!row) throw IdentityErrors.userNotFound();
    const accountKey = normalizeEmail(row.email);
    await this.loginThrottle.beforeLookup(accountKey, client.ip);
    if (!(await this.verifyPassword(row.password_hash, input.currentPassword))) {
      await this.loginThrottle.failed(accountKey);
      throw IdentityErrors.wrongCurrentPassword();
    }
    await this.loginThrottle.succeeded(accountKey, client.ip);
    const problem = passwordProblem(input.newPassword, row.email);
    if (problem) throw IdentityErrors.weakPassword(problem, 'newPassword');
    const passwordHash = await argon2.hash(input.newPassword, ARGON2_OPTIONS);
    await this.db.transaction(async () => {
      await this.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [actor.userId, passwordHash]);
      await this.sessions.revokeAllBut(actor.userId, actor.sessionId, 'password_changed');
    });
  }

  /** argon2 work happens whether or not there is a hash, so an unknown account costs the same time. */
  private async verifyPassword(hash: string | null, password: string): Promise<boolean> {
    const ok = await argon2.verify(hash ?? (await this.getDummyHash()), password).catch(() => false);
    return ok && hash !== null;
  }

  async getMe(userId: string): Promise<MeUserView> {
    const user = await this.db.repo(UserEntity).findOneBy({ id: userId });
    if (!user) throw IdentityErrors.userNotFound();
    return toMeUserView(user);
  }

  /** Public views of several users at once, keyed by id (unknown ids are absent). */
  async getUsers(ids: string[]): Promise<Map<string, UserView>> {
    const out = new Map<string, UserView>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.userViews.get(id);
      if (cached) out.set(id, cached);
      else missing.push(id);
    }
    if (missing.length) {
      const users = await this.db.query<{ id: string; display_name: string; avatar_url: string | null }>(
        'SELECT id, display_name, avatar_url FROM users WHERE id = ANY($1::uuid[])',
        [missing],
      );
      for (const u of users) {
        const view = { id: u.id, displayName: u.display_name, avatarUrl: u.avatar_url };
        this.userViews.set(u.id, view);
        out.set(u.id, view);
      }
    }
    return out;
  }

  /**
   * Users whose handle is one of `handles` (a handle is the display name without whitespace,
   * compared without case), as handle -> user ids. Uses the users_handle_idx expression index.
   */
  async usersByHandle(handles: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!handles.length) return out;
    const rows = await this.db.query<{ handle: string; id: string }>(
      `SELECT lower(regexp_replace(display_name, '\\s', '', 'g')) AS handle, id FROM users
        WHERE lower(regexp_replace(display_name, '\\s', '', 'g')) = ANY($1::text[])`,
      [handles.map((h) => h.toLowerCase())],
    );
    for (const r of rows) out.set(r.handle, [...(out.get(r.handle) ?? []), r.id]);
    return out;
  }

  async userExists(id: string): Promise<boolean> {
    return (await this.db.repo(UserEntity).countBy({ id })) > 0;
  }

  /**
   * ADMIN_EMAIL / ADMIN_PASSWORD at start: create that account as platform admin, or promote the
   * existing one (its password is left as it is). Returns what it did.
   */
  async ensurePlatformAdmin(email: string, password: string): Promise<'created' | 'promoted' | 'unchanged'> {
    const existing = await this.db.repo(UserEntity).createQueryBuilder('u').where('lower(u.email) = :e', { e: normalizeEmail(email) }).getOne();
    if (existing) {
      if (existing.isPlatformAdmin) return 'unchanged';
      await this.db.repo(UserEntity).update({ id: existing.id }, { isPlatformAdmin: true });
      return 'promoted';
    }
    const problem = passwordProblem(password, email);
    if (problem) throw new Error(`ADMIN_PASSWORD is not acceptable: ${problem}`);
    const passwordHash = await argon2.hash(password, ARGON2_OPTIONS);
    try {
      await this.db.repo(UserEntity).insert({ email: email.trim(), displayName: 'Admin', passwordHash, isPlatformAdmin: true });
      return 'created';
    } catch (err) {
      // Another instance created it at the same moment.
      if (isUniqueViolation(err)) return this.ensurePlatformAdmin(email, password);
      throw err;
    }
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= argon2.hash('not-a-real-password-' + Math.random(), ARGON2_OPTIONS);
    return this.dummyHash;
  }
}
