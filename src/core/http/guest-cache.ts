import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { Invalidations } from '../cluster/invalidations';

/** Marks a GET route whose answers to guests (requests without an Authorization header) may come from the guest cache. */
export const GuestCacheable = () => RouteConfig({ guestCache: true });

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const GENERATION = Symbol('guestCacheGeneration');

interface Entry {
  body: string;
  contentType: string;
  generation: number;
  expiresAt: number;
}

type CachedRequest = FastifyRequest & { [GENERATION]?: number };

/**
 * The guest cache, like Discourse's anonymous cache: most readers of a brand community are not logged
 * in (search engines, shoppers following a link), and they all get the same page. A guest's GET of a
 * route marked @GuestCacheable() is answered from memory when the same URL was rendered for a guest
 * since the last write, skipping the database and the rest of the pipeline (`x-cache: HIT`).
 *
 * Staying correct matters more than the hit rate, so invalidation is blunt: every successful write
 * request (any method but GET/HEAD/OPTIONS answering < 400) publishes an invalidation before its
 * answer is sent, and any invalidation (this instance's or, through Redis, another's: see
 * Invalidations) clears the whole cache, so the writer, and any guest after them, never see the page
 * from before the write. Writes made outside HTTP publish one themselves. Entries also expire after
 * GUEST_CACHE_SECONDS, the bound on staleness if Redis is unreachable. Requests with an Authorization
 * header are never served from or stored in the cache: members see their own reactions and votes,
 * and private boards.
 */
export class GuestCache {
  private generation = 0;
  private readonly entries: LRUCache<string, Entry>;

  constructor(
    private readonly ttlSeconds: number,
    private readonly invalidations: Invalidations,
  ) {
    this.entries = new LRUCache<string, Entry>({ max: 10_000, maxSize: 32 * 1024 * 1024, sizeCalculation: (e) => e.body.length + 64 });
    invalidations.subscribe(() => this.forget());
  }

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  private forget() {
    this.generation++;
    // The generation already retires every entry; clearing frees their memory (and costs a pass over
    // the cache's arrays, so only when there is something to free: writes come in bursts).
    if (this.entries.size) this.entries.clear();
  }

  install(fastify: FastifyInstance): void {
    if (!this.enabled) return;
    fastify.addHook('onRequest', async (request: CachedRequest, reply: FastifyReply) => {
      if (request.method !== 'GET' || request.headers.authorization !== undefined) return;
      if (!(request.routeOptions.config as { guestCache?: boolean } | undefined)?.guestCache) return;
      request[GENERATION] = this.generation;
      const hit = this.entries.get(request.url);
      if (hit && hit.generation === this.generation && hit.expiresAt > Date.now()) {
        reply.header('x-cache', 'HIT').type(hit.contentType);
        return reply.send(hit.body);
      }
      reply.header('x-cache', 'MISS');
    });
    fastify.addHook('onSend', async (request: CachedRequest, reply: FastifyReply, payload: unknown) => {
      if (!SAFE_METHODS.has(request.method)) {
        // Before the writer gets its answer: no request that follows it can read the old page.
        if (reply.statusCode < 400) this.invalidations.publish();
        return payload;
      }
      const generation = request[GENERATION];
      // Stored only if no write finished while this page was being rendered (it could hold the old state).
      if (generation === this.generation && reply.statusCode === 200 && typeof payload === 'string' && reply.getHeader('x-cache') === 'MISS') {
        const contentType = String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8');
        this.entries.set(request.url, { body: payload, contentType, generation, expiresAt: Date.now() + this.ttlSeconds * 1000 });
      }
      return payload;
    });
  }
}
