import { LRUCache } from 'lru-cache';
import { Invalidation, Invalidations } from './invalidations';

/** Precise invalidations remembered, so a value computed while one happened is not stored. */
const LOG_SIZE = 4096;

export interface TaggedCacheOptions<V> {
  ttlSeconds: number;
  maxEntries: number;
  /** Bound on the bytes held, as `sizeOf` counts them. */
  maxBytes: number;
  sizeOf: (value: V) => number;
}

interface Entry<V> {
  value: V;
  tags: string[];
  expiresAt: number;
}

/**
 * The tags an invalidation drops, or null for "everything". Tags: `thread:<id>` (a thread's pages),
 * `board:<id>` (a board's thread lists), `community:<slug>` (only dropped by a full clear). Session
 * and member changes concern no page; a board row change (its visibility) may hide or reveal pages anywhere.
 */
export function tagsDropped(invalidation: Invalidation): string[] | null {
  const { threadIds, boardIds, sessionId, boardId, member } = invalidation;
  if (boardId !== undefined) return null;
  if (threadIds !== undefined || boardIds !== undefined) {
    return [...(threadIds ?? []).map((id) => `thread:${id}`), ...(boardIds ?? []).map((id) => `board:${id}`)];
  }
  // A session or a member's standing concerns no shared page (roles are checked on every request).
  if (sessionId !== undefined || member !== undefined) return [];
  return null;
}

/**
 * An in-process cache of rendered pages whose entries carry tags, dropped by the `Invalidations`
 * channel (this instance's writes at once, other instances' through Redis within milliseconds),
 * bounded by entries and bytes, each entry living at most `ttlSeconds` (the staleness bound when
 * Redis is unreachable).
 *
 * A value computed while an invalidation dropped one of its tags is not stored: it may hold the state
 * from before the write. So callers take `mark()` before they read the database and pass it to `set()`.
 */
export class TaggedCache<V> {
  /** Bumped by every invalidation that drops entries; the log says which tags each one dropped. */
  private epoch = 0;
  private readonly log: Array<{ epoch: number; tags: Set<string> | null }> = [];
  private readonly entries: LRUCache<string, Entry<V>>;
  private readonly byTag = new Map<string, Set<string>>();

  constructor(
    private readonly options: TaggedCacheOptions<V>,
    invalidations: Invalidations,
  ) {
    this.entries = new LRUCache<string, Entry<V>>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (e) => Math.max(1, options.sizeOf(e.value) + 64),
      dispose: (entry, key) => this.unindex(key, entry.tags),
    });
    invalidations.subscribe((invalidation) => this.drop(tagsDropped(invalidation)));
  }

  get enabled(): boolean {
    return this.options.ttlSeconds > 0;
  }

  /** Entries currently held (for tests and figures). */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes currently held, as `sizeOf` counts them. */
  get bytes(): number {
    return this.entries.calculatedSize;
  }

  /** Where the invalidations stand: take it before reading what you will `set()`. */
  mark(): number {
    return this.epoch;
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt > Date.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Stores `value` unless an invalidation since `mark` dropped one of its tags. */
  set(key: string, value: V, tags: string[], mark: number): boolean {
    if (!this.enabled || this.droppedSince(mark, tags)) return false;
    this.entries.set(key, { value, tags, expiresAt: Date.now() + this.options.ttlSeconds * 1000 });
    if (this.entries.has(key)) this.index(key, tags);
    return true;
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
      const keys = this.byTag.get(tag);
      if (keys) for (const key of [...keys]) this.entries.delete(key);
    }
  }

  /** Whether an invalidation since `mark` dropped any of `tags` (or everything). */
  private droppedSince(mark: number, tags: string[]): boolean {
    if (mark === this.epoch) return false;
    const oldest = this.log[0];
    if (!oldest || oldest.epoch > mark + 1) return true; // the log no longer reaches back: assume so
    for (let i = this.log.length - 1; i >= 0 && this.log[i].epoch > mark; i--) {
      const dropped = this.log[i].tags;
      if (dropped === null || tags.some((t) => dropped.has(t))) return true;
    }
    return false;
  }

  private index(key: string, tags: string[]) {
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, tags: string[]) {
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (!keys.size) this.byTag.delete(tag);
    }
  }
}
