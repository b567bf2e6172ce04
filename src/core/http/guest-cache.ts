import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Invalidations } from '../cluster/invalidations';
import { TaggedCache } from '../cluster/tagged-cache';
import { hasSessionCookie } from '../auth/page-session';

declare module 'fastify' {
  interface FastifyRequest {
    /** Tags a page names itself (a community's home shows every board's latest thread: `board:<id>` each). */
    guestCacheTags?: string[];
  }
}

/** Marks a GET route whose answers to guests (requests without an Authorization header) may come from the guest cache. */
export const GuestCacheable = () => RouteConfig({ guestCache: true });

/**
 * What a write route does to the pages guests see, so the guest cache need not be cleared after it:
 * - `none`: nothing a guest sees (log-in, sessions, joining, an upload not attached yet);
 * - `events`: its changes are all announced precisely: by the domain events it records (each names
 *   its thread and board, see EventsService) or by an explicit `invalidations.publish()`.
 * A write route without this declaration clears the whole cache when it succeeds: the safe default
 * for a new route.
 */
export const GuestCacheEffect = (effect: 'none' | 'events') => applyDecorators(RouteConfig({ guestCacheEffect: effect }));

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const STARTED_AT = Symbol('guestCacheStartedAt');

interface Entry {
  body: string;
  contentType: string;
}

type CachedRequest = FastifyRequest & { [STARTED_AT]?: number };
type RouteConfigOf = { guestCache?: boolean; guestCacheEffect?: 'none' | 'events' } | undefined;

/**
 * The tags of a cached page, from its route: a thread's page and its posts carry `thread:<id>`, a
 * board's thread list `board:<id>`, the community routes `community:<slug>` (cleared only by a full
 * clear: what they show changes with boards and settings, which clear everything).
 */
function tagsOf(request: FastifyRequest): string[] {
  if (request.guestCacheTags) return request.guestCacheTags;
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  if (params.threadId) return [`thread:${params.threadId}`];
  if (params.boardId) return [`board:${params.boardId}`];
  if (params.slug) return [`community:${params.slug}`];
  return [];
}

/**
 * The guest cache, like Discourse's anonymous cache: most readers of a brand community are not logged
 * in (search engines, shoppers following a link), and they all get the same page. A guest's GET of a
 * route marked @GuestCacheable() is answered from memory when the same URL was rendered for a guest
 * since the last write that changed it, skipping the database and the rest of the pipeline
 * (`x-cache: HIT`).
 *
 * Invalidation is precise, and correct before it is fast:
 * - A write drops the pages it changes, before its answer is sent: a reply, an edit, a deletion, a
 *   reaction or a vote drops its thread's pages and its board's thread lists (the domain events it
 *   records name them: EventsService publishes them on commit); a pin or lock does the same
 *   explicitly. Other threads', boards' and communities' pages stay cached.
 * - Writes that change nothing a guest sees (log-in, refresh, log-out, sign-up, sessions, joining)
 *   drop nothing; nor does a failed write.
 * - Anything else (a board or its visibility, settings, roles given by a platform admin, any write
 *   route not declared with @GuestCacheEffect) clears the whole cache.
 * - Through Redis (Invalidations) the other instances drop the same pages within milliseconds;
 *   entries also expire after GUEST_CACHE_SECONDS, the bound on staleness if Redis is unreachable.
 * - A page rendered while a write dropped its tags (here or, through Redis, elsewhere) is not
 *   stored: it could hold the state from before the write.
 * Requests with an Authorization header or the web pages' session cookie are never served from or
 * stored in the cache: members see their own reactions and votes, and private boards.
 */
export class GuestCache {
  /** Bounds: 10,000 pages and 32 MB of page text. */
  static readonly MAX_BYTES = 32 * 1024 * 1024;
  private readonly pages: TaggedCache<Entry>;

  constructor(ttlSeconds: number, private readonly invalidations: Invalidations) {
    this.pages = new TaggedCache<Entry>(
      { ttlSeconds, maxEntries: 10_000, maxBytes: GuestCache.MAX_BYTES, sizeOf: (e) => e.body.length },
      invalidations,
    );
  }

  get enabled(): boolean {
    return this.pages.enabled;
  }

  /** Pages currently held (for tests and figures). */
  get size(): number {
    return this.pages.size;
  }

  install(fastify: FastifyInstance): void {
    if (!this.enabled) return;
    fastify.addHook('onRequest', async (request: CachedRequest, reply: FastifyReply) => {
      if (request.method !== 'GET' || request.headers.authorization !== undefined || hasSessionCookie(request.headers)) return;
      if (!(request.routeOptions.config as RouteConfigOf)?.guestCache) return;
      request[STARTED_AT] = this.pages.mark();
      const hit = this.pages.get(request.url);
      if (hit) {
        reply.header('x-cache', 'HIT').type(hit.contentType);
        return reply.send(hit.body);
      }
      reply.header('x-cache', 'MISS');
    });
    fastify.addHook('onSend', async (request: CachedRequest, reply: FastifyReply, payload: unknown) => {
      if (!SAFE_METHODS.has(request.method)) {
        // Before the writer gets its answer: no request that follows it can read the old page.
        const effect = (request.routeOptions.config as RouteConfigOf)?.guestCacheEffect;
        if (reply.statusCode < 400 && effect === undefined) this.invalidations.publish();
        return payload;
      }
      const startedAt = request[STARTED_AT];
      if (startedAt === undefined || reply.statusCode !== 200 || typeof payload !== 'string' || reply.getHeader('x-cache') !== 'MISS') return payload;
      const contentType = String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8');
      this.pages.set(request.url, { body: payload, contentType }, tagsOf(request), startedAt);
      return payload;
    });
  }
}
