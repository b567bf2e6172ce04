import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { AppError } from '../core/errors/app-error';
import { PostView, ThreadView } from './dto/threads.dto';
import { ModeratedPostState, PostVisibilityService } from './post-visibility.service';
import { PostsService } from './posts.service';
import { ThreadAccessService } from './thread-access.service';
import { ThreadViewsService } from './thread-views.service';

export type { ModeratedPostState } from './post-visibility.service';

/**
 * What the moderation module may read and change of threads and posts (it never touches their tables):
 * reportable posts as a viewer sees them, posts as moderators see them, and hide / restore / approve /
 * delete in the caller's transaction. Moderation depends on this module, never the other way round.
 */
@Injectable()
export class ModeratedContentService {
  constructor(
    private readonly db: Db,
    private readonly access: ThreadAccessService,
    private readonly views: ThreadViewsService,
    private readonly posts: PostsService,
    private readonly visibility: PostVisibilityService,
  ) {}

  /** The post if the viewer can see it (a hidden one: its author and moderators), else null. */
  async visiblePost(actor: Actor, postId: string): Promise<ModeratedPostState | null> {
    try {
      await this.access.post(actor, postId);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return null;
      throw err;
    }
    return this.visibility.state(postId);
  }

  /** A thread's first post (reports on a thread are reports on it) if the viewer can see the thread, else null. */
  async visibleThreadPost(actor: Actor, threadId: string): Promise<ModeratedPostState | null> {
    let firstPostId: string | null;
    try {
      firstPostId = (await this.access.thread(actor, threadId)).thread.first_post_id;
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return null;
      throw err;
    }
    return firstPostId ? this.visiblePost(actor, firstPostId) : null;
  }

  /** A live post, locked for the caller's transaction when `lock`. */
  state(postId: string, lock = false): Promise<ModeratedPostState | null> {
    return this.visibility.state(postId, lock);
  }

  hide(postId: string, by: string | null, reason: string): Promise<boolean> {
    return this.visibility.hide(postId, by, reason);
  }

  restore(postId: string, by: string): Promise<boolean> {
    return this.visibility.restore(postId, by);
  }

  approve(postId: string, by: string): Promise<boolean> {
    return this.visibility.approve(postId, by);
  }

  /** Deletes the post as the moderator would through DELETE /posts/:id (its first post: the thread), with post.deleted. */
  remove(actor: Actor, postId: string): Promise<void> {
    return this.posts.deletePost(actor, postId);
  }

  /** Posts as moderators see them (hidden ones too), with their threads, by post id. */
  async moderatorViews(postIds: string[]): Promise<Map<string, { post: PostView; thread: ThreadView }>> {
    const found = await this.views.postsWithThreads(null, 'moderator', postIds);
    return new Map(found.map((f) => [f.post.id, f]));
  }

  /** Published posts per member in the community, each count capped at `cap` (trust levels need no more). */
  async publishedPostCounts(communityId: string, userIds: string[], cap: number): Promise<Map<string, number>> {
    if (!userIds.length) return new Map();
    const rows = await this.db.query<{ user_id: string; n: number }>(
      `SELECT u.id AS user_id,
              (SELECT count(*)::int FROM (SELECT 1 FROM posts p WHERE p.community_id = $1 AND p.author_id = u.id
                                            AND p.deleted_at IS NULL AND NOT p.queued LIMIT $3) x) AS n
         FROM unnest($2::uuid[]) AS u(id)`,
      [communityId, userIds, cap],
    );
    return new Map(rows.map((r) => [r.user_id, r.n]));
  }
}
