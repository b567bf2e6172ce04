import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { PostView } from './dto/threads.dto';
import { Rendered } from './markdown';
import { PostMentionsService } from './post-mentions.service';
import { PostingRulesService } from './posting-rules.service';
import { ThreadAccessService } from './thread-access.service';
import { ThreadViewsService } from './thread-views.service';

/** What the notifications module needs to know about a thread. */
export interface ThreadFacts {
  id: string;
  authorId: string;
  title: string;
  boardId: string;
  communityId: string;
  kind: string;
}

/** What the notifications module needs to know about a post (its markdown body for the excerpt). */
export interface PostFacts {
  id: string;
  threadId: string;
  authorId: string;
  body: string;
  postNumber: number;
  hidden: boolean;
}

/** A thread of a digest: a new thread on a public board. */
export interface DigestThread {
  id: string;
  title: string;
  replyCount: number;
  createdAt: Date;
}

export interface WatchedThread {
  threadId: string;
  boardId: string;
  communityId: string;
}

/**
 * What the chat module reads from threads: who may watch a thread live, a post as everyone who may
 * read its thread sees it (for `post:new`), where threads are now (a move ends some watchers'
 * rights), and the posts' markdown rendering and new-member rule, which chat messages share.
 */
@Injectable()
export class LivePostsService {
  constructor(
    private readonly db: Db,
    private readonly access: ThreadAccessService,
    private readonly views: ThreadViewsService,
    private readonly rules: PostingRulesService,
    private readonly mentions: PostMentionsService,
  ) {}

  /** The thread, if the caller (a guest: null) may read it now; 404 otherwise. */
  async watchable(actor: Actor | null, threadId: string): Promise<WatchedThread> {
    const { thread } = await this.access.thread(actor, threadId);
    return { threadId: thread.id, boardId: thread.board_id, communityId: thread.community_id };
  }

  /**
   * The post as a reader without any state of their own sees it (no reactions of theirs, no vote),
   * or null when it is gone or hidden. Live updates send this to every watcher of the thread.
   */
  async publicPost(postId: string): Promise<PostView | null> {
    const [view] = await this.views.postsByIds(null, [postId], null);
    return view ?? null;
  }

  /** The thread's reply count now (what its page shows; hidden replies still count, as on the server), or null when it is gone. */
  async replyCount(threadId: string): Promise<number | null> {
    const [row] = await this.db.query<{ reply_count: number }>('SELECT reply_count FROM threads WHERE id = $1 AND deleted_at IS NULL', [threadId]);
    return row ? Number(row.reply_count) : null;
  }

  /** Each live thread's board now (deleted threads are missing). */
  async boardsOf(threadIds: string[]): Promise<Map<string, string>> {
    if (!threadIds.length) return new Map();
    const rows = await this.db.query<{ id: string; board_id: string }>(
      'SELECT id, board_id FROM threads WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL',
      [threadIds],
    );
    return new Map(rows.map((r) => [r.id, r.board_id]));
  }

  /** Markdown to sanitized HTML with the community's mentions linked, as for posts. */
  render(communityId: string, body: string): Promise<Rendered> {
    return this.rules.render(communityId, body);
  }

  isNewMember(userId: string, communityId: string, days: number, posts: number): Promise<boolean> {
    return this.rules.isNewMember(userId, communityId, days, posts);
  }

  // ---- for the notifications module ----

  /** A live thread's author, title, board, community and kind; null when it is gone. */
  async threadFacts(threadId: string): Promise<ThreadFacts | null> {
    const [row] = await this.db.query<{ id: string; author_id: string; title: string; board_id: string; community_id: string; kind: string }>(
      'SELECT id, author_id, title, board_id, community_id, kind FROM threads WHERE id = $1 AND deleted_at IS NULL',
      [threadId],
    );
    return row ? { id: row.id, authorId: row.author_id, title: row.title, boardId: row.board_id, communityId: row.community_id, kind: row.kind } : null;
  }

  /** Live posts by id (deleted ones are missing). */
  async postFacts(postIds: string[]): Promise<Map<string, PostFacts>> {
    if (!postIds.length) return new Map();
    const rows = await this.db.query<{ id: string; thread_id: string; author_id: string; body: string; post_number: number; hidden: boolean }>(
      'SELECT id, thread_id, author_id, body, post_number, hidden FROM posts WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL',
      [postIds],
    );
    return new Map(rows.map((r) => [r.id, { id: r.id, threadId: r.thread_id, authorId: r.author_id, body: r.body, postNumber: r.post_number, hidden: r.hidden }]));
  }

  /** Members the post @mentioned (as recorded with its last write, see PostMentionsService), unique; none once it is deleted. */
  mentionedUserIds(postId: string): Promise<string[]> {
    return this.mentions.ofPost(postId);
  }

  /** Whether the user may read the thread now (its board's visibility for their role, sanctions, a hidden thread). */
  async canRead(user: { userId: string; isPlatformAdmin: boolean }, threadId: string): Promise<boolean> {
    try {
      await this.watchable({ userId: user.userId, sessionId: '', isPlatformAdmin: user.isPlatformAdmin }, threadId);
      return true;
    } catch {
      return false;
    }
  }

  /** The most active threads started since `since` on the community's public boards, for digests. */
  async topNewThreads(communityId: string, since: Date, limit: number): Promise<DigestThread[]> {
    const rows = await this.db.query<{ id: string; title: string; reply_count: number; created_at: Date }>(
      `SELECT t.id, t.title, t.reply_count, t.created_at FROM threads t JOIN boards b ON b.id = t.board_id
        WHERE t.community_id = $1 AND t.created_at >= $2 AND t.deleted_at IS NULL AND NOT t.hidden AND b.visibility = 'public'
        ORDER BY t.reply_count + t.score + t.reaction_count DESC, t.created_at DESC, t.id LIMIT $3`,
      [communityId, since, limit],
    );
    return rows.map((r) => ({ id: r.id, title: r.title, replyCount: r.reply_count, createdAt: new Date(r.created_at) }));
  }
}
