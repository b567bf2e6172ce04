import { Inject, Injectable } from '@nestjs/common';
import Bowser from 'bowser';
import { LRUCache } from 'lru-cache';
import { Actor, AccessTokenVerifier } from '../core/auth/actor';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { CommonErrors } from '../core/errors/app-error';
import { Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { SessionView, TokenPairView } from './dto/auth.dto';
import { IdentityErrors } from './identity.errors';
import { ACCESS_TOKEN_TTL_SECONDS, hashToken, newToken, REFRESH_TOKEN_TTL_SECONDS } from './tokens';

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

/** How long a verified access token is trusted without asking the database (see `verified`). */
const VERIFIED_TOKEN_TTL_MS = 5_000;
/** Sessions newest first: creation time (PostgreSQL's text, to the microsecond), then id. */
const SESSIONS_CURSOR = cursorKind<[string, string]>('sessions', 'timestamp', 'uuid');
/** `last_used_at` is written at most this often per session (it is shown to the member, not used for security). */
const LAST_USED_RESOLUTION_SECONDS = 60;

interface SessionRow {
  id: string;
  created_at: Date;
  created_key: string;
  last_used_at: Date;
  ip: string | null;
  user_agent: string | null;
}

/**
 * Sessions: one per log-in (device), holding the current access token (hash) and a family of
 * refresh tokens. A session ends when it is revoked (log-out, "log out everywhere else", a password
 * change, refresh-token reuse) or when it reaches its absolute lifetime (SESSION_MAX_DAYS from its
 * creation, whatever the refreshes): neither token of a session is ever issued past that moment.
 */
@Injectable()
export class SessionsService implements AccessTokenVerifier {
  /**
   * Verified access tokens (by hash), for VERIFIED_TOKEN_TTL_MS at most and never past their expiry.
   * A session that is revoked or rotated leaves it at once: here when the change commits, on the other
   * instances through the invalidation channel (Redis) a moment later. Without Redis, other instances
   * could accept a revoked token for up to VERIFIED_TOKEN_TTL_MS.
   */
  private readonly verified = new LRUCache<string, { actor: Actor; until: number }>({
    max: 100_000,
    maxSize: 16 * 1024 * 1024, // about 50,000 tokens; the others are verified by the database on each request
    sizeCalculation: () => 320,
    ttl: VERIFIED_TOKEN_TTL_MS,
  });
  /** Bumped by every session change: a verification that overlapped one is not cached (it may have read the old state). */
  private sessionChanges = 0;
  private readonly maxLifetimeSeconds: number;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
    private readonly cursors: Cursors,
  ) {
    this.maxLifetimeSeconds = config.sessionMaxDays * 24 * 3600;
    invalidations.subscribe(({ sessionId }) => sessionId && this.forgetSession(sessionId));
  }

  /** A new session with its first token pair (must run in a transaction). */
  async create(userId: string, client: ClientInfo): Promise<TokenPairView> {
    const [session] = await this.db.query<{ id: string }>(
      `INSERT INTO sessions (user_id, access_token_hash, access_expires_at, refresh_expires_at, user_agent, ip)
       VALUES ($1, $2, now(), now(), $3, $4) RETURNING id`,
      [userId, hashToken(newToken('access')), client.userAgent?.slice(0, 300) ?? null, client.ip.slice(0, 64)],
    );
    return this.issueTokens(session.id);
  }

  /**
   * Rotates the refresh token. Presenting a token that was already rotated means it leaked (or a
   * client raced itself): the whole session is revoked, as OAuth 2.0 Security BCP recommends.
   */
  async refresh(refreshToken: string): Promise<TokenPairView> {
    const tokenHash = hashToken(refreshToken);
    const outcome = await this.db.transaction(async () => {
      const [row] = await this.db.query<{ session_id: string; rotated_at: Date | null; revoked_at: Date | null; usable: boolean }>(
        `SELECT rt.session_id, rt.rotated_at, s.revoked_at,
                s.refresh_expires_at > now() AND s.created_at + make_interval(secs => $2) > now() AS usable
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
          WHERE rt.token_hash = $1
          FOR UPDATE OF rt, s`,
        [tokenHash, this.maxLifetimeSeconds],
      );
      if (!row || row.revoked_at || !row.usable) return { kind: 'invalid' as const };
      if (row.rotated_at) {
        await this.revoke(row.session_id, 'refresh_reuse');
        return { kind: 'reused' as const };
      }
      await this.db.query('UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1', [tokenHash]);
      return { kind: 'ok' as const, tokens: await this.issueTokens(row.session_id) };
    });
    if (outcome.kind === 'invalid') throw IdentityErrors.invalidRefreshToken();
    if (outcome.kind === 'reused') throw IdentityErrors.refreshTokenReused();
    return outcome.tokens;
  }

  /**
   * The AuthGuard's check: one indexed lookup, or the verified-token cache; revoked, rotated or
   * expired sessions fail at once (see `verified`). The same statement records when the session
   * was last used (at most once a minute, so it rarely writes).
   */
  async verify(accessToken: string): Promise<Actor | null> {
    if (accessToken.length > 200) return null;
    const tokenHash = hashToken(accessToken);
    const cached = this.verified.get(tokenHash);
    if (cached && cached.until > Date.now()) return cached.actor;
    const changes = this.sessionChanges;
    const [row] = await this.db.query<{ id: string; user_id: string; is_platform_admin: boolean; access_expires_at: Date }>(
      `WITH s AS (
         SELECT s.id, s.user_id, u.is_platform_admin, s.access_expires_at, s.last_used_at
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.access_token_hash = $1 AND s.revoked_at IS NULL AND s.access_expires_at > now()
       ), touched AS (
         UPDATE sessions SET last_used_at = now()
          WHERE id IN (SELECT id FROM s WHERE last_used_at < now() - make_interval(secs => $2))
       )
       SELECT id, user_id, is_platform_admin, access_expires_at FROM s`,
      [tokenHash, LAST_USED_RESOLUTION_SECONDS],
    );
    if (!row) return null;
    const actor: Actor = { userId: row.user_id, sessionId: row.id, isPlatformAdmin: row.is_platform_admin };
    if (changes === this.sessionChanges) this.verified.set(tokenHash, { actor, until: new Date(row.access_expires_at).getTime() });
    return actor;
  }

  /** The member's live sessions (not revoked, not expired), newest first. */
  async list(actor: Actor, query: { limit?: number; cursor?: string }): Promise<Page<SessionView>> {
    const limit = query.limit ?? 20;
    const after = this.cursors.decode(SESSIONS_CURSOR, query.cursor);
    const rows = await this.db.query<SessionRow>(
      `SELECT id, created_at, created_at::text AS created_key, last_used_at, ip, user_agent FROM sessions
        WHERE user_id = $1 AND revoked_at IS NULL AND refresh_expires_at > now()
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $4`,
      [actor.userId, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    return this.cursors.page(SESSIONS_CURSOR, rows, limit, (r) => toSessionView(r, actor.sessionId), (r) => [r.created_key, r.id]);
  }

  /** Ends one of the member's own sessions (the current one too: that is a log-out). 404 for anyone else's or an ended one. */
  async revokeOwn(actor: Actor, sessionId: string): Promise<void> {
    const { affected } = await this.db.execute(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = 'revoked_by_user'
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND refresh_expires_at > now()`,
      [sessionId, actor.userId],
    );
    if (!affected) throw CommonErrors.notFound('Session');
    this.changed([sessionId]);
  }

  /** Ends every session of the user but `keepSessionId` ("log out everywhere else"; a password change). */
  async revokeAllBut(userId: string, keepSessionId: string | null, reason: string): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $3
        WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid)
        RETURNING id`,
      [userId, keepSessionId, reason],
    );
    this.changed(rows.map((r) => r.id));
    return rows.length;
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    await this.db.query('UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL', [sessionId, reason]);
    this.changed([sessionId]);
  }

  /**
   * A fresh access token and refresh token for the session (must run in a transaction). Neither
   * outlives the session's absolute lifetime.
   */
  private async issueTokens(sessionId: string): Promise<TokenPairView> {
    const accessToken = newToken('access');
    const refreshToken = newToken('refresh');
    const [row] = await this.db.query<{ access_expires_at: Date }>(
      `UPDATE sessions
          SET access_token_hash = $2,
              access_expires_at = LEAST(now() + make_interval(secs => $3), created_at + make_interval(secs => $5)),
              refresh_expires_at = LEAST(now() + make_interval(secs => $4), created_at + make_interval(secs => $5)),
              last_refreshed_at = now(),
              last_used_at = now()
        WHERE id = $1
        RETURNING access_expires_at`,
      [sessionId, hashToken(accessToken), ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_SECONDS, this.maxLifetimeSeconds],
    );
    await this.db.query('INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)', [hashToken(refreshToken), sessionId]);
    this.changed([sessionId]);
    return { accessToken, refreshToken, accessTokenExpiresAt: new Date(row.access_expires_at).toISOString() };
  }

  /**
   * The web pages' check of their session cookie, which holds the session's current refresh token
   * (see src/core/auth/page-session.ts): the session it names, if the token is not rotated and the
   * session neither revoked nor expired. Browsing keeps the session alive: at most once a minute the
   * refresh window slides forward (never past SESSION_MAX_DAYS), as a refresh would, without rotating
   * the token (pages load in parallel; a rotation racing itself would revoke the session). A log-out
   * anywhere, a refresh through the API or a password change ends it at once (see `verified`).
   */
  async verifyBrowserToken(refreshToken: string): Promise<Actor | null> {
    if (refreshToken.length > 200) return null;
    const tokenHash = hashToken(refreshToken);
    const key = `browser:${tokenHash}`;
    const cached = this.verified.get(key);
    if (cached && cached.until > Date.now()) return cached.actor;
    const changes = this.sessionChanges;
    const [row] = await this.db.query<{ id: string; user_id: string; is_platform_admin: boolean }>(
      `WITH s AS (
         SELECT s.id, s.user_id, u.is_platform_admin, s.last_used_at
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
          WHERE rt.token_hash = $1 AND rt.rotated_at IS NULL AND s.revoked_at IS NULL
            AND s.refresh_expires_at > now() AND s.created_at + make_interval(secs => $3) > now()
       ), touched AS (
         UPDATE sessions SET last_used_at = now(),
                refresh_expires_at = LEAST(now() + make_interval(secs => $4), created_at + make_interval(secs => $3))
          WHERE id IN (SELECT id FROM s WHERE last_used_at < now() - make_interval(secs => $2))
       )
       SELECT id, user_id, is_platform_admin FROM s`,
      [tokenHash, LAST_USED_RESOLUTION_SECONDS, this.maxLifetimeSeconds, REFRESH_TOKEN_TTL_SECONDS],
    );
    if (!row) return null;
    const actor: Actor = { userId: row.user_id, sessionId: row.id, isPlatformAdmin: row.is_platform_admin };
    if (changes === this.sessionChanges) this.verified.set(key, { actor, until: Date.now() + VERIFIED_TOKEN_TTL_MS });
    return actor;
  }

  /** Sessions were revoked or their access token replaced: drop them from the cache once that commits, everywhere. */
  private changed(sessionIds: string[]) {
    if (!sessionIds.length) return;
    // forgetSession() here and on the other instances.
    const drop = () => sessionIds.forEach((sessionId) => this.invalidations.publish({ sessionId }));
    if (this.db.inTransaction) {
      this.sessionChanges++; // verifications running now may read the old row: keep them out of the cache
      this.db.afterCommit(drop);
    } else drop();
  }

  private forgetSession(sessionId: string) {
    this.sessionChanges++;
    for (const [tokenHash, entry] of this.verified.entries()) if (entry.actor.sessionId === sessionId) this.verified.delete(tokenHash);
  }
}

function toSessionView(r: SessionRow, currentSessionId: string): SessionView {
  return {
    id: r.id,
    current: r.id === currentSessionId,
    createdAt: new Date(r.created_at).toISOString(),
    lastUsedAt: new Date(r.last_used_at).toISOString(),
    ip: r.ip,
    userAgent: r.user_agent,
    device: describeDevice(r.user_agent),
  };
}

/** A short human label for a user agent ("Firefox on Windows"), enough for a member to recognise their devices. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const parser = Bowser.getParser(userAgent.slice(0, 300));
  const browser = parser.getBrowserName();
  const os = parser.getOSName();
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || 'Unknown device';
}
