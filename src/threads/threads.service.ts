import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast, ROLES } from '../core/auth/roles';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { CommonErrors } from '../core/errors/app-error';
import { EventsService } from '../core/events/events.service';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { Cursors } from '../core/pagination/cursors';
import { CURSORS } from './thread-cursors';
import { canStartThread } from '../boards/board-access';
import { AccessibleBoard, BoardsService } from '../boards/boards.service';
import { CommunitiesService } from '../communities/communities.service';
import { UserView } from '../identity/dto/auth.dto';
import { IdentityService } from '../identity/identity.service';
import { AttachmentRow, AttachmentsService } from './attachments.service';
import { CreatePostDto, CreateThreadDto, PostView, ReactionKind, ThreadView } from './dto/threads.dto';
import { parseMarkdown, Rendered } from './markdown';
import { SearchRecentPruner } from './search-recent.pruner';
import { ThreadsErrors } from './threads.errors';

export interface ThreadRow {
  id: string;
  community_id: string;
  board_id: string;
  author_id: string;
  title: string;
  tags: string[];
  product_skus: string[];
  pinned: boolean;
  locked: boolean;
  reply_count: number;
  last_post_at: Date;
  last_poster_id: string | null;
  score: number;
  reaction_count: number;
  accepted_post_id: string | null;
  official_post_id: string | null;
  first_post_id: string | null;
  kind: string;
  first_staff_answer_at: Date | null;
  duplicate_of_thread_id: string | null;
  created_at: Date;
  deleted_at: Date | null;
}

export interface PostRow {
  id: string;
  thread_id: string;
  community_id: string;
  board_id: string;
  post_number: number;
  author_id: string;
  author_role: Role;
  body: string;
  html: string;
  reply_to_post_id: string | null;
  reactions: Record<string, number>;
  score: number;
  verified_buyer: boolean;
  hidden: boolean;
  faq_at: Date | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

const THREAD_COLUMNS = `t.id, t.community_id, t.board_id, t.author_id, t.title, t.tags, t.product_skus, t.pinned, t.locked,
  t.reply_count, t.last_post_at, t.last_poster_id, t.score, t.reaction_count, t.accepted_post_id, t.official_post_id,
  t.first_post_id, t.kind, t.first_staff_answer_at, t.duplicate_of_thread_id, t.created_at, t.deleted_at`;
const POST_COLUMNS = `p.id, p.thread_id, p.community_id, p.board_id, p.post_number, p.author_id, p.author_role, p.body, p.html,
  p.reply_to_post_id, p.reactions, p.score, p.verified_buyer, p.hidden, p.faq_at, p.created_at, p.edited_at, p.deleted_at`;

/** The extra columns of a post view (needs `JOIN threads t`): its thread's marks, attachments, and the viewer's reactions and vote. */
function postViewColumns(viewerParam: string): string {
  return `${POST_COLUMNS}, t.accepted_post_id AS thread_accepted_post_id, t.official_post_id AS thread_official_post_id,
    COALESCE((SELECT json_agg(json_build_object('id', a.id, 'post_id', a.post_id, 'file_name', a.file_name, 'content_type', a.content_type,
                'bytes', a.bytes, 'width', a.width, 'height', a.height, 'reuse_consent_at', a.reuse_consent_at,
                'reuse_consent_revoked_at', a.reuse_consent_revoked_at) ORDER BY a.created_at, a.id)
                FROM attachments a WHERE a.post_id = p.id), '[]'::json) AS attachments_json,
    CASE WHEN ${viewerParam}::uuid IS NULL THEN '{}'::text[]
         ELSE ARRAY(SELECT r.kind FROM post_reactions r WHERE r.post_id = p.id AND r.user_id = ${viewerParam}::uuid ORDER BY r.kind) END AS my_reactions,
    CASE WHEN ${viewerParam}::uuid IS NULL THEN NULL
         ELSE (SELECT v.value FROM post_votes v WHERE v.post_id = p.id AND v.user_id = ${viewerParam}::uuid) END AS my_vote`;
}

interface PostViewRow extends PostRow {
  thread_accepted_post_id: string | null;
  thread_official_post_id: string | null;
  attachments_json: AttachmentRow[];
  my_reactions: string[];
  my_vote: number | null;
}

/** The roles that see hidden posts. */
const MODERATOR_ROLES = ROLES.filter((r) => roleAtLeast(r, 'moderator'));

interface PostingLimits {
  /** Seconds between posts that apply to the caller (0: none). */
  cooldown: number;
  /** TOO_MANY_LINKS, when the post breaks the new-member link limit. */
  error: Error | null;
}

const DELETED_USER: UserView = { id: '', displayName: '(deleted)', avatarUrl: null };

/** A thread the caller can see, with the caller's role in its community. */
interface ThreadAccess {
  thread: ThreadRow;
  access: AccessibleBoard;
}

/**
 * Threads and posts. Every read and write checks the board's visibility for the caller (through
 * BoardsService) and the caller's role. Writes that touch several rows run in one transaction
 * together with their outbox event. Reply numbering takes the thread's row lock, so post numbers
 * commit in order and "oldest first" pages never skip a reply that commits late.
 */
@Injectable()
export class ThreadsService {
  /** Post edits per member and minute (staff and above exempt); see editPost. */
  static readonly EDITS_PER_MINUTE = 10;
  private readonly editsPerMember: Limiter;

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly boards: BoardsService,
    private readonly communities: CommunitiesService,
    private readonly identity: IdentityService,
    private readonly attachments: AttachmentsService,
    private readonly searchRecent: SearchRecentPruner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    rateLimits: RateLimitService,
    private readonly cursors: Cursors,
  ) {
    this.editsPerMember = rateLimits.limiter({ name: 'post-edits-user', points: ThreadsService.EDITS_PER_MINUTE, durationSeconds: 60 });
  }

