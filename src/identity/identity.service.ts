import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { LRUCache } from 'lru-cache';
import { Actor, AccessTokenVerifier } from '../core/auth/actor';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db, isUniqueViolation } from '../core/database/db.service';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { AuthResultView, MeUserView, TokenPairView, UserView } from './dto/auth.dto';
import { IdentityErrors } from './identity.errors';
import { passwordProblem } from './password-policy';
import { ACCESS_TOKEN_TTL_SECONDS, hashToken, newToken, REFRESH_TOKEN_TTL_SECONDS } from './tokens';
import { UserEntity } from './user.entity';

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 20-40 ms here. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Failed log-ins per account before it is throttled (Discourse locks after a similar number). */
const ACCOUNT_FAILURES_ALLOWED = 10;
const ACCOUNT_FAILURE_WINDOW_SECONDS = 15 * 60;

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

export function toUserView(u: Pick<UserEntity, 'id' | 'displayName' | 'avatarUrl'>): UserView {
  return { id: u.id, displayName: u.displayName, avatarUrl: u.avatarUrl ?? null };
}

export function toMeUserView(u: UserEntity): MeUserView {
  return { ...toUserView(u), email: u.email, isPlatformAdmin: u.isPlatformAdmin };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** How long a verified access token is trusted without asking the database (see IdentityService.verified). */
const VERIFIED_TOKEN_TTL_MS = 5_000;

@Injectable()
export class IdentityService implements AccessTokenVerifier {
  private readonly registrationsPerIp: Limiter;
  private readonly loginsPerIp: Limiter;
  private readonly loginFailuresPerAccount: Limiter;
  private dummyHash: Promise<string> | null = null;
  /** Public user views (name, avatar) appear on every post; cached 10 s in process. */
  private readonly userViews = new LRUCache<string, UserView>({ max: 50_000, ttl: 10_000 });
  /**
   * Verified access tokens (by hash), for VERIFIED_TOKEN_TTL_MS at most and never past their expiry.
   * A session that is revoked or rotated leaves it at once: here when the change commits, on the other
   * instances through the invalidation channel (Redis) a moment later. Without Redis, other instances
   * could accept a revoked token for up to VERIFIED_TOKEN_TTL_MS.
   */
  private readonly verified = new LRUCache<string, { actor: Actor; until: number }>({ max: 100_000, ttl: VERIFIED_TOKEN_TTL_MS });
  /** Bumped by every session change: a verification that overlapped one is not cached (it may have read the old state). */
  private sessionChanges = 0;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) config: AppConfig,
    rateLimits: RateLimitService,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
  ) {
    invalidations.subscribe(({ sessionId }) => sessionId && this.forgetSession(sessionId));
    this.registrationsPerIp = rateLimits.limiter({ name: 'register-ip', points: config.registrationsPerIpPerHour, durationSeconds: 3600 });
    this.loginsPerIp = rateLimits.limiter({ name: 'login-ip', points: config.loginsPerIpPerMinute, durationSeconds: 60 });
    this.loginFailuresPerAccount = rateLimits.limiter({
      name: 'login-account',
      points: ACCOUNT_FAILURES_ALLOWED,
      durationSeconds: ACCOUNT_FAILURE_WINDOW_SECONDS,
    });
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
        const tokens = await this.createSession(user.id, client);
        return { user: toMeUserView(user), ...tokens };
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_email_key')) throw IdentityErrors.emailInUse();
      throw err;
    }
  }

  /**
   * Unknown emails and wrong passwords get the same answer, after the same argon2 work, and both
   * count against the per-account throttle, so neither timing nor throttling reveals accounts.
   */
  async login(input: { email: string; password: string }, client: ClientInfo): Promise<AuthResultView> {
    await this.loginsPerIp.consume(client.ip, 'Too many log-in attempts from this address, try again later');
    const accountKey = normalizeEmail(input.email);
    await this.loginFailuresPerAccount.check(accountKey, 'Too many failed log-ins for this account, try again later');
    const user = await this.db
      .repo(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.email) = :email', { email: accountKey })
      .getOne();
    const hash = user?.passwordHash ?? (await this.getDummyHash());
    const ok = await argon2.verify(hash, input.password).catch(() => false);
    if (!user || !user.passwordHash || !ok) {
      await this.loginFailuresPerAccount.penalize(accountKey);
      throw IdentityErrors.invalidCredentials();
    }
    await this.loginFailuresPerAccount.reset(accountKey);
    const tokens = await this.db.transaction(() => this.createSession(user.id, client));
    return { user: toMeUserView(user), ...tokens };
  }

  /**
   * Rotates the refresh token. Presenting a token that was already rotated means it leaked (or a
   * client raced itself): the whole session is revoked, as OAuth 2.0 Security BCP recommends.
   */
  async refresh(refreshToken: string): Promise<TokenPairView> {
    const tokenHash = hashToken(refreshToken);
    const outcome = await this.db.transaction(async () => {
      const [row] = await this.db.query<{ session_id: string; rotated_at: Date | null; revoked_at: Date | null; refresh_expires_at: Date; user_id: string }>(
        `SELECT rt.session_id, rt.rotated_at, s.revoked_at, s.refresh_expires_at, s.user_id
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
          WHERE rt.token_hash = $1
          FOR UPDATE OF rt, s`,
        [tokenHash],
      );
      if (!row || row.revoked_at || new Date(row.refresh_expires_at) <= new Date()) return { kind: 'invalid' as const };
      if (row.rotated_at) {
        await this.revokeSession(row.session_id, 'refresh_reuse');
        return { kind: 'reused' as const };
      }
      await this.db.query('UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1', [tokenHash]);
      return { kind: 'ok' as const, tokens: await this.issueTokens(row.session_id) };
    });
    if (outcome.kind === 'invalid') throw IdentityErrors.invalidRefreshToken();
    if (outcome.kind === 'reused') throw IdentityErrors.refreshTokenReused();
    return outcome.tokens;
  }

  async logout(actor: Actor): Promise<void> {
    await this.revokeSession(actor.sessionId, 'logout');
  }

  /**
   * The AuthGuard's check: one indexed lookup, or the verified-token cache; revoked, rotated or
   * expired sessions fail at once (see `verified`).
   */
  async verify(accessToken: string): Promise<Actor | null> {
    if (accessToken.length > 200) return null;
    const tokenHash = hashToken(accessToken);
    const cached = this.verified.get(tokenHash);
    if (cached && cached.until > Date.now()) return cached.actor;
    const changes = this.sessionChanges;
    const [row] = await this.db.query<{ id: string; user_id: string; is_platform_admin: boolean; access_expires_at: Date }>(
      `SELECT s.id, s.user_id, u.is_platform_admin, s.access_expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.access_token_hash = $1 AND s.revoked_at IS NULL AND s.access_expires_at > now()`,
      [tokenHash],
    );
    if (!row) return null;
    const actor: Actor = { userId: row.user_id, sessionId: row.id, isPlatformAdmin: row.is_platform_admin };
    if (changes === this.sessionChanges) this.verified.set(tokenHash, { actor, until: new Date(row.access_expires_at).getTime() });
    return actor;
  }

  /** A session was revoked or its access token replaced: drop it from the cache once that commits, everywhere. */
  private sessionChanged(sessionId: string) {
    const drop = () => this.invalidations.publish({ sessionId }); // forgetSession() here and on the other instances
    if (this.db.inTransaction) {
      this.sessionChanges++; // verifications running now may read the old row: keep them out of the cache
      this.db.afterCommit(drop);
    } else drop();
  }

  private forgetSession(sessionId: string) {
    this.sessionChanges++;
    for (const [tokenHash, entry] of this.verified.entries()) if (entry.actor.sessionId === sessionId) this.verified.delete(tokenHash);
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

  private async createSession(userId: string, client: ClientInfo): Promise<TokenPairView> {
    const [session] = await this.db.query<{ id: string }>(
      `INSERT INTO sessions (user_id, access_token_hash, access_expires_at, refresh_expires_at, user_agent, ip)
       VALUES ($1, $2, now(), now(), $3, $4) RETURNING id`,
      [userId, hashToken(newToken('access')), client.userAgent?.slice(0, 300) ?? null, client.ip.slice(0, 64)],
    );
    return this.issueTokens(session.id);
  }

  /** A fresh access token and refresh token for the session (must run in a transaction). */
  private async issueTokens(sessionId: string): Promise<TokenPairView> {
    const accessToken = newToken('access');
    const refreshToken = newToken('refresh');
    const [row] = await this.db.query<{ access_expires_at: Date }>(
      `UPDATE sessions
          SET access_token_hash = $2,
              access_expires_at = now() + make_interval(secs => $3),
              refresh_expires_at = now() + make_interval(secs => $4),
              last_refreshed_at = now()
        WHERE id = $1
        RETURNING access_expires_at`,
      [sessionId, hashToken(accessToken), ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_SECONDS],
    );
    await this.db.query('INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)', [hashToken(refreshToken), sessionId]);
    this.sessionChanged(sessionId);
    return { accessToken, refreshToken, accessTokenExpiresAt: new Date(row.access_expires_at).toISOString() };
  }

  private async revokeSession(sessionId: string, reason: string) {
    await this.db.query(
      'UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL',
      [sessionId, reason],
    );
    this.sessionChanged(sessionId);
  }
}
