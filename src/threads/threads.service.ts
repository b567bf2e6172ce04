import { Inject, Injectable } from '@nestjs/common';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { Cursors } from '../core/pagination/cursors';
import { canStartThread } from '../boards/board-access';
import { BoardsService } from '../boards/boards.service';
import { CommunitiesService } from '../communities/communities.service';
import { AttachmentsService } from './attachments.service';
import { CreateThreadDto, ThreadView } from './dto/threads.dto';
import { PostingRulesService } from './posting-rules.service';
import { ThreadAccessService } from './thread-access.service';
import { CURSORS } from './thread-cursors';
import { tagAndSkuFilters, THREAD_COLUMNS, ThreadRow } from './thread-rows';
import { SharedPages, threadPageBytes } from './shared-pages';
import { ThreadViewsService } from './thread-views.service';
import { ThreadsErrors } from './threads.errors';

/**
 * Threads: start one (with its first post), read one, a board's lists, pin, lock and move. Every
 * read and write checks the board's visibility for the caller (ThreadAccessService, BoardsService)
 * and the caller's role; writes that touch several rows run in one transaction with their event.
 */
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
  ) {}

  async createThread(actor: Actor, boardId: string, dto: CreateThreadDto): Promise<ThreadView> {
    const access = await this.boards.getAccessible(actor, boardId);
    const { board, role } = access;
    if (!canStartThread(board.kind, board.visibility, role)) throw ThreadsErrors.cannotStartThread(board.kind);
    const tags = dto.tags ?? [];
    const skus = dto.productSkus ?? [];
    const threadId = await this.db.transaction(async () => {
      const rendered = await this.rules.render(board.communityId, dto.body);
      await this.rules.enforce(actor, board.communityId, await this.rules.limits(actor, board.communityId, role!, rendered.linkCount));
      const [thread] = await this.db.query<{ id: string }>(
        `INSERT INTO threads (community_id, board_id, author_id, title, tags, product_skus, post_seq, last_poster_id, kind)
         VALUES ($1, $2, $3, $4, $5::text[], $6::text[], 1, $3, $7) RETURNING id`,
        [board.communityId, board.id, actor.userId, dto.title, tags, skus, board.kind],
      );
      const [post] = await this.db.query<{ id: string }>(
        `INSERT INTO posts (thread_id, community_id, board_id, post_number, author_id, author_role, body, html)
         VALUES ($1, $2, $3, 1, $4, $5, $6, $7) RETURNING id`,
        [thread.id, board.communityId, board.id, actor.userId, role, dto.body, rendered.html],
      );
      await this.db.query('UPDATE threads SET first_post_id = $2 WHERE id = $1', [thread.id, post.id]);
      const attached = await this.attachments.attach(actor, board.communityId, post.id, dto.attachmentIds ?? []);
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
        await this.boards.accessibleWithRole(boardId, role);
        return shared.page;
      }
    }
    const mark = this.shared.threads.mark();
    const params: unknown[] = [boardId, limit + 1, communityId, actor?.userId ?? null];
    const where = ['t.board_id = $1', 't.deleted_at IS NULL', ...tagAndSkuFilters(params, query)];
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
    await this.boards.accessibleWithRole(boardId, role);
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

  async setPinned(actor: Actor, threadId: string, pinned: boolean): Promise<ThreadView> {
    const { thread } = await this.access.moderator(actor, threadId);
    await this.db.query('UPDATE threads SET pinned = $2 WHERE id = $1', [threadId, pinned]);
    // No event for these yet: the thread's pages and its board's lists change all the same.
    this.invalidations.publish({ threadIds: [threadId], boardIds: [thread.board_id] });
    return this.getThread(actor, threadId);
  }

  async setLocked(actor: Actor, threadId: string, locked: boolean): Promise<ThreadView> {
    const { thread } = await this.access.moderator(actor, threadId);
    await this.db.query('UPDATE threads SET locked = $2 WHERE id = $1', [threadId, locked]);
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
}
