import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';

/** A post as moderation decides on it, with its thread's facts (for the events of approval). */
export interface ModeratedPostState {
  id: string;
  thread_id: string;
  community_id: string;
  board_id: string;
  author_id: string;
  post_number: number;
  hidden: boolean;
  queued: boolean;
  reply_to_post_id: string | null;
  title: string;
  tags: string[];
  product_skus: string[];
  kind: string;
  has_image: boolean;
}

/**
 * Moderation's changes to a post's visibility, in the caller's transaction with their events: hide
 * (post.hidden), restore (post.restored) and approve a post held for review (its thread.created or
 * post.created, recorded only now, then post.approved). Hiding or holding a thread's first post hides
 * the thread (threads.hidden). Each event names the thread and board, so guest and shared pages drop on commit.
 */
@Injectable()
export class PostVisibilityService {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
  ) {}

  /** A live post (not deleted, nor its thread), locked for the caller's transaction when `lock`. */
  async state(postId: string, lock = false): Promise<ModeratedPostState | null> {
    const [row] = await this.db.query<ModeratedPostState>(
      `SELECT p.id, p.thread_id, p.community_id, p.board_id, p.author_id, p.post_number, p.hidden, p.queued, p.reply_to_post_id,
              t.title, t.tags, t.product_skus, t.kind, EXISTS (SELECT 1 FROM attachments a WHERE a.post_id = p.id) AS has_image
         FROM posts p JOIN threads t ON t.id = p.thread_id
        WHERE p.id = $1 AND p.deleted_at IS NULL AND t.deleted_at IS NULL ${lock ? 'FOR UPDATE OF p' : ''}`,
      [postId],
    );
    return row ?? null;
  }

  /** Hides a visible post (hiddenBy null: automatically). False when it was hidden already or is gone. */
  async hide(postId: string, hiddenBy: string | null, reason: string): Promise<boolean> {
    return this.db.transaction(async () => {
      const [row] = await this.db.query<{ id: string; thread_id: string; community_id: string; board_id: string; author_id: string; post_number: number }>(
        `UPDATE posts SET hidden = true WHERE id = $1 AND NOT hidden AND deleted_at IS NULL
         RETURNING id, thread_id, community_id, board_id, author_id, post_number`,
        [postId],
      );
      if (!row) return false;
      const isFirst = row.post_number === 1;
      if (isFirst) await this.db.query('UPDATE threads SET hidden = true WHERE id = $1', [row.thread_id]);
      await this.events.record(
        'post.hidden',
        { communityId: row.community_id, boardId: row.board_id, threadId: row.thread_id, postId, authorId: row.author_id, hiddenBy, reason, isFirst },
        row.community_id,
      );
      return true;
    });
  }

  /** Shows a hidden post again; a post held for review is approved instead. False when there was nothing to do. */
  async restore(postId: string, restoredBy: string): Promise<boolean> {
    return this.db.transaction(async () => {
      const post = await this.state(postId, true);
      if (!post || !post.hidden) return false;
      if (post.queued) return this.approve(postId, restoredBy);
      await this.db.query('UPDATE posts SET hidden = false WHERE id = $1', [postId]);
      const isFirst = post.post_number === 1;
      if (isFirst) await this.db.query('UPDATE threads SET hidden = false WHERE id = $1', [post.thread_id]);
      await this.events.record(
        'post.restored',
        { communityId: post.community_id, boardId: post.board_id, threadId: post.thread_id, postId, authorId: post.author_id, restoredBy, isFirst },
        post.community_id,
      );
      return true;
    });
  }

  /**
   * Publishes a post held for review: only now is it counted and are its thread.created (a first post)
   * or post.created recorded, so points and webhooks follow publication; then post.approved.
   */
  async approve(postId: string, approvedBy: string): Promise<boolean> {
    return this.db.transaction(async () => {
      const post = await this.state(postId, true);
      if (!post || !post.queued) return false;
      await this.db.query('UPDATE posts SET hidden = false, queued = false WHERE id = $1', [postId]);
      const isFirst = post.post_number === 1;
      const base = { communityId: post.community_id, boardId: post.board_id, threadId: post.thread_id, postId, authorId: post.author_id };
      if (isFirst) {
        await this.db.query('UPDATE threads SET hidden = false, last_post_at = now() WHERE id = $1', [post.thread_id]);
        await this.events.record(
          'thread.created',
          { ...base, title: post.title, boardKind: post.kind, tags: post.tags, productSkus: post.product_skus, hasImage: post.has_image },
          post.community_id,
        );
      } else {
        await this.db.query('UPDATE threads SET reply_count = reply_count + 1, last_post_at = now(), last_poster_id = $2 WHERE id = $1', [
          post.thread_id,
          post.author_id,
        ]);
        await this.events.record('post.created', { ...base, replyToPostId: post.reply_to_post_id, hasImage: post.has_image }, post.community_id);
      }
      await this.events.record('post.approved', { ...base, approvedBy, isFirst }, post.community_id);
      return true;
    });
  }
}
