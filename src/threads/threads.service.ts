import { Inject, Injectable } from '@nestjs/common';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { Cursors } from '../core/pagination/cursors';
import { CommunityPolicy } from '../core/policy/community-policy';
import { canStartThread } from '../boards/board-access';
import { BoardsService } from '../boards/boards.service';
import { CommunitiesService } from '../communities/communities.service';
import { AttachmentsService } from './attachments.service';
import { CreateThreadDto, ThreadView } from './dto/threads.dto';
import { PostingRulesService } from './posting-rules.service';
import { PostMentionsService } from './post-mentions.service';
import { ThreadAccessService } from './thread-access.service';
import { CURSORS } from './thread-cursors';
import { MODERATOR_ROLES, tagAndSkuFilters, THREAD_COLUMNS, ThreadRow } from './thread-rows';
import { SharedPages, threadPageBytes } from './shared-pages';
import { ThreadViewsService } from './thread-views.service';
import { ThreadsErrors } from './threads.errors';
import { VerifiedBuyersService } from './verified-buyers.service';

/**
 * Threads: start one (with its first post), read one, a board's lists, pin, lock and move. Every
 * read and write checks the board's visibility for the caller (ThreadAccessService, BoardsService)
 * and the caller's role; writes that touch several rows run in one transaction with their event.
 */
/** What a member profile counts (ThreadsService.memberActivityCounts). */
export interface MemberActivityCounts {
  threads: number;
  replies: number;
  acceptedAnswers: number;
}

