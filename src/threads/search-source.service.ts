import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { PostView, ThreadView } from './dto/threads.dto';
import { THREAD_COLUMNS, ThreadRow } from './thread-rows';
import { ThreadViewsService } from './thread-views.service';

/**
 * What the search module reads of threads and posts: the views of the hits its index found. A hit
 * without a post of its own shows the thread's first post; deleted threads and posts the viewer may
 * not see are left out.
 */
@Injectable()
export class SearchSourceService {
  constructor(
    private readonly db: Db,
    private readonly views: ThreadViewsService,
  ) {}

  async hits(actor: Actor | null, role: Role | null, hits: Array<{ threadId: string; postId: string | null }>): Promise<Array<{ thread: ThreadView; post: PostView }>> {
    if (!hits.length) return [];
    const rows = await this.db.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM threads t WHERE t.id = ANY($1::uuid[]) AND t.deleted_at IS NULL`, [hits.map((h) => h.threadId)]);
    const firstPosts = new Map(rows.map((r) => [r.id, r.first_post_id]));
    const threads = new Map((await this.views.threadViewsOf(rows)).map((v) => [v.id, v]));
    const postIds = hits.map((h) => h.postId ?? firstPosts.get(h.threadId) ?? null);
    const posts = new Map((await this.views.postsByIds(actor, postIds.filter((id): id is string => id !== null), role)).map((v) => [v.id, v]));
    return hits.flatMap((h, i) => {
      const thread = threads.get(h.threadId);
      const post = postIds[i] ? posts.get(postIds[i]!) : undefined;
      return thread && post ? [{ thread, post }] : [];
    });
  }
}
