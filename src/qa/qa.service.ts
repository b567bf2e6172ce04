import { Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { CommonErrors } from '../core/errors/app-error';
import { EventsService } from '../core/events/events.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { CommunityPolicy } from '../core/policy/community-policy';
import { BOARD_VISIBILITIES, BoardVisibility } from '../boards/board-access';
import { BoardsService } from '../boards/boards.service';
import { CommunitiesService } from '../communities/communities.service';
import { ThreadView } from '../threads/dto/threads.dto';
import { PostContext, QuestionsService, StaffResponseTimes } from '../threads/questions.service';
import { ThreadsService } from '../threads/threads.service';
import { FaqEntryView, QueueItemView, ResponseTimesView, VoteResultView } from './dto/qa.dto';
import { reportRange } from '../core/http/date-range.dto';
import { QaErrors } from './qa.errors';

/** FAQ entries in the order they were promoted. */
const FAQ_CURSOR = cursorKind<[string, string]>('qa:faq', 'timestamp', 'uuid');


/**
 * Questions and answers: votes, the asker's accepted answer, the brand's official answer, the
 * FAQ, duplicates, the staff queue and response-time statistics: who may do what, and the events.
 * Owns answer_acceptances and faq_entries; votes and the state shown on threads and posts are kept by
 * the threads module (QuestionsService), like reactions.
 */
/**
 * Who may accept an answer on a question: its asker (still a member) or a moderator or admin. The one
 * rule, used by accept() and by the pages to decide whether to show the Accept button.
 */
export function mayAccept(isAsker: boolean, role: Role | null | undefined): boolean {
  return (isAsker && roleAtLeast(role, 'member')) || roleAtLeast(role, 'moderator');
}

@Injectable()
export class QaService {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly questions: QuestionsService,
    private readonly threads: ThreadsService,
    private readonly communities: CommunitiesService,
    private readonly boards: BoardsService,
    private readonly cursors: Cursors,
    private readonly policy: CommunityPolicy,
  ) {}

  /** One vote per member per post of a question (the question itself too), never on one's own post. */
  async vote(actor: Actor, postId: string, value: 1 | -1 | 0): Promise<VoteResultView> {
    const ctx = await this.questions.postContext(actor, postId);
    if (!roleAtLeast(ctx.role, 'member')) throw QaErrors.notMember();
    if (ctx.thread.kind !== 'qa') throw QaErrors.notQuestion();
    if (ctx.post.authorId === actor.userId) throw QaErrors.ownPost();
    await this.policy.assertMay(ctx.post.communityId, actor.userId, 'vote');
    return this.db.transaction(async () => {
      const { previous, score } = await this.questions.castVote(postId, actor.userId, value);
      if (value !== previous) {
        await this.events.record('vote.cast', { ...postEvent(ctx), userId: actor.userId, value, previous }, ctx.post.communityId);
      }
      return { postId, score, myVote: value };
    });
  }

  /** The asker (or a moderator) accepts an answer; changing it later is allowed and kept in the history. */
  async accept(actor: Actor, threadId: string, postId: string): Promise<ThreadView> {
    const ctx = await this.questions.postContext(actor, postId);
    if (ctx.post.threadId !== threadId) {
      await this.threads.getThread(actor, threadId); // 404 when the thread is not visible
      throw QaErrors.notAnswer();
    }
    if (ctx.thread.kind !== 'qa') throw QaErrors.notQuestion();
    if (ctx.post.postNumber === 1) throw QaErrors.notAnswer();
    if (!mayAccept(ctx.thread.authorId === actor.userId, ctx.role)) throw QaErrors.notAsker();
    await this.policy.assertMay(ctx.post.communityId, actor.userId, 'post');
    await this.db.transaction(async () => {
      const current = await this.questions.lockMarks(threadId);
      if (current.acceptedPostId === postId) return;
      await this.db.query(
        'INSERT INTO answer_acceptances (thread_id, post_id, previous_post_id, accepted_by) VALUES ($1, $2, $3, $4)',
        [threadId, postId, current.acceptedPostId, actor.userId],
      );
      await this.questions.setAccepted(threadId, postId);
      await this.events.record(
        'answer.accepted',
        { ...postEvent(ctx), askerId: ctx.thread.authorId, acceptedBy: actor.userId, previousPostId: current.acceptedPostId },
        ctx.post.communityId,
      );
    });
    return this.threads.getThread(actor, threadId);
  }

  /** Staff mark (or unmark) an answer as the brand's official one; one per question. */
  async setOfficial(actor: Actor, postId: string, official: boolean): Promise<ThreadView> {
    const ctx = await this.questions.postContext(actor, postId);
    if (!roleAtLeast(ctx.role, 'staff')) throw QaErrors.notStaff();
    if (ctx.thread.kind !== 'qa') throw QaErrors.notQuestion();
    if (ctx.post.postNumber === 1) throw QaErrors.notAnswer();
    await this.policy.assertMay(ctx.post.communityId, actor.userId, 'post');
    await this.db.transaction(async () => {
      const current = await this.questions.lockMarks(ctx.thread.id);
      const isOfficial = current.officialPostId === postId;
      if (official === isOfficial) return;
      await this.questions.setOfficial(ctx.thread.id, official ? postId : null);
      await this.events.record('answer.official', { ...postEvent(ctx), markedBy: actor.userId, official }, ctx.post.communityId);
    });
    return this.threads.getThread(actor, ctx.thread.id);
  }

  /**
   * Moderators close a question as a duplicate of another of the same community: linked and locked.
   * The original must be at least as visible as the question, or its readers (guests of a public
   * question) would be sent to a thread they cannot read, and learn its id.
   */
  async closeAsDuplicate(actor: Actor, threadId: string, originalId: string): Promise<ThreadView> {
    const thread = await this.threads.getThread(actor, threadId);
    const role = await this.communities.requireRole(actor, thread.communityId, 'moderator');
    if (thread.kind !== 'qa') throw QaErrors.notQuestion();
    if (originalId === threadId) throw QaErrors.duplicateOfSelf();
    const original = await this.threads.getThread(actor, originalId);
    if (original.communityId !== thread.communityId) throw QaErrors.duplicateOtherCommunity();
    const question = await this.boards.accessibleWithRole(thread.boardId, role);
    const target = await this.boards.accessibleWithRole(original.boardId, role);
    if (!atLeastAsOpen(target.board.visibility, question.board.visibility)) {
      throw QaErrors.duplicateLessVisible(question.board.visibility, target.board.visibility);
    }
    await this.db.transaction(async () => {
      await this.questions.markDuplicate(threadId, originalId);
      await this.events.record(
        'thread.closed_as_duplicate',
        { communityId: thread.communityId, boardId: thread.boardId, threadId, authorId: thread.author.id, duplicateOfThreadId: originalId, by: actor.userId },
        thread.communityId,
      );
    });
    return this.threads.getThread(actor, threadId);
  }

  /** Staff promote an accepted or official answer into the community's FAQ. */
  async addToFaq(actor: Actor, postId: string): Promise<FaqEntryView> {
    const ctx = await this.questions.postContext(actor, postId);
    if (!roleAtLeast(ctx.role, 'staff')) throw QaErrors.notStaff();
    if (ctx.thread.acceptedPostId !== postId && ctx.thread.officialPostId !== postId) throw QaErrors.notFaqable();
    await this.policy.assertMay(ctx.post.communityId, actor.userId, 'post');
    await this.db.transaction(async () => {
      const { affected } = await this.db.execute(
        `INSERT INTO faq_entries (post_id, thread_id, community_id, created_by) VALUES ($1, $2, $3, $4) ON CONFLICT (post_id) DO NOTHING`,
        [postId, ctx.thread.id, ctx.post.communityId, actor.userId],
      );
      await this.questions.setFaq(postId, true);
      if (affected) await this.events.record('faq.changed', { ...postEvent(ctx), inFaq: true, by: actor.userId }, ctx.post.communityId);
    });
    const [entry] = await this.questions.views(actor, ctx.role, [postId]);
    return entry;
  }

  async removeFromFaq(actor: Actor, postId: string): Promise<void> {
    const ctx = await this.questions.postContext(actor, postId);
    if (!roleAtLeast(ctx.role, 'staff')) throw QaErrors.notStaff();
    await this.policy.assertMay(ctx.post.communityId, actor.userId, 'post');
    await this.db.transaction(async () => {
      const { affected } = await this.db.execute('DELETE FROM faq_entries WHERE post_id = $1', [postId]);
      await this.questions.setFaq(postId, false);
      if (affected) await this.events.record('faq.changed', { ...postEvent(ctx), inFaq: false, by: actor.userId }, ctx.post.communityId);
    });
  }

  /** The community's FAQ, in the order entries were promoted, from boards the caller can see. */
  async faq(actor: Actor | null, slug: string, query: { limit?: number; cursor?: string }): Promise<Page<FaqEntryView>> {
    const community = await this.communities.resolve(slug, actor);
    if (!community) throw CommonErrors.notFound('Community');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(FAQ_CURSOR, query.cursor);
    const rows = await this.db.query<{ post_id: string; k: string }>(
      `SELECT post_id, created_at::text AS k FROM faq_entries
        WHERE community_id = $1 AND ($2::timestamptz IS NULL OR (created_at, post_id) > ($2::timestamptz, $3::uuid))
        ORDER BY created_at, post_id LIMIT $4`,
      [community.id, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    const visible = new Set(await this.boards.visibleBoardIds(community.id, community.role));
    const entries = new Map(
      (await this.questions.views(actor, community.role, rows.slice(0, limit).map((r) => r.post_id)))
        .filter((e) => visible.has(e.thread.boardId))
        .map((e) => [e.post.id, e]),
    );
    const page = this.cursors.page(FAQ_CURSOR, rows, limit, (r) => entries.get(r.post_id), (r) => [r.k, r.post_id]);
    return { items: page.items.filter((e): e is FaqEntryView => Boolean(e)), nextCursor: page.nextCursor };
  }

  async unanswered(community: CommunityContext, query: { board?: string; sku?: string; limit?: number; cursor?: string }): Promise<Page<QueueItemView>> {
    const settings = await this.communities.getSettings(community.id);
    return this.questions.unanswered(community.id, community.role, settings.responseTargetMinutes, query);
  }

  async responseTimes(community: CommunityContext, query: { from?: string; to?: string; board?: string; sku?: string }): Promise<ResponseTimesView> {
    const { from, to } = reportRange(query);
    const stats = await this.questions.responseTimes(community.id, from, to, query);
    return { from: from.toISOString(), to: to.toISOString(), ...stats };
  }

  /**
   * responseTimes (the same query) plus the share answered within the community's responseTargetMinutes,
   * and the same per staff member who gave the first answer (for the insights dashboard).
   */
  async responseTimesWithTarget(
    community: CommunityContext,
    query: { from?: string; to?: string },
  ): Promise<ResponseTimesView & { withinTarget: number; byStaff: StaffResponseTimes[] }> {
    const { from, to } = reportRange(query);
    const { responseTargetMinutes } = await this.communities.getSettings(community.id);
    const [stats, byStaff] = await Promise.all([
      this.questions.responseTimes(community.id, from, to, {}, responseTargetMinutes * 60),
      this.questions.responseTimesByStaff(community.id, from, to, responseTargetMinutes * 60),
    ]);
    return { from: from.toISOString(), to: to.toISOString(), ...stats, withinTarget: stats.withinTarget ?? 0, byStaff };
  }
}

/** public > members > staff: every reader of a board of visibility `than` can read one of visibility `visibility`. */
function atLeastAsOpen(visibility: BoardVisibility, than: BoardVisibility): boolean {
  return BOARD_VISIBILITIES.indexOf(visibility) <= BOARD_VISIBILITIES.indexOf(than);
}

function postEvent(ctx: PostContext) {
  return { communityId: ctx.post.communityId, boardId: ctx.post.boardId, threadId: ctx.thread.id, postId: ctx.post.id, authorId: ctx.post.authorId };
}
