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
import { EmailVerificationService } from './email-verification.service';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { ProfileChange, ProfilePatch, PublicProfile, ReservedNamesCheck, UsernameStore } from './username-store';

export type { ClientInfo } from './sessions.service';

/**
 * argon2id with 7 MiB, 5 passes, 1 lane: one of the settings OWASP's password storage cheat sheet lists
 * as equal in strength to its 19 MiB / 2 passes baseline, trading memory for passes (about the same
 * CPU time). Memory is what a server keeps: glibc leaves each hashing thread's arena at its largest
 * block (with 19 MiB, 4 x 19 MiB stayed resident after a burst of log-ins). Hashes made with other
 * settings still verify, and are redone with these at the next successful log-in.
 */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 7168, timeCost: 5, parallelism: 1 } as const;

/** The account password hash (for password resets, src/identity/password-reset.service.ts). */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

export function toUserView(u: Pick<UserEntity, 'id' | 'username' | 'displayName' | 'avatarUrl'>): UserView {
  return { id: u.id, username: u.username ?? null, displayName: u.displayName, avatarUrl: u.avatarUrl ?? null };
}

interface UserRow {
  id: string;
  email: string;
  username: string | null;
  bio: string;
  display_name: string;
  avatar_url: string | null;
  is_platform_admin: boolean;
}

export function toMeUserView(u: Pick<UserEntity, 'id' | 'username' | 'email' | 'displayName' | 'avatarUrl' | 'isPlatformAdmin' | 'bio' | 'emailVerifiedAt'>): MeUserView {
  return { ...toUserView(u), email: u.email, emailVerified: u.emailVerifiedAt != null, isPlatformAdmin: u.isPlatformAdmin, bio: u.bio ?? '' };
}

export type { ProfileChange, PublicProfile, ReservedNamesCheck } from './username-store';

