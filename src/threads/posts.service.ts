import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { Cursors } from '../core/pagination/cursors';
import { CommunityPolicy, ScreenVerdict } from '../core/policy/community-policy';
import { CommunitiesService } from '../communities/communities.service';
import { AttachmentsService } from './attachments.service';
import { CreatePostDto, PostView, ReactionKind } from './dto/threads.dto';
import { PostingRulesService } from './posting-rules.service';
import { PostMentionsService } from './post-mentions.service';
import { PostVisibilityService } from './post-visibility.service';
import { postPageBytes, SharedPages } from './shared-pages';
import { ThreadAccessService } from './thread-access.service';
import { assertWithinEditWindow } from './thread-edits.service';
import { CURSORS } from './thread-cursors';
import { MODERATOR_ROLES, POST_COLUMNS, postViewColumns, PostRow, PostViewRow, ThreadRow } from './thread-rows';
import { ThreadViewsService } from './thread-views.service';
import { ThreadsErrors } from './threads.errors';
import { VerifiedBuyersService } from './verified-buyers.service';

/**
 * Posts: a thread's pages, replies, edits (with revisions), deletion and reactions. Every read and
 * write checks the caller's access (ThreadAccessService); writes that touch several rows run in one
 * transaction with their outbox event. Reply numbering takes the thread's row lock, so post numbers
 * commit in order and "oldest first" pages never skip a reply that commits late.
 */