@Injectable()
export class ThreadsService {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly boards: BoardsService,
    private readonly communities: CommunitiesService,
    private readonly attachments: AttachmentsService,
    private readonly access: ThreadAccessService,
    private readonly rules: PostingRulesService,
    private readonly views: ThreadViewsService,
    private readonly cursors: Cursors,
    private readonly shared: SharedPages,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
    private readonly policy: CommunityPolicy,
    private readonly verifiedBuyers: VerifiedBuyersService,
    private readonly mentions: PostMentionsService,
  ) {}

  async createThread(actor: Actor, boardId: string, dto: CreateThreadDto): Promise<ThreadView> {
    const access = await this.boards.getAccessible(actor, boardId);
    const { board, role } = access;
    if (!canStartThread(board.kind, board.visibility, role)) throw ThreadsErrors.cannotStartThread(board.kind);
    await this.policy.assertMay(board.communityId, actor.userId, 'post');
    const verdict = await this.policy.screen(board.communityId, actor.userId, 'thread', { title: dto.title, body: dto.body });
    // Held for review: stored hidden, and thread.created is recorded only when a moderator approves it.
    const queued = verdict.action === 'queue';
    const tags = dto.tags ?? [];
    const skus = dto.productSkus ?? [];
    const threadId = await this.db.transaction(async () => {
      const rendered = await this.rules.render(board.communityId, dto.body);
      await this.rules.enforce(actor, board.communityId, await this.rules.limits(actor, board.communityId, role!, rendered.linkCount));
      const [thread] = await this.db.query<{ id: string }>(
        `INSERT INTO threads (community_id, board_id, author_id, title, tags, product_skus, post_seq, last_poster_id, kind, hidden)
         VALUES ($1, $2, $3, $4, $5::text[], $6::text[], 1, $3, $7, $8) RETURNING id`,
        [board.communityId, board.id, actor.userId, dto.title, tags, skus, board.kind, queued],
      );
      const verifiedBuyer = await this.verifiedBuyers.isBuyer(board.communityId, actor.userId, skus);
      const [post] = await this.db.query<{ id: string }>(
        `INSERT INTO posts (thread_id, community_id, board_id, post_number, author_id, author_role, body, html, hidden, queued, verified_buyer)
         VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $8, $9) RETURNING id`,
        [thread.id, board.communityId, board.id, actor.userId, role, dto.body, rendered.html, queued, verifiedBuyer],
      );
      await this.db.query('UPDATE threads SET first_post_id = $2 WHERE id = $1', [thread.id, post.id]);
      await this.mentions.record(post.id, await this.mentions.resolve(board.communityId, rendered.mentions));
      const attached = await this.attachments.attach(actor, board.communityId, post.id, dto.attachmentIds ?? []);
      await this.policy.screened(board.communityId, { kind: 'thread', targetId: post.id, authorId: actor.userId, verdict });
      if (queued) return thread.id;
      await this.events.record(
        'thread.created',
        {
          communityId: board.communityId,
          boardId: board.id,
          threadId: thread.id,
          postId: post.id,
          authorId: actor.userId,
          title: dto.title,
          boardKind: board.kind,
          tags,
          productSkus: skus,
          hasImage: attached > 0,
        },
        board.communityId,
      );
      return thread.id;
    });
    return this.getThread(actor, threadId);
  }

  async getThread(actor: Actor | null, threadId: string): Promise<ThreadView> {
    const { thread, access } = await this.access.thread(actor, threadId);
    const [view] = await this.views.threadViewsOf([thread]);
    const firstPost = thread.first_post_id ? await this.views.postsByIds(actor, [thread.first_post_id], access.role) : [];
    return { ...view, firstPost: firstPost[0] };
  }

  /**
   * A board's threads. latest: by last activity, pinned first; top: by score plus reactions on the
   * first post; unanswered: threads with no reply yet, newest first. Keyset pages.
   */
  async listThreads(
    actor: Actor | null,
    boardId: string,
    query: { sort?: 'latest' | 'top' | 'unanswered'; tag?: string; sku?: string; limit?: number; cursor?: string },
  ): Promise<Page<ThreadView>> {
    const communityId = await this.boards.communityOf(boardId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const sort = query.sort ?? 'latest';
    // A board's list is the same for everyone who may see the board (see SharedPages): members pay one
    // indexed lookup of their role.
    const key = `${boardId}|${sort}|${query.tag ?? ''}|${query.sku ?? ''}|${limit}|${query.cursor ?? ''}`;
    const shared = this.shared.threads.get(key);
    if (shared) {
      const role = actor ? await this.communities.roleOf(actor, communityId) : null;
      if (!roleAtLeast(role, 'moderator')) {
        await this.access.assertMayRead(actor, await this.boards.accessibleWithRole(boardId, role));
        return shared.page;
      }
    }
    const mark = this.shared.threads.mark();
    const params: unknown[] = [boardId, limit + 1, communityId, actor?.userId ?? null, actor?.isPlatformAdmin ?? false, MODERATOR_ROLES];
    // Threads hidden by moderation (their first post hidden or held for review) are listed for moderators only.
    const where = ['t.board_id = $1', 't.deleted_at IS NULL', '(NOT t.hidden OR $5::boolean OR r.viewer_role = ANY($6::text[]))', ...tagAndSkuFilters(params, query)];
    let order: string;
    if (sort === 'latest') {
      const after = this.cursors.decode(CURSORS.latest, query.cursor);
      if (after) {
        params.push(after[0], after[1], after[2]);
        where.push(`(t.pinned, t.last_post_at, t.id) < ($${params.length - 2}::boolean, $${params.length - 1}::timestamptz, $${params.length}::uuid)`);
      }
      order = 't.pinned DESC, t.last_post_at DESC, t.id DESC';
    } else if (sort === 'top') {
      const after = this.cursors.decode(CURSORS.top, query.cursor);
      if (after) {
        params.push(after[0], after[1], after[2]);
        where.push(`((t.score + t.reaction_count), t.last_post_at, t.id) < ($${params.length - 2}::int, $${params.length - 1}::timestamptz, $${params.length}::uuid)`);
      }
      order = '(t.score + t.reaction_count) DESC, t.last_post_at DESC, t.id DESC';
    } else {
      where.push('t.reply_count = 0');
      const after = this.cursors.decode(CURSORS.unanswered, query.cursor);
      if (after) {
        params.push(after[0], after[1]);
        where.push(`(t.created_at, t.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
      }
      order = 't.created_at DESC, t.id DESC';
    }
    const keyColumn = sort === 'unanswered' ? 't.created_at' : 't.last_post_at';
    // One round trip: the caller's role and the page; the page is thrown away if the board is hidden from them.
    const result = await this.db.query<ThreadRow & { k: string; viewer_role: Role | null }>(
      `SELECT r.viewer_role, page.* FROM (SELECT ${this.communities.membershipRoleSql('$3::uuid', '$4')} AS viewer_role) r
         LEFT JOIN LATERAL (
           SELECT ${THREAD_COLUMNS}, ${keyColumn}::text AS k FROM threads t WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT $2
         ) page ON true`,
      params,
    );
    const role = this.communities.effectiveRole(actor, result[0].viewer_role);
    await this.access.assertMayRead(actor, await this.boards.accessibleWithRole(boardId, role));
    const rows = result[0].id === null ? [] : result;
    const views = await this.views.threadViewsOf(rows.slice(0, limit));
    const byId = new Map(views.map((v) => [v.id, v]));
    const view = (r: ThreadRow) => byId.get(r.id)!;
    const page =
      sort === 'latest'
        ? this.cursors.page(CURSORS.latest, rows, limit, view, (r) => [r.pinned, r.k, r.id])
        : sort === 'top'
          ? this.cursors.page(CURSORS.top, rows, limit, view, (r) => [r.score + r.reaction_count, r.k, r.id])
          : this.cursors.page(CURSORS.unanswered, rows, limit, view, (r) => [r.k, r.id]);
    if (!roleAtLeast(role, 'moderator')) this.shared.threads.set(key, { page, boardId, communityId, bytes: threadPageBytes(page) }, [`board:${boardId}`], mark);
    return page;
  }

  /** Pin or unpin; thread.pinned (for the audit log) names the thread and board, so their pages drop on commit. */
  async setPinned(actor: Actor, threadId: string, pinned: boolean): Promise<ThreadView> {
    const { thread } = await this.access.moderator(actor, threadId);
    await this.db.transaction(async () => {
      const { affected } = await this.db.execute('UPDATE threads SET pinned = $2 WHERE id = $1 AND pinned <> $2', [threadId, pinned]);
      if (!affected) return;
      const data = { communityId: thread.community_id, boardId: thread.board_id, threadId, authorId: thread.author_id, pinned, by: actor.userId };
      await this.events.record('thread.pinned', data, thread.community_id);
    });
    this.invalidations.publish({ threadIds: [threadId], boardIds: [thread.board_id] });
    return this.getThread(actor, threadId);
  }

  async setLocked(actor: Actor, threadId: string, locked: boolean): Promise<ThreadView> {
    const { thread } = await this.access.moderator(actor, threadId);
    await this.db.transaction(async () => {
      const { affected } = await this.db.execute('UPDATE threads SET locked = $2 WHERE id = $1 AND locked <> $2', [threadId, locked]);
      if (!affected) return;
      const data = { communityId: thread.community_id, boardId: thread.board_id, threadId, authorId: thread.author_id, locked, by: actor.userId };
      await this.events.record('thread.locked', data, thread.community_id);
    });
    this.invalidations.publish({ threadIds: [threadId], boardIds: [thread.board_id] });
    return this.getThread(actor, threadId);
  }

  /** Moves a thread (and its posts) to another board of the same community that the moderator can see. */
  async move(actor: Actor, threadId: string, targetBoardId: string): Promise<ThreadView> {
    const { thread } = await this.access.moderator(actor, threadId);
    const target = await this.boards.getAccessible(actor, targetBoardId);
    if (target.board.communityId !== thread.community_id) throw ThreadsErrors.boardOtherCommunity();
    if (target.board.id !== thread.board_id) {
      await this.db.transaction(async () => {
        await this.db.query('UPDATE threads SET board_id = $2, kind = $3 WHERE id = $1', [threadId, target.board.id, target.board.kind]);
        await this.db.query('UPDATE posts SET board_id = $2 WHERE thread_id = $1', [threadId, target.board.id]);
        await this.events.record(
          'thread.moved',
          {
            communityId: thread.community_id,
            boardId: target.board.id,
            fromBoardId: thread.board_id,
            threadId,
            authorId: thread.author_id,
            tags: thread.tags,
            productSkus: thread.product_skus,
            movedBy: actor.userId,
          },
          thread.community_id,
        );
      });
    }
    return this.getThread(actor, threadId);
  }

  /**
   * A member's threads, replies and accepted answers in a community, counting only what a viewer with
   * `viewerRole` may read: live, not hidden (nor held for review), on boards that role may see, in
   * threads that are themselves live and not hidden. For the member profile (src/profiles).
   */
  async memberActivityCounts(communityId: string, userId: string, viewerRole: Role | null): Promise<MemberActivityCounts> {
    const boardIds = await this.boards.visibleBoardIds(communityId, viewerRole);
    if (!boardIds.length) return { threads: 0, replies: 0, acceptedAnswers: 0 };
    const [row] = await this.db.query<MemberActivityCounts>(
      `SELECT
         (SELECT count(*)::int FROM threads t
           WHERE t.author_id = $2 AND t.community_id = $1 AND t.board_id = ANY($3::uuid[]) AND t.deleted_at IS NULL AND NOT t.hidden) AS "threads",
         (SELECT count(*)::int FROM posts p JOIN threads t ON t.id = p.thread_id
           WHERE p.author_id = $2 AND p.community_id = $1 AND p.post_number > 1 AND p.deleted_at IS NULL AND NOT p.hidden
             AND t.board_id = ANY($3::uuid[]) AND t.deleted_at IS NULL AND NOT t.hidden) AS "replies",
         (SELECT count(*)::int FROM posts p JOIN threads t ON t.accepted_post_id = p.id
           WHERE p.author_id = $2 AND p.community_id = $1 AND p.deleted_at IS NULL AND NOT p.hidden
             AND t.board_id = ANY($3::uuid[]) AND t.deleted_at IS NULL AND NOT t.hidden) AS "acceptedAnswers"`,
      [communityId, userId, boardIds],
    );
    return row;
  }

  // ---- the member's own content, for their data export (GET /me/export, src/account-data) ----

  /** The member's threads (deleted ones too), oldest first, `limit` after the key `after`. */
  async threadsByAuthor(userId: string, after: ExportKey | null, limit: number): Promise<ExportPage<AuthoredThreadExport>> {
    const rows = await this.db.query<{ id: string; community_id: string; board_id: string; kind: string; title: string; tags: string[]; product_skus: string[]; first_post_id: string | null; created_at: Date; deleted_at: Date | null; k: string }>(
      `SELECT id, community_id, board_id, kind, title, tags, product_skus, first_post_id, created_at, deleted_at, created_at::text AS k FROM threads
        WHERE author_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid)) ORDER BY created_at, id LIMIT $4`,
      [userId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    const items = rows.map((r) => ({
      id: r.id, communityId: r.community_id, boardId: r.board_id, kind: r.kind, title: r.title, tags: r.tags, productSkus: r.product_skus,
      firstPostId: r.first_post_id, createdAt: iso(r.created_at), deletedAt: r.deleted_at ? iso(r.deleted_at) : null,
    }));
    return { items, next: rows.length === limit ? [rows[rows.length - 1].k, rows[rows.length - 1].id] : null };
  }

  /** The member's posts (hidden and deleted ones too) with every revision of each, oldest first. */
  async postsByAuthor(userId: string, after: ExportKey | null, limit: number): Promise<ExportPage<AuthoredPostExport>> {
    const rows = await this.db.query<{ id: string; thread_id: string; community_id: string; post_number: number; body: string; reply_to_post_id: string | null; hidden: boolean; created_at: Date; edited_at: Date | null; deleted_at: Date | null; k: string }>(
      `SELECT id, thread_id, community_id, post_number, body, reply_to_post_id, hidden, created_at, edited_at, deleted_at, created_at::text AS k FROM posts
        WHERE author_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid)) ORDER BY created_at, id LIMIT $4`,
      [userId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    const revisions = rows.length
      ? await this.db.query<{ post_id: string; revision: number; body: string; created_at: Date }>(
          'SELECT post_id, revision, body, created_at FROM post_revisions WHERE post_id = ANY($1::uuid[]) ORDER BY post_id, revision',
          [rows.map((r) => r.id)],
        )
      : [];
    const byPost = new Map<string, AuthoredPostExport['revisions']>();
    for (const r of revisions) byPost.set(r.post_id, [...(byPost.get(r.post_id) ?? []), { revision: r.revision, body: r.body, createdAt: iso(r.created_at) }]);
    const items = rows.map((r) => ({
      id: r.id, threadId: r.thread_id, communityId: r.community_id, postNumber: r.post_number, body: r.body, replyToPostId: r.reply_to_post_id,
      hidden: r.hidden, createdAt: iso(r.created_at), editedAt: r.edited_at ? iso(r.edited_at) : null, deletedAt: r.deleted_at ? iso(r.deleted_at) : null,
      revisions: byPost.get(r.id) ?? [],
    }));
    return { items, next: rows.length === limit ? [rows[rows.length - 1].k, rows[rows.length - 1].id] : null };
  }

  /** The member's reactions (`kind` on `postId`), oldest first. */
  async reactionsByUser(userId: string, after: ExportKey | null, limit: number): Promise<ExportPage<{ postId: string; kind: string; createdAt: string }>> {
    const rows = await this.db.query<{ post_id: string; kind: string; created_at: Date; k: string }>(
      `SELECT post_id, kind, created_at, created_at::text AS k FROM post_reactions
        WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, post_id, kind) > ($2::timestamptz, split_part($3, ':', 1)::uuid, split_part($3, ':', 2)))
        ORDER BY created_at, post_id, kind LIMIT $4`,
      [userId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    const items = rows.map((r) => ({ postId: r.post_id, kind: r.kind, createdAt: iso(r.created_at) }));
    const last = rows[rows.length - 1];
    return { items, next: rows.length === limit ? [last.k, `${last.post_id}:${last.kind}`] : null };
  }

  /** The member's votes on answers (+1 / -1), oldest first. */
  async votesByUser(userId: string, after: ExportKey | null, limit: number): Promise<ExportPage<{ postId: string; value: number; createdAt: string; updatedAt: string }>> {
    const rows = await this.db.query<{ post_id: string; value: number; created_at: Date; updated_at: Date; k: string }>(
      `SELECT post_id, value, created_at, updated_at, created_at::text AS k FROM post_votes
        WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, post_id) > ($2::timestamptz, $3::uuid)) ORDER BY created_at, post_id LIMIT $4`,
      [userId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    const items = rows.map((r) => ({ postId: r.post_id, value: Number(r.value), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) }));
    return { items, next: rows.length === limit ? [rows[rows.length - 1].k, rows[rows.length - 1].post_id] : null };
  }
}

/** A position in a member's export: the last row's creation time (PostgreSQL's text, to the microsecond) and a tie-breaker. */
export type ExportKey = [string, string];
export interface ExportPage<T> {
  items: T[];
  next: ExportKey | null;
}
export interface AuthoredThreadExport {
  id: string; communityId: string; boardId: string; kind: string; title: string; tags: string[]; productSkus: string[];
  firstPostId: string | null; createdAt: string; deletedAt: string | null;
}
export interface AuthoredPostExport {
  id: string; threadId: string; communityId: string; postNumber: number; body: string; replyToPostId: string | null; hidden: boolean;
  createdAt: string; editedAt: string | null; deletedAt: string | null; revisions: Array<{ revision: number; body: string; createdAt: string }>;
}

function iso(d: Date): string {
  return new Date(d).toISOString();
}
