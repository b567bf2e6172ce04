import { Role } from '../core/auth/roles';
import { DomainEvent, DomainEventType } from '../core/events/event-types';
import { ThreadFacts } from '../threads/live-posts.service';
import { NotificationType } from './notification-types';

/** What a rule may ask while it decides (answered by the consumer, in the event's transaction). */
export interface RuleContext {
  thread(threadId: string): Promise<ThreadFacts | null>;
  /** A post's markdown body, for the excerpt ('' when it is gone). */
  postBody(postId: string): Promise<string>;
  postAuthor(postId: string): Promise<string | null>;
  mentioned(postId: string): Promise<string[]>;
  /** Members holding at least `minimum` in the community. */
  staff(communityId: string, minimum: Role): Promise<string[]>;
  threadWatchers(threadId: string, boardId: string): Promise<string[]>;
  boardWatchers(boardId: string): Promise<string[]>;
  autoWatch(userId: string, threadId: string, boardId: string): Promise<void>;
  forgetThread(threadId: string): Promise<void>;
  forgetPost(postId: string): Promise<void>;
  /** The community's slug for page links (null when it is gone). */
  communitySlug(communityId: string): Promise<string | null>;
  /** The event's time (the notifications clock when it is handled). */
  now: Date;
}

/**
 * One kind of notification to some people. The consumer drops the actor, people who may not read
 * `threadId` now, who muted the thread or its board, who turned the type off, and anyone an earlier
 * draft of the same event already notified (so drafts go from the most to the least specific).
 */
export interface Draft {
  type: NotificationType;
  recipients: string[];
  actorId: string | null;
  communityId: string;
  threadId?: string;
  boardId?: string;
  postId?: string;
  roomId?: string;
  title: string;
  /** The title once collapsed, with `{count}` and `{amount}`. */
  titleMany?: string;
  excerpt?: string;
  url: string;
  /** Unread notifications with the same key fold into one. */
  collapseKey?: string;
  amount?: number;
}

type Rule<T extends DomainEventType> = (ctx: RuleContext, event: DomainEvent<T>) => Promise<Draft[]>;
type RuleTable = { [T in DomainEventType]?: Rule<T> };

/** The thread's page: /t/:id answers 301 with its canonical /t/:id/:title-slug, and browsers keep the #post- fragment. */
export const threadUrl = (threadId: string, postId?: string | null) => `/t/${threadId}${postId ? `#post-${postId}` : ''}`;
/**
 * Pages under /c/:slug (the chat pages' support room, the moderators' review queue, points, the
 * community's home). Without a slug (the community is gone) the old API-style path is kept; the
 * notifications page shows such a link as plain text.
 */
export const chatRoomUrl = (slug: string | null, communityId: string, roomId: string) => (slug ? `/c/${slug}/chat/${roomId}` : `/communities/${communityId}/chat/${roomId}`);
export const reviewQueueUrl = (slug: string | null, communityId: string) => (slug ? `/c/${slug}/mod/review` : `/communities/${communityId}/review`);
export const pointsUrl = (slug: string | null, communityId: string) => (slug ? `/c/${slug}/points` : `/communities/${communityId}/loyalty`);
export const communityUrl = (slug: string | null, communityId: string) => (slug ? `/c/${slug}` : `/communities/${communityId}`);
const quoted = (title: string) => `“${title}”`;

/** Replies: mentions first, then a reply to one's post, then watchers of the thread (collapsed per thread). */
async function replyDrafts(ctx: RuleContext, d: { communityId: string; boardId: string; threadId: string; postId: string; authorId: string }, replyToPostId: string | null): Promise<Draft[]> {
  const thread = await ctx.thread(d.threadId);
  if (!thread) return [];
  await ctx.autoWatch(d.authorId, d.threadId, d.boardId);
  const excerpt = await ctx.postBody(d.postId);
  const base = { communityId: d.communityId, actorId: d.authorId, threadId: d.threadId, boardId: d.boardId, postId: d.postId, excerpt, url: threadUrl(d.threadId, d.postId) };
  const replyTo = replyToPostId ? await ctx.postAuthor(replyToPostId) : null;
  return [
    { ...base, type: 'mention', recipients: await ctx.mentioned(d.postId), title: `You were mentioned in ${quoted(thread.title)}` },
    { ...base, type: 'post_reply', recipients: replyTo ? [replyTo] : [], title: `New reply to your post in ${quoted(thread.title)}` },
    {
      ...base,
      type: 'thread_reply',
      recipients: await ctx.threadWatchers(d.threadId, d.boardId),
      title: `New reply in ${quoted(thread.title)}`,
      titleMany: `{count} new replies in ${quoted(thread.title)}`,
      collapseKey: `thread_reply:${d.threadId}`,
    },
  ];
}