  // ---- threads -------------------------------------------------------------------------------

  async createThread(actor: Actor, boardId: string, dto: CreateThreadDto): Promise<ThreadView> {
    const access = await this.boards.getAccessible(actor, boardId);
    const { board, role } = access;
    if (!canStartThread(board.kind, board.visibility, role)) throw ThreadsErrors.cannotStartThread(board.kind);
    const tags = dto.tags ?? [];
    const skus = dto.productSkus ?? [];
    const threadId = await this.db.transaction(async () => {
      const rendered = await this.render(board.communityId, dto.body);
      await this.enforcePostingLimits(actor, board.communityId, await this.postingLimits(actor, board.communityId, role!, rendered.linkCount));
      const [thread] = await this.db.query<{ id: string }>(
        `INSERT INTO threads (community_id, board_id, author_id, title, tags, product_skus, post_seq, last_poster_id, kind)
         VALUES ($1, $2, $3, $4, $5::text[], $6::text[], 1, $3, $7) RETURNING id`,
        [board.communityId, board.id, actor.userId, dto.title, tags, skus, board.kind],
      );
      const [post] = await this.db.query<{ id: string }>(
        `INSERT INTO posts (thread_id, community_id, board_id, post_number, author_id, author_role, body, html, search_title)
         VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8) RETURNING id`,
        [thread.id, board.communityId, board.id, actor.userId, role, dto.body, rendered.html, dto.title],
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
    this.searchRecent.posted(board.communityId);
    return this.getThread(actor, threadId);
  }

  async getThread(actor: Actor | null, threadId: string): Promise<ThreadView> {
    const { thread, access } = await this.threadAccess(actor, threadId);
    const [view] = await this.toThreadViews([thread]);
    const firstPost = thread.first_post_id ? await this.postsByIds(actor, [thread.first_post_id], access.role) : [];
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
    await this.boards.accessibleWithRole(boardId, this.communities.effectiveRole(actor, result[0].viewer_role));
    const rows = result[0].id === null ? [] : result;
    const views = await this.toThreadViews(rows.slice(0, limit));
    const byId = new Map(views.map((v) => [v.id, v]));
    const view = (r: ThreadRow) => byId.get(r.id)!;
    if (sort === 'latest') return this.cursors.page(CURSORS.latest, rows, limit, view, (r) => [r.pinned, r.k, r.id]);
    if (sort === 'top') return this.cursors.page(CURSORS.top, rows, limit, view, (r) => [r.score + r.reaction_count, r.k, r.id]);
    return this.cursors.page(CURSORS.unanswered, rows, limit, view, (r) => [r.k, r.id]);
  }

  async setPinned(actor: Actor, threadId: string, pinned: boolean): Promise<ThreadView> {
    await this.moderatorAccess(actor, threadId);
    await this.db.query('UPDATE threads SET pinned = $2 WHERE id = $1', [threadId, pinned]);
    return this.getThread(actor, threadId);
  }

  async setLocked(actor: Actor, threadId: string, locked: boolean): Promise<ThreadView> {
    await this.moderatorAccess(actor, threadId);
    await this.db.query('UPDATE threads SET locked = $2 WHERE id = $1', [threadId, locked]);
    return this.getThread(actor, threadId);
  }

  /** Moves a thread (and its posts) to another board of the same community that the moderator can see. */
  async move(actor: Actor, threadId: string, targetBoardId: string): Promise<ThreadView> {
    const { thread } = await this.moderatorAccess(actor, threadId);
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

  // ---- posts ---------------------------------------------------------------------------------

  /**
   * A thread's posts, deleted ones left out: oldest first (by post number), or with sort=score the
   * question first and then the answers by score (ties: oldest first).
   */
  async listPosts(actor: Actor | null, threadId: string, query: { sort?: 'oldest' | 'score'; limit?: number; cursor?: string }): Promise<Page<PostView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const byScore = query.sort === 'score';
    const after: number[] | null = byScore ? this.cursors.decode(CURSORS.postsByScore, query.cursor) : this.cursors.decode(CURSORS.posts, query.cursor);
    // One round trip: the thread (for the visibility check), the caller's role and the page. The page
    // is read before the check and thrown away when the board is hidden from the caller. Hidden posts
    // are listed for moderators and above (and the platform admin, $4).
    // Sort key by score: (is an answer, -score, post number); the question (post 1) sorts first.
    const viewerRole = this.communities.membershipRoleSql('t.community_id', '$3');
    const rows = await this.db.query<PostViewRow & { t_board_id: string; viewer_role: Role | null }>(
      `SELECT t.board_id AS t_board_id, ${viewerRole} AS viewer_role, page.*
         FROM threads t
         LEFT JOIN LATERAL (
           SELECT ${postViewColumns('$3')} FROM posts p
            WHERE p.thread_id = t.id AND p.deleted_at IS NULL
              AND (NOT p.hidden OR $4::boolean OR ${viewerRole} = ANY($5::text[]))
              ${
                byScore
                  ? `AND ($6::int IS NULL OR ((p.post_number > 1)::int, -p.score, p.post_number) > ($6::int, $7::int, $8::int))
            ORDER BY (p.post_number > 1), p.score DESC, p.post_number`
                  : `AND p.post_number > COALESCE($6::int, 0)
            ORDER BY p.post_number`
              }
            LIMIT $2) page ON true
        WHERE t.id = $1 AND t.deleted_at IS NULL`,
      [
        threadId,
        limit + 1,
        actor?.userId ?? null,
        actor?.isPlatformAdmin ?? false,
        MODERATOR_ROLES,
        ...(byScore ? [after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null] : [after?.[0] ?? null]),
      ],
    );
    if (!rows.length) throw ThreadsErrors.threadNotFound();
    await this.boardAccess(actor, rows[0].t_board_id, rows[0].viewer_role, ThreadsErrors.threadNotFound);
    const found = rows[0].id === null ? [] : rows;
    const views = await this.toPostViews(actor, found.slice(0, limit));
    const view = () => views.shift()!;
    return byScore
      ? this.cursors.page(CURSORS.postsByScore, found, limit, view, (r) => [r.post_number > 1 ? 1 : 0, -r.score, r.post_number])
      : this.cursors.page(CURSORS.posts, found, limit, view, (r) => [r.post_number]);
  }

  /** Thread views by id, in the given order (for the Q&A queue). */
  async threadViews(ids: string[]): Promise<ThreadView[]> {
    if (!ids.length) return [];
    const rows = await this.db.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM threads t WHERE t.id = ANY($1::uuid[])`, [ids]);
    const views = new Map((await this.toThreadViews(rows)).map((v) => [v.id, v]));
    return ids.map((id) => views.get(id)).filter((v): v is ThreadView => Boolean(v));
  }

  /** Posts with their threads, in the given order, leaving out deleted ones (for the FAQ). */
  async postsWithThreads(actor: Actor | null, role: Role | null, postIds: string[]): Promise<Array<{ thread: ThreadView; post: PostView }>> {
    const posts = await this.postsByIds(actor, postIds, role);
    const threads = new Map((await this.threadViews([...new Set(posts.map((p) => p.threadId))])).map((t) => [t.id, t]));
    return posts.filter((p) => threads.has(p.threadId)).map((post) => ({ thread: threads.get(post.threadId)!, post }));
  }

  /**
   * Checks, limits and rendering come first. The write itself is one statement: it numbers the reply
   * under the thread's row lock, updates the counters, inserts the post and records `post.created`.
   * A statement is atomic, so a plain reply needs no transaction (and none of its round trips). A
   * transaction wraps it only when more must commit with it: a cooldown's per-member lock and check,
   * attached images, or a staff answer that stops a question's response-time clock.
   */
  async reply(actor: Actor, threadId: string, dto: CreatePostDto): Promise<PostView> {
    const { thread, access } = await this.threadAccess(actor, threadId);
    const role = access.role;
    if (!roleAtLeast(role, 'member')) throw ThreadsErrors.notMember();
    if (dto.replyToPostId) {
      const [target] = await this.db.query('SELECT 1 FROM posts WHERE id = $1 AND thread_id = $2 AND deleted_at IS NULL', [dto.replyToPostId, threadId]);
      if (!target) throw ThreadsErrors.replyToOtherThread();
    }
    const rendered = await this.render(thread.community_id, dto.body);
    const limits = await this.postingLimits(actor, thread.community_id, role!, rendered.linkCount);
    const attachmentIds = dto.attachmentIds ?? [];
    const answersQuestion = thread.kind === 'qa' && !thread.first_staff_answer_at && roleAtLeast(role, 'staff');
    const stopClock = async (post: { id: string; board_id: string; asker_id: string }) => {
      const [answered] = await this.db.query<{ seconds: number }>(
        `UPDATE threads SET first_staff_answer_at = p.created_at, first_staff_answer_post_id = p.id
           FROM posts p WHERE p.id = $2 AND threads.id = $1 AND threads.first_staff_answer_at IS NULL
         RETURNING EXTRACT(EPOCH FROM (threads.first_staff_answer_at - threads.created_at))::float AS seconds`,
        [threadId, post.id],
      );
      if (!answered) return;
      await this.events.record(
        'question.answered_by_staff',
        { communityId: thread.community_id, boardId: post.board_id, threadId, postId: post.id, authorId: actor.userId, askerId: post.asker_id, responseSeconds: answered.seconds },
        thread.community_id,
      );
    };
    const write = async () => {
      await this.enforcePostingLimits(actor, thread.community_id, limits);
      const post = await this.insertReply(actor, thread, role!, dto, rendered.html, attachmentIds.length > 0);
      if (attachmentIds.length) await this.attachments.attach(actor, thread.community_id, post.id, attachmentIds);
      // The first answer by staff (staff, moderator or admin) to a question: the response-time clock stops.
      // (In the reply's transaction; in one of its own only if the thread became a question since it was read.)
      if (post.kind === 'qa' && !post.first_staff_answer_at && roleAtLeast(role, 'staff')) {
        await (this.db.inTransaction ? stopClock(post) : this.db.transaction(() => stopClock(post)));
      }
      return post;
    };
    const post = limits.cooldown > 0 || attachmentIds.length || answersQuestion ? await this.db.transaction(write) : await write();
    this.searchRecent.posted(thread.community_id);
    if (attachmentIds.length) return (await this.postsByIds(actor, [post.id], role))[0];
    // Everything the view shows is known: the statement returned the row, and a new post has no reactions or votes.
    const [view] = await this.toPostViews(actor, [{ ...post, attachments_json: [], my_reactions: [], my_vote: null }]);
    return view;
  }

  /** The reply's one statement (see reply()); 404 or LOCKED when the thread was deleted or locked since it was read. */
  private async insertReply(actor: Actor, thread: ThreadRow, role: Role, dto: CreatePostDto, html: string, hasImage: boolean) {
    const id = randomUUID();
    const params: unknown[] = [thread.id, actor.userId, roleAtLeast(role, 'moderator'), role, dto.body, html, dto.replyToPostId ?? null, id];
    const event = this.events.recordInStatement(
      'post.created',
      { communityId: thread.community_id, boardId: thread.board_id, threadId: thread.id, postId: id, authorId: actor.userId, replyToPostId: dto.replyToPostId ?? null, hasImage },
      thread.community_id,
      params,
      'p',
    );
    const [post] = await this.db.query<PostRow & { thread_accepted_post_id: string | null; thread_official_post_id: string | null; kind: string; first_staff_answer_at: Date | null; asker_id: string }>(
      `WITH t AS (
         UPDATE threads SET post_seq = post_seq + 1, reply_count = reply_count + 1, last_post_at = now(), last_poster_id = $2
          WHERE id = $1 AND deleted_at IS NULL AND (NOT locked OR $3::boolean)
          RETURNING id, community_id, board_id, post_seq, kind, first_staff_answer_at, author_id, accepted_post_id, official_post_id),
       p AS (
         INSERT INTO posts AS p (id, thread_id, community_id, board_id, post_number, author_id, author_role, body, html, reply_to_post_id)
         SELECT $8, t.id, t.community_id, t.board_id, t.post_seq, $2, $4, $5, $6, $7 FROM t
         RETURNING ${POST_COLUMNS}),
       ${event.ctes}
       SELECT p.*, t.accepted_post_id AS thread_accepted_post_id, t.official_post_id AS thread_official_post_id,
              t.kind, t.first_staff_answer_at, t.author_id AS asker_id
         FROM p, t`,
      params,
    );
    if (!post) {
      const [current] = await this.db.query<{ deleted_at: Date | null }>('SELECT deleted_at FROM threads WHERE id = $1', [thread.id]);
      throw !current || current.deleted_at ? ThreadsErrors.threadNotFound() : ThreadsErrors.locked();
    }
    event.recorded();
    return post;
  }

  /**
   * The author or a moderator edits; the previous body is kept as a revision. Edits render a body
   * like posts do, so members get a budget of EDITS_PER_MINUTE (10) a minute across all their posts
   * (429 RATE_LIMITED with Retry-After), spent before the body is rendered. It is a budget rather
   * than the posting cooldown, so fixing a typo right after posting still works; staff, moderators
   * and admins are exempt, so they can clean up at any pace.
   */
  async editPost(actor: Actor, postId: string, body: string): Promise<PostView> {
    const { post, role } = await this.postAccess(actor, postId);
    if (post.author_id !== actor.userId && !roleAtLeast(role, 'moderator')) throw ThreadsErrors.notAuthor();
    if (!roleAtLeast(role, 'staff')) await this.editsPerMember.consume(actor.userId, 'Too many edits, try again in a minute');
    await this.db.transaction(async () => {
      const [current] = await this.db.query<{ body: string; deleted_at: Date | null }>('SELECT body, deleted_at FROM posts WHERE id = $1 FOR UPDATE', [postId]);
      if (!current || current.deleted_at) throw ThreadsErrors.postNotFound();
      const rendered = await this.render(post.community_id, body);
      if (post.author_id === actor.userId && !roleAtLeast(role, 'staff')) {
        const settings = await this.communities.getSettings(post.community_id);
        if (rendered.linkCount > settings.newMemberMaxLinks && (await this.isNewMember(actor.userId, post.community_id, settings.newMemberDays, settings.newMemberPosts))) {
          throw ThreadsErrors.tooManyLinks(settings.newMemberMaxLinks);
        }
      }
      const [rev] = await this.db.query<{ revision: number }>(
        `INSERT INTO post_revisions (post_id, revision, body, editor_id)
         VALUES ($1, (SELECT COALESCE(max(revision), 0) + 1 FROM post_revisions WHERE post_id = $1), $2, $3) RETURNING revision`,
        [postId, current.body, actor.userId],
      );
      await this.db.query('UPDATE posts SET body = $2, html = $3, edited_at = now() WHERE id = $1', [postId, body, rendered.html]);
      await this.events.record(
        'post.edited',
        { communityId: post.community_id, boardId: post.board_id, threadId: post.thread_id, postId, authorId: post.author_id, editedBy: actor.userId, revision: rev.revision },
        post.community_id,
      );
    });
    const [view] = await this.postsByIds(actor, [postId], role);
    return view;
  }

  /** Soft delete by the author or a moderator. Deleting a thread's first post deletes the thread. */
  async deletePost(actor: Actor, postId: string): Promise<void> {
    const { post, role } = await this.postAccess(actor, postId);
    if (post.author_id !== actor.userId && !roleAtLeast(role, 'moderator')) throw ThreadsErrors.notAuthor();
    await this.db.transaction(async () => {
      const [thread] = await this.db.query<{ first_post_id: string }>('SELECT first_post_id FROM threads WHERE id = $1 FOR UPDATE', [post.thread_id]);
      const { affected } = await this.db.execute(
        'UPDATE posts SET deleted_at = now(), deleted_by = $2 WHERE id = $1 AND deleted_at IS NULL',
        [postId, actor.userId],
      );
      if (!affected) throw ThreadsErrors.postNotFound();
      const isFirst = thread.first_post_id === postId;
      if (isFirst) {
        // The whole thread goes, its replies with it (search then needs no join to skip them).
        await this.db.query('UPDATE threads SET deleted_at = now() WHERE id = $1', [post.thread_id]);
        await this.db.query('UPDATE posts SET deleted_at = now(), deleted_by = $2 WHERE thread_id = $1 AND deleted_at IS NULL', [post.thread_id, actor.userId]);
      } else {
        await this.db.query(
          `UPDATE threads t SET reply_count = reply_count - 1,
                  last_post_at = COALESCE(l.created_at, t.created_at), last_poster_id = COALESCE(l.author_id, t.author_id)
             FROM (SELECT created_at, author_id FROM posts WHERE thread_id = $1 AND deleted_at IS NULL ORDER BY post_number DESC LIMIT 1) l
            WHERE t.id = $1`,
          [post.thread_id],
        );
      }
      await this.events.record(
        'post.deleted',
        { communityId: post.community_id, boardId: post.board_id, threadId: post.thread_id, postId, authorId: post.author_id, deletedBy: actor.userId, isFirst },
        post.community_id,
      );
    });
  }

  /** Idempotent: adding a reaction one already has, or removing one one does not have, changes nothing. */
  async react(actor: Actor, postId: string, kind: ReactionKind, add: boolean): Promise<void> {
    const { post, role } = await this.postAccess(actor, postId);
    if (!roleAtLeast(role, 'member')) throw ThreadsErrors.notMember();
    await this.db.transaction(async () => {
      const { affected } = add
        ? await this.db.execute(
            'INSERT INTO post_reactions (post_id, user_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
            [postId, actor.userId, kind],
          )
        : await this.db.execute('DELETE FROM post_reactions WHERE post_id = $1 AND user_id = $2 AND kind = $3', [postId, actor.userId, kind]);
      if (!affected) return;
      const delta = add ? 1 : -1;
      await this.db.query(
        `UPDATE posts SET reactions = jsonb_set(reactions, ARRAY[$2::text], to_jsonb(GREATEST(COALESCE((reactions->>$2)::int, 0) + $3, 0)))
          WHERE id = $1`,
        [postId, kind, delta],
      );
      await this.db.query('UPDATE threads SET reaction_count = reaction_count + $2 WHERE first_post_id = $1', [postId, delta]);
      await this.events.record(
        add ? 'reaction.added' : 'reaction.removed',
        { communityId: post.community_id, boardId: post.board_id, threadId: post.thread_id, postId, authorId: post.author_id, userId: actor.userId, kind },
        post.community_id,
      );
    });
  }

  // ---- search (the index is posts.search, a generated tsvector with a GIN index) --------------

  async search(
    actor: Actor | null,
    communityId: string,
    role: Role | null,
    query: { q: string; board?: string; tag?: string; sku?: string; limit?: number; cursor?: string },
  ): Promise<Page<{ thread: ThreadView; post: PostView; snippet: string }>> {
    // Pages reach the first 1,000 hits (offset + limit): deeper pages cost ever more ranking and help no
    // one. The page that reaches the cap is cut there and has no next cursor; a cursor at or past it is refused.
    const SEARCH_MAX_DEPTH = 1_000;
    const offset = this.cursors.decode(CURSORS.search, query.cursor)?.[0] ?? 0;
    if (offset < 0 || offset >= SEARCH_MAX_DEPTH) {
      throw CommonErrors.validation([{ field: 'cursor', message: `cursor is not valid (search pages reach the first ${SEARCH_MAX_DEPTH} results)` }]);
    }
    const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, SEARCH_MAX_DEPTH - offset);
    let boardIds = await this.boards.visibleBoardIds(communityId, role);
    if (query.board) boardIds = boardIds.filter((id) => id === query.board);
    if (!boardIds.length) return { items: [], nextCursor: null };
    const params: unknown[] = [communityId, boardIds, query.q, limit + 1, offset];
    // Posts of deleted threads are deleted with them, so threads are joined only to filter by tag or SKU.
    const filters = tagAndSkuFilters(params, query);
    const tier = (n: number, from: string, vector: string, condition: string) => `
      (SELECT p.id AS post_id, p.thread_id, ${n} AS tier, ts_rank_cd(${vector}, q.query) AS rank
         FROM ${from} ${filters.length ? 'JOIN threads t ON t.id = p.thread_id' : ''} CROSS JOIN q
        WHERE ${condition} AND p.board_id = ANY($2::uuid[]) AND p.deleted_at IS NULL AND NOT p.hidden
          ${filters.map((f) => `AND ${f}`).join(' ')}
        ORDER BY rank DESC, p.id LIMIT $4::int + $5::int)`;
    // Tiers, each ranked: FAQ entries; the community's newest posts (search_recent, SEARCH_RECENT_POSTS of
    // them, with its own full-text index); the older ones. The tiers are concatenated under one LIMIT, so
    // PostgreSQL stops at the first tier that fills the page: the older tier, whose cost grows with the
    // history, is only ranked for terms too rare to fill a page from the recent posts (and then its
    // matches are few).
    const tiers = [
      tier(0, 'posts p', 'p.search', 'p.community_id = $1 AND p.faq_at IS NOT NULL AND p.search @@ q.query'),
      tier(1, 'search_recent r JOIN posts p ON p.id = r.post_id', 'r.search', 'r.community_id = $1 AND r.search @@ q.query AND p.faq_at IS NULL'),
      tier(
        2,
        'posts p',
        'p.search',
        'p.community_id = $1 AND p.search @@ q.query AND p.faq_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_recent r WHERE r.post_id = p.id)',
      ),
    ];
    // Headlines are built for the one page only.
    const rows = await this.db.query<{ post_id: string; thread_id: string; snippet: string }>(
      `WITH q AS (SELECT websearch_to_tsquery('english', $3) AS query)
       SELECT h.post_id, h.thread_id,
              ts_headline('english', b.body, q.query, 'StartSel=${'\u0001'}, StopSel=${'\u0002'}, MaxWords=35, MinWords=15, MaxFragments=2') AS snippet
         FROM (${tiers.join(' UNION ALL ')} LIMIT $4::int OFFSET $5::int) h
         JOIN posts b ON b.id = h.post_id CROSS JOIN q
        ORDER BY h.tier, h.rank DESC, h.post_id`,
      params,
    );
    const page = rows.slice(0, limit);
    const threads = page.length
      ? await this.db.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM threads t WHERE t.id = ANY($1::uuid[])`, [[...new Set(page.map((r) => r.thread_id))]])
      : [];
    const threadViews = new Map((await this.toThreadViews(threads)).map((v) => [v.id, v]));
    const postViews = new Map((await this.postsByIds(actor, page.map((r) => r.post_id), role)).map((v) => [v.id, v]));
    return {
      items: page.map((r) => ({ thread: threadViews.get(r.thread_id)!, post: postViews.get(r.post_id)!, snippet: highlight(r.snippet) })),
      nextCursor: rows.length > limit && offset + limit < SEARCH_MAX_DEPTH ? this.cursors.encode(CURSORS.search, [offset + limit]) : null,
    };
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The thread and the caller's role, read in one query; 404 unless the caller can see its board. */
  private async threadAccess(actor: Actor | null, threadId: string): Promise<ThreadAccess> {
    const [thread] = await this.db.query<ThreadRow & { viewer_role: Role | null }>(
      `SELECT ${THREAD_COLUMNS}, ${this.communities.membershipRoleSql('t.community_id', '$2')} AS viewer_role
         FROM threads t WHERE t.id = $1 AND t.deleted_at IS NULL`,
      [threadId, actor?.userId ?? null],
    );
    if (!thread) throw ThreadsErrors.threadNotFound();
    return { thread, access: await this.boardAccess(actor, thread.board_id, thread.viewer_role, ThreadsErrors.threadNotFound) };
  }

  /** The board's access for a caller whose membership role was read with the row; `notFound` when it is hidden from them. */
  private async boardAccess(actor: Actor | null, boardId: string, membershipRole: Role | null, notFound: () => Error): Promise<AccessibleBoard> {
    try {
      return await this.boards.accessibleWithRole(boardId, this.communities.effectiveRole(actor, membershipRole));
    } catch {
      throw notFound();
    }
  }

  private async moderatorAccess(actor: Actor, threadId: string): Promise<ThreadAccess> {
    const access = await this.threadAccess(actor, threadId);
    await this.communities.requireRole(actor, access.thread.community_id, 'moderator');
    return access;
  }

  private async postAccess(actor: Actor | null, postId: string): Promise<{ post: PostRow; role: Role | null }> {
    const [post] = await this.db.query<PostRow & { viewer_role: Role | null }>(
      `SELECT ${POST_COLUMNS}, ${this.communities.membershipRoleSql('p.community_id', '$2')} AS viewer_role
         FROM posts p JOIN threads t ON t.id = p.thread_id
        WHERE p.id = $1 AND p.deleted_at IS NULL AND t.deleted_at IS NULL`,
      [postId, actor?.userId ?? null],
    );
    if (!post) throw ThreadsErrors.postNotFound();
    const { role } = await this.boardAccess(actor, post.board_id, post.viewer_role, ThreadsErrors.postNotFound);
    if (post.hidden && !roleAtLeast(role, 'moderator') && post.author_id !== actor?.userId) throw ThreadsErrors.postNotFound();
    return { post, role };
  }

  /**
   * Cooldowns and the new-member link limit, from the community's settings; staff and above are
   * exempt. Returns the cooldown that applies (0: none) and the link-limit error, if any: the caller
   * runs enforcePostingLimits() with them in the posting transaction. Whether the member is new is
   * only looked up when it changes the outcome.
   */
  private async postingLimits(actor: Actor, communityId: string, role: Role, linkCount: number): Promise<PostingLimits> {
    if (roleAtLeast(role, 'staff')) return { cooldown: 0, error: null };
    const settings = await this.communities.getSettings(communityId);
    let isNew: boolean | undefined;
    const newMember = async () => (isNew ??= await this.isNewMember(actor.userId, communityId, settings.newMemberDays, settings.newMemberPosts));
    const cooldown =
      settings.postCooldownSeconds === settings.newMemberPostCooldownSeconds
        ? settings.postCooldownSeconds
        : (await newMember())
          ? settings.newMemberPostCooldownSeconds
          : settings.postCooldownSeconds;
    const error = linkCount > settings.newMemberMaxLinks && (await newMember()) ? ThreadsErrors.tooManyLinks(settings.newMemberMaxLinks) : null;
    return { cooldown, error };
  }

  /**
   * The cooldown (429) first, then the link limit (422). With a cooldown, it runs under a per-member
   * advisory lock held by the posting transaction, so two posts sent at once cannot both slip through.
   */
  private async enforcePostingLimits(actor: Actor, communityId: string, limits: PostingLimits) {
    if (limits.cooldown > 0) {
      if (!this.db.inTransaction) throw new Error('a cooldown is enforced inside the posting transaction');
      await this.db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`post:${communityId}:${actor.userId}`]);
      const [last] = await this.db.query<{ wait: number }>(
        `SELECT EXTRACT(EPOCH FROM (created_at + make_interval(secs => $3) - now()))::float AS wait
           FROM posts WHERE community_id = $1 AND author_id = $2 ORDER BY created_at DESC LIMIT 1`,
        [communityId, actor.userId, limits.cooldown],
      );
      if (last && last.wait > 0) throw ThreadsErrors.cooldown(last.wait);
    }
    if (limits.error) throw limits.error;
  }

  /** New until both newMemberDays have passed since joining and newMemberPosts posts were made. */
  private async isNewMember(userId: string, communityId: string, days: number, posts: number): Promise<boolean> {
    const membership = await this.communities.membership(communityId, userId);
    if (!membership) return true;
    if (Date.now() - membership.joinedAt.getTime() < days * 86_400_000) return true;
    if (posts === 0) return false;
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM posts WHERE community_id = $1 AND author_id = $2 AND deleted_at IS NULL LIMIT $3) x`,
      [communityId, userId, posts],
    );
    return row.n < posts;
  }

  /** Parses the body once, looks up the members it mentions, and renders. */
  private async render(communityId: string, body: string): Promise<Rendered> {
    const parsed = parseMarkdown(body, { publicUrl: this.config.publicUrl });
    const handles = [...parsed.mentionHandles];
    const members = handles.length ? await this.communities.membersByHandle(communityId, handles) : new Map<string, string>();
    return parsed.render(new Map([...members].map(([handle, userId]) => [handle, `/u/${userId}`])));
  }

  private async toThreadViews(rows: ThreadRow[]): Promise<ThreadView[]> {
    if (!rows.length) return [];
    const users = await this.identity.getUsers(rows.flatMap((r) => [r.author_id, r.last_poster_id ?? r.author_id]));
    return rows.map((r) => toThreadView(r, users));
  }

  async postsByIds(actor: Actor | null, ids: string[], role: Role | null): Promise<PostView[]> {
    if (!ids.length) return [];
    const rows = await this.db.query<PostViewRow>(
      `SELECT ${postViewColumns('$2')} FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = ANY($1::uuid[]) AND p.deleted_at IS NULL`,
      [ids, actor?.userId ?? null],
    );
    const visible = rows.filter((r) => !r.hidden || roleAtLeast(role, 'moderator') || r.author_id === actor?.userId);
    const views = new Map((await this.toPostViews(actor, visible)).map((v) => [v.id, v]));
    return ids.map((id) => views.get(id)).filter((v): v is PostView => Boolean(v));
  }

  private async toPostViews(actor: Actor | null, rows: PostViewRow[]): Promise<PostView[]> {
    if (!rows.length) return [];
    const users = await this.identity.getUsers(rows.map((r) => r.author_id));
    return rows.map((r) => ({
      id: r.id,
      threadId: r.thread_id,
      postNumber: r.post_number,
      author: users.get(r.author_id) ?? { ...DELETED_USER, id: r.author_id },
      authorRole: r.author_role,
      body: r.body,
      html: r.html,
      replyToPostId: r.reply_to_post_id,
      reactions: Object.fromEntries(Object.entries(r.reactions ?? {}).filter(([, n]) => n > 0)),
      myReactions: r.my_reactions ?? [],
      score: r.score,
      myVote: actor ? Number(r.my_vote ?? 0) : null,
      isAccepted: r.thread_accepted_post_id === r.id,
      isOfficial: r.thread_official_post_id === r.id,
      isStaffAnswer: roleAtLeast(r.author_role, 'staff') && r.post_number > 1,
      verifiedBuyer: r.verified_buyer,
      hidden: r.hidden,
      isFaq: r.faq_at !== null,
      attachments: r.attachments_json.map((a) => this.attachments.view(a)),
      createdAt: new Date(r.created_at).toISOString(),
      editedAt: r.edited_at ? new Date(r.edited_at).toISOString() : null,
    }));
  }
}

/** `tags @>` / `product_skus @>` conditions for the optional filters, appending their parameters. */
function tagAndSkuFilters(params: unknown[], query: { tag?: string; sku?: string }): string[] {
  const where: string[] = [];
  if (query.tag) {
    params.push([query.tag]);
    where.push(`t.tags @> $${params.length}::text[]`);
  }
  if (query.sku) {
    params.push([query.sku]);
    where.push(`t.product_skus @> $${params.length}::text[]`);
  }
  return where;
}

function toThreadView(r: ThreadRow, users: Map<string, UserView>): ThreadView {
  return {
    id: r.id,
    boardId: r.board_id,
    communityId: r.community_id,
    kind: r.kind,
    title: r.title,
    author: users.get(r.author_id) ?? { ...DELETED_USER, id: r.author_id },
    tags: r.tags,
    productSkus: r.product_skus,
    pinned: r.pinned,
    locked: r.locked,
    replyCount: r.reply_count,
    lastPostAt: new Date(r.last_post_at).toISOString(),
    lastPoster: r.last_poster_id ? users.get(r.last_poster_id) ?? null : null,
    score: r.score,
    reactionCount: r.reaction_count,
    acceptedPostId: r.accepted_post_id,
    officialPostId: r.official_post_id,
    firstStaffAnswerAt: r.first_staff_answer_at ? new Date(r.first_staff_answer_at).toISOString() : null,
    duplicateOfThreadId: r.duplicate_of_thread_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** ts_headline marks matches with control characters; escape everything else, then turn the marks into <mark>. */
export function highlight(snippet: string): string {
  const escaped = snippet.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return escaped.replace(/\u0001/g, '<mark>').replace(/\u0002/g, '</mark>');
}
