import { createHash, randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';

/** What changed, for the in-process caches that hold it. An empty one means "something changed". */
export interface Invalidation {
  /** A board whose row changed (its visibility, say): BoardsService drops its cached row. */
  boardId?: string;
  /** A session revoked or rotated: IdentityService drops its verified access token. */
  sessionId?: string;
  /**
   * Threads whose pages changed (a reply, an edit, a reaction...) and boards whose thread lists
   * changed: the guest cache drops just those pages. See GuestCache for what each field clears.
   */
  threadIds?: string[];
  boardIds?: string[];
  /**
   * A member's standing in a community changed (role, sanction, left): caches of it drop, and the
   * realtime gateway re-checks (or ends) that member's sockets in the community.
   */
  member?: { communityId: string; userId: string };
}

export const INVALIDATIONS = Symbol('INVALIDATIONS');

type Listener = (invalidation: Invalidation) => void;

/**
 * Keeps the in-process caches of every instance in step. publish() runs this instance's listeners
 * at once and, with REDIS_URL, the other instances' a moment later (Redis pub/sub). The channel is
 * named after a hash of the database the instance serves, so only instances of one deployment hear
 * each other. Without Redis there is one instance to tell; the caches' own TTLs bound what a lost
 * message (Redis down) can leave stale.
 */
export class Invalidations {
  private readonly instanceId = randomUUID();
  private readonly channel: string;
  private readonly listeners: Listener[] = [];
  private subscriber: Redis | null = null;

  constructor(
    private readonly redis: Redis | null,
    private readonly logger: Logger,
    /** What names the database (its URL, or the embedded data directory); only a hash of it is used. */
    database: string,
  ) {
    this.channel = `hearth:invalidate:${createHash('sha256').update(database).digest('hex').slice(0, 24)}`;
  }

  subscribe(listener: Listener): void {
    this.listeners.push(listener);
  }

  publish(invalidation: Invalidation = {}): void {
    this.notify(invalidation);
    this.redis
      ?.publish(this.channel, JSON.stringify({ from: this.instanceId, ...invalidation }))
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'invalidations: could not publish'));
  }

  /** Listens to the other instances (with Redis). Until then, and after each reconnect, messages may have been missed: listeners hear "something changed". */
  async start(): Promise<void> {
    if (!this.redis) return;
    this.subscriber = this.redis.duplicate({ enableOfflineQueue: true });
    this.subscriber.on('error', (err) => this.logger.warn({ err: err.message }, 'invalidations: redis subscriber error'));
    this.subscriber.on('message', (_channel, message: string) => this.received(message));
    this.subscriber.on('ready', () => this.notify({}));
    await this.subscriber.subscribe(this.channel).then(
      () => this.notify({}),
      (err: Error) => this.logger.warn({ err: err.message }, 'invalidations: could not subscribe; caches rely on their TTLs'),
    );
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  private received(message: string) {
    let parsed: Invalidation & { from?: string };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (parsed.from === this.instanceId) return;
    const invalidation: Invalidation = {};
    if (typeof parsed.boardId === 'string') invalidation.boardId = parsed.boardId;
    if (typeof parsed.sessionId === 'string') invalidation.sessionId = parsed.sessionId;
    const ids = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined);
    if (parsed.threadIds !== undefined) invalidation.threadIds = ids(parsed.threadIds) ?? [];
    if (parsed.boardIds !== undefined) invalidation.boardIds = ids(parsed.boardIds) ?? [];
    const member = parsed.member as { communityId?: unknown; userId?: unknown } | undefined;
    if (member && typeof member.communityId === 'string' && typeof member.userId === 'string') {
      invalidation.member = { communityId: member.communityId, userId: member.userId };
    }
    this.notify(invalidation);
  }

  private notify(invalidation: Invalidation) {
    for (const listener of this.listeners) {
      try {
        listener(invalidation);
      } catch (err) {
        this.logger.error({ err }, 'invalidations: a listener failed');
      }
    }
  }
}