/** To the author of the content, about what a moderator (or the system) did to it. */
function moderated(d: { communityId: string; boardId: string; threadId: string; authorId: string }, actorId: string | null, title: string, excerpt: string, postId?: string): Draft[] {
  return [{ type: 'content_moderated', recipients: [d.authorId], actorId, communityId: d.communityId, threadId: d.threadId, boardId: d.boardId, postId, title, excerpt, url: threadUrl(d.threadId, postId) }];
}

/**
 * What notifies whom, per event type. A module that lands later plugs in by adding a row here (and
 * its type in notification-types.ts when it is a new kind); the consumer subscribes to these keys.
 */
export const RULES: RuleTable = {
  'thread.created': async (ctx, e) => {
    const d = e.data;
    await ctx.autoWatch(d.authorId, d.threadId, d.boardId);
    const excerpt = await ctx.postBody(d.postId);
    const base = { communityId: d.communityId, actorId: d.authorId, threadId: d.threadId, boardId: d.boardId, postId: d.postId, excerpt, url: threadUrl(d.threadId) };
    return [
      { ...base, type: 'mention', recipients: await ctx.mentioned(d.postId), title: `You were mentioned in ${quoted(d.title)}` },
      ...(d.boardKind === 'qa' ? [{ ...base, type: 'new_question' as const, recipients: await ctx.staff(d.communityId, 'staff'), title: `New question: ${quoted(d.title)}` }] : []),
      { ...base, type: 'new_thread', recipients: await ctx.boardWatchers(d.boardId), title: `New thread: ${quoted(d.title)}` },
    ];
  },
  'post.created': (ctx, e) => replyDrafts(ctx, e.data, e.data.replyToPostId),
  'question.answered_by_staff': async (ctx, e) => {
    const d = e.data;
    const thread = await ctx.thread(d.threadId);
    if (!thread) return [];
    return [{
      type: 'question_answered', recipients: [d.askerId], actorId: d.authorId, communityId: d.communityId, threadId: d.threadId, boardId: d.boardId,
      postId: d.postId, title: `Staff answered your question ${quoted(thread.title)}`, excerpt: await ctx.postBody(d.postId), url: threadUrl(d.threadId, d.postId),
    }];
  },
  'answer.accepted': async (ctx, e) => {
    const d = e.data;
    const thread = await ctx.thread(d.threadId);
    if (!thread) return [];
    return [{
      type: 'answer_accepted', recipients: [d.authorId], actorId: d.acceptedBy, communityId: d.communityId, threadId: d.threadId, boardId: d.boardId,
      postId: d.postId, title: `Your answer to ${quoted(thread.title)} was accepted`, excerpt: await ctx.postBody(d.postId), url: threadUrl(d.threadId, d.postId),
    }];
  },
  'answer.official': async (ctx, e) => {
    const d = e.data;
    const thread = d.official ? await ctx.thread(d.threadId) : null;
    if (!thread) return [];
    return [{
      type: 'answer_official', recipients: [d.authorId], actorId: d.markedBy, communityId: d.communityId, threadId: d.threadId, boardId: d.boardId,
      postId: d.postId, title: `Your answer to ${quoted(thread.title)} is now the official answer`, excerpt: await ctx.postBody(d.postId), url: threadUrl(d.threadId, d.postId),
    }];
  },
  'thread.moved': async (ctx, e) => {
    const thread = await ctx.thread(e.data.threadId);
    return thread ? moderated(e.data, e.data.movedBy, `Your thread ${quoted(thread.title)} was moved to another board`, '') : [];
  },
  'post.hidden': async (ctx, e) => {
    const d = e.data;
    const thread = await ctx.thread(d.threadId);
    if (!thread) return [];
    const what = d.isFirst ? `Your thread ${quoted(thread.title)} was hidden` : `Your post in ${quoted(thread.title)} was hidden`;
    return moderated(d, d.hiddenBy, d.hiddenBy ? what : `${what} after reports, until a moderator reviews it`, d.reason, d.isFirst ? undefined : d.postId);
  },
  'post.restored': async (ctx, e) => {
    const d = e.data;
    const thread = await ctx.thread(d.threadId);
    if (!thread) return [];
    return moderated(d, d.restoredBy, d.isFirst ? `Your thread ${quoted(thread.title)} is visible again` : `Your post in ${quoted(thread.title)} is visible again`, '', d.isFirst ? undefined : d.postId);
  },
  'post.deleted': async (ctx, e) => {
    if (e.data.isFirst) await ctx.forgetThread(e.data.threadId);
    else await ctx.forgetPost(e.data.postId);
    return [];
  },
  'member.sanctioned': async (ctx, e) => {
    const d = e.data;
    const until = d.until ? ` until ${d.until}` : '';
    return [{ type: 'sanction', recipients: [d.userId], actorId: d.by, communityId: d.communityId, title: `A moderator applied a ${d.kind} to your account${until}`, excerpt: d.reason, url: communityUrl(await ctx.communitySlug(d.communityId), d.communityId) }];
  },
  'question.overdue': async (ctx, e) => {
    const d = e.data;
    const thread = await ctx.thread(d.threadId);
    if (!thread) return [];
    return [{
      type: 'question_overdue', recipients: await ctx.staff(d.communityId, 'staff'), actorId: null, communityId: d.communityId, threadId: d.threadId, boardId: d.boardId,
      title: `Question waiting over ${d.targetMinutes} minutes: ${quoted(thread.title)}`, url: threadUrl(d.threadId),
    }];
  },
  'support.requested': async (ctx, e) => {
    const d = e.data;
    return [{ type: 'support_requested', recipients: await ctx.staff(d.communityId, 'staff'), actorId: d.customerId, communityId: d.communityId, roomId: d.roomId, title: 'A member asked for a support chat', url: chatRoomUrl(await ctx.communitySlug(d.communityId), d.communityId, d.roomId) }];
  },
  'report.created': async (ctx, e) => {
    const d = e.data;
    return [{
      type: 'review_waiting', recipients: await ctx.staff(d.communityId, 'moderator'), actorId: d.reporterId, communityId: d.communityId,
      title: 'A report is waiting for review', titleMany: '{count} reports are waiting for review', excerpt: d.reason,
      url: reviewQueueUrl(await ctx.communitySlug(d.communityId), d.communityId), collapseKey: `review_waiting:${d.communityId}`,
    }];
  },
  'points.earned': async (ctx, e) => {
    const d = e.data;
    if (d.status !== 'approved' || d.points <= 0) return [];
    const day = ctx.now.toISOString().slice(0, 10);
    return [{
      type: 'points_earned', recipients: [d.userId], actorId: null, communityId: d.communityId, amount: d.points,
      title: `You earned ${d.points} points`, titleMany: 'You earned {amount} points today', url: pointsUrl(await ctx.communitySlug(d.communityId), d.communityId),
      collapseKey: `points_earned:${d.communityId}:${day}`,
    }];
  },
  'tier.changed': async (ctx, e) => {
    const d = e.data;
    return [{ type: 'tier_changed', recipients: [d.userId], actorId: null, communityId: d.communityId, title: `Your tier is now ${d.tier}`, url: pointsUrl(await ctx.communitySlug(d.communityId), d.communityId) }];
  },
};

export const RULE_TYPES = Object.keys(RULES) as DomainEventType[];

export function ruleFor<T extends DomainEventType>(type: T): Rule<T> | undefined {
  return RULES[type] as Rule<T> | undefined;
}