@Injectable()
export class PostsService {
  /** Post edits per member and minute (staff and above exempt); see editPost. */
  static readonly EDITS_PER_MINUTE = 10;
  private readonly editsPerMember: Limiter;

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly communities: CommunitiesService,
    private readonly attachments: AttachmentsService,
    private readonly access: ThreadAccessService,
    private readonly rules: PostingRulesService,
    private readonly views: ThreadViewsService,
    private readonly cursors: Cursors,
    private readonly shared: SharedPages,
    rateLimits: RateLimitService,
    private readonly policy: CommunityPolicy,
    private readonly visibility: PostVisibilityService,
    private readonly verifiedBuyers: VerifiedBuyersService,
    private readonly mentions: PostMentionsService,
  ) {
    this.editsPerMember = rateLimits.limiter({ name: 'post-edits-user', points: PostsService.EDITS_PER_MINUTE, durationSeconds: 60 });
  }

  /**
   * A thread's posts, deleted ones left out: oldest first (by post number), or with sort=score the
   * question first and then the answers by score (ties: oldest first).
   */
  async listPosts(actor: Actor | null, threadId: string, query: { sort?: 'oldest' | 'score'; limit?: number; cursor?: string }): Promise<Page<PostView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const byScore = query.sort === 'score';
    const after: number[] | null = byScore ? this.cursors.decode(CURSORS.postsByScore, query.cursor) : this.cursors.decode(CURSORS.posts, query.cursor);
    // Viewers below moderator share the page (see SharedPages): one small query for the member's role and own state.
    const key = `${threadId}|${byScore ? 's' : 'o'}|${limit}|${query.cursor ?? ''}`;
    const shared = actor?.isPlatformAdmin ? undefined : this.shared.posts.get(key);
    if (shared) {
      if (!actor) {
        await this.access.board(null, shared.boardId, null, ThreadsErrors.threadNotFound);
        return shared.page;
      }
      const state = await this.views.viewerState(actor, shared.communityId, shared.page.items.map((p) => p.id));
      if (!roleAtLeast(state.role, 'moderator')) {
        await this.access.board(actor, shared.boardId, state.role, ThreadsErrors.threadNotFound);
        return this.views.withViewerState(shared.page, state);
      }
    }
    const mark = this.shared.posts.mark();
    // One round trip: the thread (for the visibility check), the caller's role and the page. The page
    // is read before the check and thrown away when the board is hidden from the caller. Hidden posts
    // are listed for moderators and above (and the platform admin, $4).
    // Sort key by score: (is an answer, -score, post number); the question (post 1) sorts first.
    const viewerRole = this.communities.membershipRoleSql('t.community_id', '$3');
    const rows = await this.db.query<PostViewRow & { t_board_id: string; t_community_id: string; viewer_role: Role | null }>(
      `SELECT t.board_id AS t_board_id, t.community_id AS t_community_id, r.viewer_role, page.*
         FROM threads t
         CROSS JOIN LATERAL (SELECT ${viewerRole} AS viewer_role) r
         LEFT JOIN LATERAL (
           SELECT ${postViewColumns('$3')} FROM posts p
            WHERE p.thread_id = t.id AND p.deleted_at IS NULL
              AND (NOT p.hidden OR $4::boolean OR r.viewer_role = ANY($5::text[]))
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
    const { t_board_id: boardId, t_community_id: communityId, viewer_role: role } = rows[0];
    await this.access.board(actor, boardId, role, ThreadsErrors.threadNotFound);
    const found = rows[0].id === null ? [] : rows;
    const views = await this.views.postViewsOf(actor, found.slice(0, limit));
    const view = () => views.shift()!;
    const page = byScore
      ? this.cursors.page(CURSORS.postsByScore, found, limit, view, (r) => [r.post_number > 1 ? 1 : 0, -r.score, r.post_number])
      : this.cursors.page(CURSORS.posts, found, limit, view, (r) => [r.post_number]);
    if (!actor?.isPlatformAdmin && !roleAtLeast(role, 'moderator')) {
      const sharedPage = actor ? this.views.withoutViewerState(page) : page;
      this.shared.posts.set(key, { page: sharedPage, boardId, communityId, bytes: postPageBytes(sharedPage) }, [`thread:${threadId}`], mark);
    }
    return page;
  }

  /**
   * Checks, limits and rendering come first. The write itself is one statement: it numbers the reply
   * under the thread's row lock, updates the counters, inserts the post and records `post.created`.
   * A statement is atomic, so a plain reply needs no transaction (and none of its round trips). A
   * transaction wraps it only when more must commit with it: a cooldown's per-member lock and check,
   * attached images, or a staff answer that stops a question's response-time clock.
   */
  async reply(actor: Actor, threadId: string, dto: CreatePostDto): Promise<PostView> {
    const { thread, access } = await this.access.thread(actor, threadId);
    const role = access.role;
    if (!roleAtLeast(role, 'member')) throw ThreadsErrors.notMember();
    if (thread.hidden && !roleAtLeast(role, 'moderator')) throw ThreadsErrors.awaitsReview();
    await this.policy.assertMay(thread.community_id, actor.userId, 'post');
    if (dto.replyToPostId) {
      const [target] = await this.db.query('SELECT 1 FROM posts WHERE id = $1 AND thread_id = $2 AND deleted_at IS NULL', [dto.replyToPostId, threadId]);
      if (!target) throw ThreadsErrors.replyToOtherThread();
    }
    const verdict = await this.policy.screen(thread.community_id, actor.userId, 'post', { body: dto.body });
    const rendered = await this.rules.render(thread.community_id, dto.body);
    const mentioned = await this.mentions.resolve(thread.community_id, rendered.mentions);
    const limits = await this.rules.limits(actor, thread.community_id, role!, rendered.linkCount);
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
      await this.rules.enforce(actor, thread.community_id, limits);
      const post = await this.insertReply(actor, thread, role!, dto, rendered.html, attachmentIds.length > 0, verdict);
      await this.mentions.record(post.id, mentioned);
      if (attachmentIds.length) await this.attachments.attach(actor, thread.community_id, post.id, attachmentIds);
      await this.policy.screened(thread.community_id, { kind: 'post', targetId: post.id, authorId: actor.userId, verdict });
      if (post.queued) return post; // held for review: published (and answering) only once approved
      // The first answer by staff (staff, moderator or admin) to a question: the response-time clock stops.
      // (In the reply's transaction; in one of its own only if the thread became a question since it was read.)
      if (post.kind === 'qa' && !post.first_staff_answer_at && roleAtLeast(role, 'staff')) {
        await (this.db.inTransaction ? stopClock(post) : this.db.transaction(() => stopClock(post)));
      }
      return post;
    };
    const post =
      limits.cooldown > 0 || attachmentIds.length || answersQuestion || mentioned.length || verdict.action !== 'publish' ? await this.db.transaction(write) : await write();
    if (attachmentIds.length) return (await this.views.postsByIds(actor, [post.id], role))[0];
    // Everything the view shows is known: the statement returned the row, and a new post has no reactions or votes.
    const [view] = await this.views.postViewsOf(actor, [{ ...post, attachments_json: [], my_reactions: [], my_vote: null }]);
    return view;
  }

  /** The reply's one statement (see reply()); 404 or LOCKED when the thread was deleted or locked since it was read. */
  private async insertReply(actor: Actor, thread: ThreadRow, role: Role, dto: CreatePostDto, html: string, hasImage: boolean, verdict: ScreenVerdict) {
    const id = randomUUID();
    // A reply held for review is numbered but not counted, and records post.created only when approved.
    const queued = verdict.action === 'queue';
    const verifiedBuyer = await this.verifiedBuyers.isBuyer(thread.community_id, actor.userId, thread.product_skus);
    const params: unknown[] = [thread.id, actor.userId, roleAtLeast(role, 'moderator'), role, dto.body, html, dto.replyToPostId ?? null, id, queued, verifiedBuyer];
    const event = queued
      ? { ctes: 'hearth_no_event AS (SELECT 1)', recorded: () => undefined }
      : this.events.recordInStatement(
          'post.created',
          { communityId: thread.community_id, boardId: thread.board_id, threadId: thread.id, postId: id, authorId: actor.userId, replyToPostId: dto.replyToPostId ?? null, hasImage },
          thread.community_id,
          params,
          'p',
        );
    const [post] = await this.db.query<PostRow & { thread_accepted_post_id: string | null; thread_official_post_id: string | null; kind: string; first_staff_answer_at: Date | null; asker_id: string }>(
      `WITH t AS (
         UPDATE threads SET post_seq = post_seq + 1, reply_count = reply_count + (NOT $9::boolean)::int,
                last_post_at = CASE WHEN $9::boolean THEN last_post_at ELSE now() END,
                last_poster_id = CASE WHEN $9::boolean THEN last_poster_id ELSE $2 END
          WHERE id = $1 AND deleted_at IS NULL AND (NOT locked OR $3::boolean)
          RETURNING id, community_id, board_id, post_seq, kind, first_staff_answer_at, author_id, accepted_post_id, official_post_id),
       p AS (
         INSERT INTO posts AS p (id, thread_id, community_id, board_id, post_number, author_id, author_role, body, html, reply_to_post_id, hidden, queued, verified_buyer)
         SELECT $8, t.id, t.community_id, t.board_id, t.post_seq, $2, $4, $5, $6, $7, $9, $9, $10 FROM t
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
    const { post, role } = await this.access.post(actor, postId);
    if (post.author_id !== actor.userId && !roleAtLeast(role, 'moderator')) throw ThreadsErrors.notAuthor();
    // The author edits within the community's edit window; moderators at any time.
    if (!roleAtLeast(role, 'moderator')) assertWithinEditWindow(post.created_at, (await this.communities.getSettings(post.community_id)).editWindowMinutes);
    await this.policy.assertMay(post.community_id, actor.userId, 'post');
    if (!roleAtLeast(role, 'staff')) await this.editsPerMember.consume(actor.userId, 'Too many edits, try again in a minute');
    // An edit is screened like a post; words that would hold a new post hide the edited one until reviewed.
    const screened = await this.policy.screen(post.community_id, actor.userId, 'post', { body });
    const verdict: ScreenVerdict = screened.action === 'queue' && !post.queued ? { ...screened, action: 'flag' } : screened;
    const hideForReview = screened.action === 'queue' && !post.hidden;
    await this.db.transaction(async () => {
      const [current] = await this.db.query<{ body: string; deleted_at: Date | null }>('SELECT body, deleted_at FROM posts WHERE id = $1 FOR UPDATE', [postId]);
      if (!current || current.deleted_at) throw ThreadsErrors.postNotFound();
      const rendered = await this.rules.render(post.community_id, body);
      await this.mentions.replace(postId, await this.mentions.resolve(post.community_id, rendered.mentions));
      if (post.author_id === actor.userId && !roleAtLeast(role, 'staff')) {
        const settings = await this.communities.getSettings(post.community_id);
        if (rendered.linkCount > settings.newMemberMaxLinks && (await this.rules.isNewMember(actor.userId, post.community_id, settings.newMemberDays, settings.newMemberPosts))) {
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
      if (hideForReview) await this.hideForReview(post, screened.matched);
      await this.policy.screened(post.community_id, { kind: 'post', targetId: postId, authorId: post.author_id, verdict });
    });
    const [view] = await this.views.postsByIds(actor, [postId], role);
    return view;
  }

  /** Hides an edited post whose new text matched a `queue` rule (in the edit's transaction). */
  private async hideForReview(post: PostRow, matched: string[]): Promise<void> {
    await this.visibility.hide(post.id, null, `automod: ${matched.join(', ')}`.slice(0, 200));
  }

  /** Soft delete by the author or a moderator. Deleting a thread's first post deletes the thread. */
  async deletePost(actor: Actor, postId: string): Promise<void> {
    const { post, role } = await this.access.post(actor, postId);
    if (post.author_id !== actor.userId && !roleAtLeast(role, 'moderator')) throw ThreadsErrors.notAuthor();
    await this.db.transaction(async () => {
      const [thread] = await this.db.query<{ first_post_id: string }>('SELECT first_post_id FROM threads WHERE id = $1 FOR UPDATE', [post.thread_id]);
      const [deleted] = await this.db.query<{ queued: boolean }>(
        'UPDATE posts SET deleted_at = now(), deleted_by = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING queued',
        [postId, actor.userId],
      );
      if (!deleted) throw ThreadsErrors.postNotFound();
      const isFirst = thread.first_post_id === postId;
      if (isFirst) {
        // The whole thread goes, its replies with it (search then needs no join to skip them).
        await this.db.query('UPDATE threads SET deleted_at = now() WHERE id = $1', [post.thread_id]);
        await this.db.query('UPDATE posts SET deleted_at = now(), deleted_by = $2 WHERE thread_id = $1 AND deleted_at IS NULL', [post.thread_id, actor.userId]);
      } else {
        await this.db.query(
          `UPDATE threads t SET reply_count = reply_count - $2::int,
                  last_post_at = COALESCE(l.created_at, t.created_at), last_poster_id = COALESCE(l.author_id, t.author_id)
             FROM (SELECT created_at, author_id FROM posts WHERE thread_id = $1 AND deleted_at IS NULL AND NOT queued ORDER BY post_number DESC LIMIT 1) l
            WHERE t.id = $1`,
          [post.thread_id, deleted.queued ? 0 : 1],
        );
      }
      await this.events.record(
        'post.deleted',
        { communityId: post.community_id, boardId: post.board_id, threadId: post.thread_id, postId, authorId: post.author_id, deletedBy: actor.userId, isFirst },
        post.community_id,
      );
    });
  }

  /**
   * Idempotent: adding a reaction one already has, or removing one one does not have, changes nothing.
   * One statement (atomic on its own, so no transaction's BEGIN and COMMIT): the reaction row, the
   * post's and the thread's counts, and the event (with its deliveries) when the row changed.
   */
  async react(actor: Actor, postId: string, kind: ReactionKind, add: boolean): Promise<void> {
    const { post, role } = await this.access.post(actor, postId);
    if (!roleAtLeast(role, 'member')) throw ThreadsErrors.notMember();
    await this.policy.assertMay(post.community_id, actor.userId, 'react');
    const params: unknown[] = [postId, actor.userId, kind, add ? 1 : -1, post.thread_id];
    const event = this.events.recordInStatement(
      add ? 'reaction.added' : 'reaction.removed',
      { communityId: post.community_id, boardId: post.board_id, threadId: post.thread_id, postId, authorId: post.author_id, userId: actor.userId, kind },
      post.community_id,
      params,
      'r',
    );
    const change = add
      ? 'INSERT INTO post_reactions (post_id, user_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING post_id'
      : 'DELETE FROM post_reactions WHERE post_id = $1 AND user_id = $2 AND kind = $3 RETURNING post_id';
    const [row] = await this.db.query<{ changed: number }>(
      `WITH r AS (${change}),
       p AS (UPDATE posts SET reactions = jsonb_set(reactions, ARRAY[$3::text], to_jsonb(GREATEST(COALESCE((reactions->>$3::text)::int, 0) + $4::int, 0)))
              WHERE id = $1 AND EXISTS (SELECT 1 FROM r)),
       -- By the thread's key (first_post_id has no index: a scan of every thread per reaction at scale).
       t AS (UPDATE threads SET reaction_count = reaction_count + $4::int WHERE id = $5 AND first_post_id = $1 AND EXISTS (SELECT 1 FROM r)),
       ${event.ctes}
       SELECT count(*)::int AS changed FROM r`,
      params,
    );
    if (row.changed) event.recorded();
  }
}
