import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Actor, ACCESS_TOKEN_VERIFIER } from '../core/auth/actor';
import { parseCookies, SESSION_COOKIE } from '../core/auth/page-session';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { UserView } from '../identity/dto/auth.dto';
import { IdentityService } from '../identity/identity.service';
import { SessionsService } from '../identity/sessions.service';
import { REFRESH_TOKEN_TTL_SECONDS } from '../identity/tokens';
import { NotificationsService } from '../notifications/notifications.service';
import { RoomsService } from '../chat/rooms.service';
import { WebErrors } from './web.errors';

/** The browser's CSRF secret: random, HTTP-only; form tokens are derived from it and the session. */
export const CSRF_COOKIE = 'hearth_csrf';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Who is looking at a page. */
export interface Viewer {
  actor: Actor | null;
  user: UserView | null;
  /** The token every form and state-changing fetch of this page must send back. */
  csrfToken: string;
  /** The member's unread notifications (the header's bell); absent for guests. */
  unread?: number;
  /** On a community's pages (`/c/:slug/...`): the member's rooms there with unread messages (the Chat link's count); absent for guests. */
  chatUnread?: number;
}

export { parseCookies };

/**
 * Browser sessions for the web pages, bound to the same server-side session as the API's tokens:
 * the session cookie holds the session's refresh token (SessionsService.verifyBrowserToken), so a
 * log-out anywhere (page or API) ends both. CSRF: a synchronizer token, the HMAC (with a server
 * secret kept in server_secrets) of the browser's random CSRF cookie and the session id; every
 * page form carries it in `_csrf`, every fetch in `x-csrf-token`, and a POST whose Origin is another
 * site is refused before that. SameSite=Lax on both cookies is the second line.
 */
@Injectable()
export class WebSessionService implements OnModuleInit {
  private key: Buffer;
  private readonly secure: boolean;
  private readonly publicOrigin: string;
  /** Actors found by a request's cookie (a request object is resolved once). */
  private readonly resolved = new WeakMap<FastifyRequest, Promise<Actor | null>>();
  private readonly chatCounts = new WeakMap<FastifyRequest, Promise<number>>();

  constructor(
    private readonly db: Db,
    private readonly identity: IdentityService,
    // IdentityModule exports its SessionsService as the access-token verifier.
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly notifications: NotificationsService,
    private readonly rooms: RoomsService,
  ) {
    this.secure = config.publicUrl.startsWith('https:');
    this.publicOrigin = new URL(config.publicUrl).origin;
  }

  async onModuleInit() {
    await this.db.query(`INSERT INTO server_secrets (name, secret) VALUES ('csrf', $1) ON CONFLICT (name) DO NOTHING`, [randomBytes(32).toString('hex')]);
    const [row] = await this.db.query<{ secret: string }>(`SELECT secret FROM server_secrets WHERE name = 'csrf'`);
    this.key = Buffer.from(row.secret, 'hex');
  }

  /** The signed-in actor, or null (no cookie, or a session that ended: the stale cookie is cleared). */
  actor(request: FastifyRequest, reply: FastifyReply): Promise<Actor | null> {
    let found = this.resolved.get(request);
    if (!found) {
      found = this.lookup(request, reply);
      this.resolved.set(request, found);
    }
    return found;
  }

  /**
   * The viewer of a page: actor, their public user view, and (for members) the CSRF token for its
   * forms. A guest's page carries no token and sets no cookie, so the guest cache can share it;
   * the log-in and registration forms ask for a guest's token with `csrfToken`.
   */
  async viewer(request: FastifyRequest, reply: FastifyReply): Promise<Viewer> {
    const actor = await this.actor(request, reply);
    const user = actor ? ((await this.identity.getUsers([actor.userId])).get(actor.userId) ?? null) : null;
    const [unread, chatUnread] = actor ? await Promise.all([this.notifications.list(actor, { limit: 1 }).then((l) => l.unreadCount), this.chatUnread(request, actor)]) : [];
    return { actor, user, csrfToken: actor ? this.csrfToken(request, reply, actor) : '', unread, chatUnread };
  }