/** The LIKE pattern for userMatchesSql: `text` anywhere, any letter case, with %, _ and backslash taken literally. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Accounts: registration, log-in (throttled, see LoginThrottle), password changes, user views. Sessions live in SessionsService. */
@Injectable()
export class IdentityService {
  private readonly registrationsPerIp: Limiter;
  private readonly passwordChecks: Limiter;
  private readonly loginThrottle: LoginThrottle;
  private dummyHash: Promise<string> | null = null;
  /** Public user views (name, avatar) appear on every post; cached 10 s in process, at most 50,000 and 8 MB. */
  private readonly userViews = new LRUCache<string, UserView>({
    max: 50_000,
    maxSize: 8 * 1024 * 1024,
    sizeCalculation: (v) => 200 + 2 * (v.displayName.length + (v.avatarUrl?.length ?? 0)),
    ttl: 10_000,
  });
  private readonly usernames: UsernameStore;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) config: AppConfig,
    rateLimits: RateLimitService,
    private readonly sessions: SessionsService,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
    private readonly verification: EmailVerificationService,
  ) {
    this.usernames = new UsernameStore(db);
    // A profile edit publishes "something changed" (it also clears the guest cache): every instance drops its user views.
    invalidations.subscribe((inv) => {
      if (!Object.keys(inv).length) this.userViews.clear();
    });
    this.registrationsPerIp = rateLimits.limiter({ name: 'register-ip', points: config.registrationsPerIpPerHour, durationSeconds: 3600 });
    this.passwordChecks = rateLimits.limiter({ name: 'change-password', points: 10, durationSeconds: 15 * 60 });
    this.loginThrottle = new LoginThrottle(rateLimits, config.loginsPerIpPerMinute);
  }

  async register(input: { email: string; password: string; displayName: string; username?: string }, client: ClientInfo): Promise<AuthResultView> {
    await this.registrationsPerIp.consume(client.ip, 'Too many sign-ups from this address, try again later');
    const problem = passwordProblem(input.password, input.email);
    if (problem) throw IdentityErrors.weakPassword(problem);
    const passwordHash = await argon2.hash(input.password, ARGON2_OPTIONS);
    try {
      return await this.db.transaction(async () => {
        const user = await this.usernames.insertAccount({ email: input.email.trim(), displayName: input.displayName, passwordHash }, input.username ?? undefined);
        const tokens = await this.sessions.create(user.id, client);
        await this.verification.issue(user.id, user.email); // emailed after commit
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
    const [row] = await this.db.query<UserRow & { password_hash: string | null; email_verified_at: Date | null; known_address: boolean }>(
      `SELECT u.id, u.email, u.username, u.display_name, u.avatar_url, u.bio, u.is_platform_admin, u.password_hash, u.email_verified_at,
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
      user: toMeUserView({ id: row.id, email: row.email, username: row.username, displayName: row.display_name, avatarUrl: row.avatar_url, bio: row.bio, isPlatformAdmin: row.is_platform_admin, emailVerifiedAt: row.email_verified_at }),
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
    // Its own budget, not the log-in throttle's: someone holding a stolen access token could
    // otherwise lock the owner out of logging in by guessing here.
    await this.passwordChecks.consume(actor.userId, 'Too many password attempts, try again later');
    if (!(await this.verifyPassword(row.password_hash, input.currentPassword))) throw IdentityErrors.wrongCurrentPassword();
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

  /** Email addresses of several users (for the insights export, when the brand has a store connection); anonymised accounts are absent. */
  async emails(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.db.query<{ id: string; email: string | null }>('SELECT id, email FROM users WHERE id = ANY($1::uuid[])', [ids]);
    return new Map(rows.filter((r) => r.email).map((r) => [r.id, r.email as string]));
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
      const users = await this.db.query<{ id: string; username: string | null; display_name: string; avatar_url: string | null }>(
        'SELECT id, username, display_name, avatar_url FROM users WHERE id = ANY($1::uuid[])',
        [missing],
      );
      for (const u of users) {
        const view = { id: u.id, username: u.username, displayName: u.display_name, avatarUrl: u.avatar_url };
        this.userViews.set(u.id, view);
        out.set(u.id, view);
      }
    }
    return out;
  }

  /** The account holding this email (compared without case), or null. For store single sign-on. */
  async userIdByEmail(email: string): Promise<string | null> {
    const [row] = await this.db.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = $1', [normalizeEmail(email)]);
    return row?.id ?? null;
  }

  /**
   * An account with no password, for a customer arriving through store single sign-on (they sign in
   * through the store; a password reset can give them one). Runs in the caller's transaction; an
   * email already taken is 409 EMAIL_IN_USE. The username is derived from the display name.
   */
  async createPasswordlessAccount(input: { email: string; displayName: string }): Promise<string> {
    try {
      const user = await this.usernames.insertAccount({ email: input.email.trim(), displayName: input.displayName, emailVerifiedAt: new Date() }); // the store vouches for the email
      return user.id;
    } catch (err) {
      if (isUniqueViolation(err, 'users_email_key')) throw IdentityErrors.emailInUse();
      throw err;
    }
  }

  /** Signs in an account another module authenticated (store single sign-on): a new session, in the caller's transaction. */
  async startSession(userId: string, client: ClientInfo): Promise<AuthResultView> {
    const user = await this.db.repo(UserEntity).findOneBy({ id: userId });
    if (!user || user.deletedAt) throw IdentityErrors.userNotFound();
    const tokens = await this.sessions.create(user.id, client);
    return { user: toMeUserView(user), ...tokens };
  }

  /** Drops the cached public view of a user (an account deletion, once it commits). */
  forgetUser(userId: string): void {
    this.userViews.delete(userId);
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
      await this.usernames.insertAccount({ email: email.trim(), displayName: 'Admin', passwordHash, isPlatformAdmin: true, emailVerifiedAt: new Date() });
      return 'created';
    } catch (err) {
      // Another instance created it at the same moment.
      if (isUniqueViolation(err)) return this.ensurePlatformAdmin(email, password);
      throw err;
    }
  }

  // ---- usernames and profiles (issue 20; orchestrated by the profiles module; SQL in UsernameStore) ----

  /** Another module reserves names (community slugs: a username may not equal one). Call at start. */
  reserveNames(check: ReservedNamesCheck): void {
    this.usernames.reserveNames(check);
  }

  /**
   * Who each handle (a mention's `@name`, any letter case) names, as lowercase handle -> user id: the
   * username's holder, or for a name nobody holds now its most recent former holder. Display names are not handles.
   */
  usersByHandle(handles: string[]): Promise<Map<string, string>> {
    return this.usernames.usersByHandle(handles);
  }

  /**
   * SQL, true when the user whose id is `userIdSql` has a username or display name containing the
   * text in parameter `patternParam` (made with containsPattern): for another module's searches of
   * its own rows by user (the roles page's member search), as membershipRoleSql is for roles.
   */
  userMatchesSql(userIdSql: string, patternParam: string): string {
    return `EXISTS (SELECT 1 FROM users u WHERE u.id = ${userIdSql} AND (lower(u.username) LIKE ${patternParam} ESCAPE '\\' OR lower(u.display_name) LIKE ${patternParam} ESCAPE '\\'))`;
  }

  /** A public profile by id or by username (any letter case); null for unknown and deleted accounts. */
  userByIdOrUsername(idOrUsername: string): Promise<PublicProfile | null> {
    return this.usernames.userByIdOrUsername(idOrUsername);
  }

  /** The avatar file's owner, if the file is someone's avatar now (the uploads route serves it to anyone). */
  avatarOwner(fileName: string): Promise<string | null> {
    return this.usernames.avatarOwner(fileName);
  }

  /**
   * Changes the member's own profile, in the caller's transaction (the row is locked). A username
   * change to another name (not just its letter case) is allowed once per USERNAME_CHANGE_DAYS
   * (409 USERNAME_CHANGE_TOO_SOON) and keeps the old name in username_history. Drops the cached view
   * here; the caller calls profileChanged() once it commits, for the other instances and the pages.
   */
  async updateProfile(userId: string, patch: ProfilePatch): Promise<ProfileChange> {
    if (!this.db.inTransaction) throw new Error('updateProfile runs inside the caller\'s transaction');
    const change = await this.usernames.update(userId, patch);
    if (change.changed.length) this.userViews.delete(userId);
    return { ...change, user: await this.getMe(userId) };
  }

  /** After a profile edit commits: every instance drops its cached user views, and the shared pages that show them. */
  profileChanged(): void {
    this.invalidations.publish({});
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= argon2.hash('not-a-real-password-' + Math.random(), ARGON2_OPTIONS);
    return this.dummyHash;
  }
}
