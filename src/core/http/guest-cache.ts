import { createHash, randomUUID } from 'node:crypto';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';

/** Marks a GET route whose answers to guests (requests without an Authorization header) may come from the guest cache. */
export const GuestCacheable = () => RouteConfig({ guestCache: true });

export const GUEST_CACHE = Symbol('GUEST_CACHE');

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const GENERATION = Symbol('guestCacheGeneration');

interface Entry {
  body: string;
  contentType: string;
  generation: number;
  expiresAt: number;
}

type CachedRequest = FastifyRequest & { [GENERATION]?: number };

/** What an invalidation names besides "something changed", for other in-process caches to drop too. */
export interface Invalidation {
  /** A board whose row changed (its visibility, say): BoardsService drops it from its row cache. */
  boardId?: string;
  /** A session revoked or rotated: IdentityService drops its verified access token. */
  sessionId?: string;
}

/**
 * The guest cache, like Discourse's anonymous cache: most readers of a brand community are not logged
 * in (search engines, shoppers following a link), and they all get the same page. A guest's GET of a
 * route marked @GuestCacheable() is answered from memory when the same URL was rendered for a guest
 * since the last write, skipping the database and the rest of the pipeline (`x-cache: HIT`).
 *
 * Staying correct matters more than the hit rate, so invalidation is blunt: every successful write
 * request (any method but GET/HEAD/OPTIONS answering < 400) clears the whole cache before its answer
 * is sent, so the writer, and any guest after them, never see the page from before the write. Writes
 * made outside HTTP call invalidate(). With REDIS_URL, an invalidation is published to the other
 * instances (they clear theirs within milliseconds); entries also expire after GUEST_CACHE_SECONDS,
 * the bound on staleness if Redis is unreachable. Requests with an Authorization header are never
 * served from or stored in the cache: members see their own reactions and votes, and private boards.
 *
 * The same Redis channel carries what an invalidation names (see Invalidation), so the caches the
 * guest pages are built from are dropped on every instance in the same moment (onInvalidate);
 * otherwise another instance could rebuild a guest page from its own stale copy of a board row.
 */
export class GuestCache {
  private generation = 0;
  private readonly entries: LRUCache<string, Entry>;
  private readonly instanceId = randomUUID();
  private subscriber: Redis | null = null;
  private readonly listeners: Array<(invalidation: Invalidation) => void> = [];
  /** One channel per database: the instances that share a database are the ones that must hear each other. */
  private readonly channel: string;

  constructor(
    private readonly ttlSeconds: number,
    private readonly redis: Redis | null,
    private readonly logger: Logger,
    /** What names the database the instance serves (its URL, or the embedded data directory); only a hash of it is used. */
    database: string,
  ) {
    this.channel = `hearth:invalidate:${createHash('sha256').update(database).digest('hex').slice(0, 24)}`;
    this.entries = new LRUCache<string, Entry>({ max: 10_000, maxSize: 32 * 1024 * 1024, sizeCalculation: (e) => e.body.length + 64 });
  }

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  /**
   * Forgets every cached page: here at once, on the other instances (through Redis) a moment later,
   * where the onInvalidate listeners also hear what it names.
   */
  invalidate(invalidation: Invalidation = {}): void {
    this.forget();
    this.redis
      ?.publish(this.channel, JSON.stringify({ from: this.instanceId, ...invalidation }))
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'guest cache: could not publish an invalidation'));
  }

  /** Hears the invalidations other instances publish (the local caller drops its own entries itself). */
  onInvalidate(listener: (invalidation: Invalidation) => void): void {
    this.listeners.push(listener);
  }

  private received(message: string) {
    let parsed: Invalidation & { from?: string };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (parsed.from === this.instanceId) return;
    this.forget();
    const invalidation: Invalidation = {};
    if (typeof parsed.boardId === 'string') invalidation.boardId = parsed.boardId;
    if (typeof parsed.sessionId === 'string') invalidation.sessionId = parsed.sessionId;
    for (const listener of this.listeners) listener(invalidation);
  }

  private forget() {
    this.generation++;
    // The generation already retires every entry; clearing frees their memory (and costs a pass over
    // the cache's arrays, so only when there is something to free: writes come in bursts).
    if (this.entries.size) this.entries.clear();
  }

  async install(fastify: FastifyInstance): Promise<void> {
    if (this.redis) {
      this.subscriber = this.redis.duplicate({ enableOfflineQueue: true });
      this.subscriber.on('error', (err) => this.logger.warn({ err: err.message }, 'guest cache: redis subscriber error'));
      this.subscriber.on('message', (_channel, message: string) => this.received(message));
      // After a reconnect, invalidations sent while it was down are lost: start over.
      this.subscriber.on('ready', () => this.forget());
      // Until the subscription stands, another instance's writes could be missed: drop what was cached meanwhile.
      await this.subscriber.subscribe(this.channel).then(
        () => this.forget(),
        (err: Error) => this.logger.warn({ err: err.message }, 'guest cache: could not subscribe; entries expire after their TTL'),
      );
    }
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
        if (reply.statusCode < 400) this.invalidate();
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

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }
}