  /** The Chat link's count on a community's pages: one query per request (a page that asks for its viewer twice reuses it). */
  private chatUnread(request: FastifyRequest, actor: Actor): Promise<number | undefined> {
    const slug = (request.params as Record<string, unknown> | undefined)?.slug;
    if (typeof slug !== 'string' || !slug) return Promise.resolve(undefined);
    let found = this.chatCounts.get(request);
    if (!found) {
      found = this.rooms.unreadRoomCount(actor, slug);
      this.chatCounts.set(request, found);
    }
    return found;
  }

  /** Signs the browser in: the session's refresh token goes into the cookie; a new CSRF secret too (the old one was a guest's). */
  signIn(reply: FastifyReply, refreshToken: string) {
    this.setCookie(reply, SESSION_COOKIE, refreshToken, REFRESH_TOKEN_TTL_SECONDS);
    this.setCookie(reply, CSRF_COOKIE, randomBytes(24).toString('base64url'), REFRESH_TOKEN_TTL_SECONDS);
  }

  signOut(reply: FastifyReply) {
    this.setCookie(reply, SESSION_COOKIE, '', 0);
    this.setCookie(reply, CSRF_COOKIE, '', 0);
  }

  /**
   * Refuses a state-changing page request that is not from our own pages: another site's Origin,
   * or no valid CSRF token (the form field, or the header for fetches).
   */
  async assertCsrf(request: FastifyRequest, reply: FastifyReply, formToken: string | undefined): Promise<Actor | null> {
    const origin = request.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      let host: string | null = null;
      try {
        host = new URL(origin).host;
      } catch {
        host = null;
      }
      // Our own pages post from PUBLIC_URL's origin, or from the host they were loaded from.
      if (origin !== this.publicOrigin && host !== request.headers.host) throw WebErrors.csrf();
    }
    const actor = await this.actor(request, reply);
    const secret = parseCookies(request.headers.cookie).get(CSRF_COOKIE);
    const header = request.headers[CSRF_HEADER];
    const given = formToken ?? (typeof header === 'string' ? header : undefined);
    if (!secret || !given || !safeEqual(given, this.tokenFor(secret, actor))) throw WebErrors.csrf();
    return actor;
  }

  private async lookup(request: FastifyRequest, reply: FastifyReply): Promise<Actor | null> {
    const token = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (!token) return null;
    const actor = await this.sessions.verifyBrowserToken(token);
    if (!actor) this.setCookie(reply, SESSION_COOKIE, '', 0);
    return actor;
  }

  csrfToken(request: FastifyRequest, reply: FastifyReply, actor: Actor | null): string {
    let secret = parseCookies(request.headers.cookie).get(CSRF_COOKIE);
    if (!secret || secret.length < 16 || secret.length > 64) {
      secret = randomBytes(24).toString('base64url');
      this.setCookie(reply, CSRF_COOKIE, secret, REFRESH_TOKEN_TTL_SECONDS);
    }
    return this.tokenFor(secret, actor);
  }

  private tokenFor(secret: string, actor: Actor | null): string {
    return createHmac('sha256', this.key).update(`csrf\n${secret}\n${actor?.sessionId ?? ''}`).digest('base64url');
  }

  private setCookie(reply: FastifyReply, name: string, value: string, maxAgeSeconds: number) {
    const parts = [`${name}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
    if (this.secure) parts.push('Secure');
    const previous = reply.getHeader('set-cookie');
    const list = previous === undefined ? [] : Array.isArray(previous) ? previous.map(String) : [String(previous)];
    void reply.header('set-cookie', [...list.filter((c) => !c.startsWith(`${name}=`)), parts.join('; ')]);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
