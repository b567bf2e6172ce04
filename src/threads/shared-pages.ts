import { Inject, Injectable } from '@nestjs/common';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { TaggedCache } from '../core/cluster/tagged-cache';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Page } from '../core/pagination/pagination';
import { PostView, ThreadView } from './dto/threads.dto';

/** A page as every viewer below moderator sees it, with what the access check needs. */
export interface SharedPage<T> {
  page: Page<T>;
  boardId: string;
  communityId: string;
  /** Approximate size in memory, for the byte bound. */
  bytes: number;
}

/**
 * The read model's page cache for members as well as guests. A thread's posts and a board's thread
 * list are the same for every viewer below moderator who may see the board (moderators also see
 * hidden posts and are never served from here); what differs per member (their reactions and vote)
 * is read fresh on every request and laid over the shared page (ThreadViewsService.viewerState). So
 * a member's thread page costs one small indexed query instead of reading and rendering the posts.
 *
 * Entries are tagged like the guest cache's pages (`thread:<id>`, `board:<id>`) and dropped by the
 * same invalidations, before a write's answer is sent: a member always reads their own writes, and
 * others read them as soon as guests do. The member's role and the board's visibility are checked on
 * every request, so a demotion or a board made private takes effect at once.
 *
 * Bounds: 5,000 pages and SHARED_PAGES_MB (16 MB) each for post pages and for thread lists; entries
 * live at most GUEST_CACHE_SECONDS (0 turns this cache off with the guest cache).
 */
@Injectable()
export class SharedPages {
  static readonly MAX_BYTES = 16 * 1024 * 1024;
  readonly posts: TaggedCache<SharedPage<PostView>>;
  readonly threads: TaggedCache<SharedPage<ThreadView>>;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(INVALIDATIONS) invalidations: Invalidations) {
    const options = { ttlSeconds: config.guestCacheSeconds, maxEntries: 5_000, maxBytes: SharedPages.MAX_BYTES, sizeOf: (p: SharedPage<unknown>) => p.bytes };
    this.posts = new TaggedCache<SharedPage<PostView>>(options, invalidations);
    this.threads = new TaggedCache<SharedPage<ThreadView>>(options, invalidations);
  }
}

/** Rough bytes of a page of post views (their texts dominate). */
export function postPageBytes(page: Page<PostView>): number {
  let bytes = 200;
  for (const p of page.items) bytes += 2 * (p.body.length + p.html.length) + 600 + p.attachments.length * 300;
  return bytes;
}

/** Rough bytes of a page of thread views. */
export function threadPageBytes(page: Page<ThreadView>): number {
  let bytes = 200;
  for (const t of page.items) bytes += 2 * t.title.length + 800 + 40 * (t.tags.length + t.productSkus.length);
  return bytes;
}
