import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { Invalidation, Invalidations } from '../cluster/invalidations';

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
/** Precise invalidations remembered, so a page rendered while one happened is not stored. */
const LOG_SIZE = 4096;

interface Entry {
  body: string;
  contentType: string;
  tags: string[];
  expiresAt: number;
}

type CachedRequest = FastifyRequest & { [STARTED_AT]?: number };
type RouteConfigOf = { guestCache?: boolean; guestCacheEffect?: 'none' | 'events' } | undefined;

/**
 * The tags of a cached page, from its route: a thread's page and its posts carry `thread:<id>`, a
 * board's thread list `board:<id>`, the community routes `community:<slug>` (cleared only by a full
 * clear: what they show changes with boards and settings, which clear everything).
 */
function tagsOf(request: FastifyRequest): string[] {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  if (params.threadId) return [`thread:${params.threadId}`];
  if (params.boardId) return [`board:${params.boardId}`];
  if (params.slug) return [`community:${params.slug}`];
  return [];
}

/** The tags an invalidation drops, or null for "everything". Session changes concern no page. */
function tagsDropped(invalidation: Invalidation): string[] | null {
  const { threadIds, boardIds, sessionId, boardId } = invalidation;
  if (boardId !== undefined) return null; // a board row changed: its visibility may hide or reveal pages anywhere
  if (threadIds !== undefined || boardIds !== undefined) {
    return [...(threadIds ?? []).map((id) => `thread:${id}`), ...(boardIds ?? []).map((id) => `board:${id}`)];
  }
  if (sessionId !== undefined) return [];
  return null;
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
 * Requests with an Authorization header are never served from or stored in the cache: members see
 * their own reactions and votes, and private boards.
 */
export class GuestCache {
  /** Bumped by every invalidation that drops pages; the log says which tags each one dropped. */
  private epoch = 0;
  private readonly log: Array<{ epoch: number; tags: Set<string> | null }> = [];
  private readonly entries: LRUCache<string, Entry>;
  private readonly byTag = new Map<string, Set<string>>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly invalidations: Invalidations,
  ) {
    this.entries = new LRUCache<string, Entry>({
      max: 10_000,
      maxSize: 32 * 1024 * 1024,
      sizeCalculation: (e) => e.body.length + 64,
      dispose: (entry, url) => this.unindex(url, entry.tags),
    });
    invalidations.subscribe((invalidation) => this.drop(tagsDropped(invalidation)));
  }

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  /** Pages currently held (for tests and figures). */
  get size(): number {
    return this.entries.size;
  }

  private drop(tags: string[] | null) {
    if (tags !== null && !tags.length) return;
    this.epoch++;
    this.log.push({ epoch: this.epoch, tags: tags && new Set(tags) });
    if (this.log.length > LOG_SIZE) this.log.splice(0, this.log.length - LOG_SIZE);
    if (tags === null) {
      if (this.entries.size) this.entries.clear();
      return;
    }
    for (const tag of tags) {
      const urls = this.byTag.get(tag);
      if (urls) for (const url of [...urls]) this.entries.delete(url);
    }
  }

  /** Whether an invalidation since `startedAt` dropped any of `tags` (or everything). */
  private droppedSince(startedAt: number, tags: string[]): boolean {
    if (startedAt === this.epoch) return false;
    const oldest = this.log[0];
    if (!oldest || oldest.epoch > startedAt + 1) return true; // the log no longer reaches back: assume so
    for (let i = this.log.length - 1; i >= 0 && this.log[i].epoch > startedAt; i--) {
      const dropped = this.log[i].tags;
      if (dropped === null || tags.some((t) => dropped.has(t))) return true;
    }
    return false;
  }

  private index(url: string, tags: string[]) {
    for (const tag of tags) {
      let urls = this.byTag.get(tag);
      if (!urls) this.byTag.set(tag, (urls = new Set()));
      urls.add(url);
    }
  }

  private unindex(url: string, tags: string[]) {
    for (const tag of tags) {
      const urls = this.byTag.get(tag);
      if (!urls) continue;
      urls.delete(url);
      if (!urls.size) this.byTag.delete(tag);
    }
  }

  install(fastify: FastifyInstance): void {
    if (!this.enabled) return;
    fastify.addHook('onRequest', async (request: CachedRequest, reply: FastifyReply) => {
      if (request.method !== 'GET' || request.headers.authorization !== undefined) return;
      if (!(request.routeOptions.config as RouteConfigOf)?.guestCache) return;
      request[STARTED_AT] = this.epoch;
      const hit = this.entries.get(request.url);
      if (hit && hit.expiresAt > Date.now()) {
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
      const tags = tagsOf(request);
      if (this.droppedSince(startedAt, tags)) return payload;
      const contentType = String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8');
      this.entries.set(request.url, { body: payload, contentType, tags, expiresAt: Date.now() + this.ttlSeconds * 1000 });
      this.index(request.url, tags);
      return payload;
    });
  }
}
