import { DomainEvent, DomainEventMap, DomainEventType } from '../core/events/event-types';

/** The counters of a profile that events add to (column names of insights_profiles). */
export const PROFILE_COUNTERS = [
  'threads', 'replies', 'questions', 'answers', 'accepted_answers', 'official_answers', 'reactions_given', 'reactions_received',
  'votes_cast', 'chat_messages', 'support_requests', 'posts_removed', 'points_earned', 'points_reversed', 'points_redeemed',
  'orders', 'refunds', 'ratings',
] as const;
export type ProfileCounter = (typeof PROFILE_COUNTERS)[number];

/** The per-day community counters events add to (columns of insights_daily; dau is counted from new active days). */
export const DAILY_COUNTERS = [
  'new_members', 'threads', 'replies', 'questions', 'staff_answers', 'chat_messages', 'support_requests', 'points_issued',
  'points_redeemed', 'ratings', 'ratings_positive',
] as const;
export type DailyCounter = (typeof DAILY_COUNTERS)[number];

export interface ProfileDelta {
  communityId: string;
  userId: string;
  counters: Partial<Record<ProfileCounter, number>>;
  joinedAt: Date | null;
  role: string | null;
  roleEventId: string | null;
  tier: string | null;
  tierEventId: string | null;
  firstActiveAt: Date | null;
  lastActiveAt: Date | null;
}

export interface ActivityDelta {
  communityId: string;
  userId: string;
  day: string;
  actions: number;
  contribution: number;
}

export interface QuestionFact {
  threadId: string;
  communityId: string;
  boardId: string;
  askerId: string;
  productSkus: string[];
  askedAt: Date;
}

/**
 * What a batch of events changes, summed per key: the repository writes each map with one
 * statement. Pure: the same events give the same effects, which is why the rebuild (the events
 * replayed in order) equals what the consumer built incrementally.
 */
/** What insights_daily_keys counts per day: threads mentioning a SKU or a tag, points earned by a loyalty rule. */
export type KeyKind = 'sku' | 'tag' | 'points_rule';

export class Effects {
  readonly profiles = new Map<string, ProfileDelta>();
  readonly activity = new Map<string, ActivityDelta>();
  readonly daily = new Map<string, { communityId: string; day: string; counters: Partial<Record<DailyCounter, number>> }>();
  readonly keys = new Map<string, { communityId: string; kind: KeyKind; day: string; key: string; n: number }>();
  readonly newQuestions: QuestionFact[] = [];
  readonly staffAnswers: Array<{ threadId: string; staffId: string; answeredAt: Date }> = [];
  readonly deletedQuestions: string[] = [];
  readonly support: Array<{ roomId: string; communityId: string; customerId: string; staffId: string | null; closedAt: Date | null }> = [];
  readonly forgetUsers: string[] = [];
  /** Threads the batch needs to know are questions (replies to them are answers); filled by the caller. */
  questionThreads = new Set<string>();

  profile(communityId: string, userId: string): ProfileDelta {
    const key = `${communityId}|${userId}`;
    let p = this.profiles.get(key);
    if (!p) {
      p = { communityId, userId, counters: {}, joinedAt: null, role: null, roleEventId: null, tier: null, tierEventId: null, firstActiveAt: null, lastActiveAt: null };
      this.profiles.set(key, p);
    }
    return p;
  }

  add(communityId: string, userId: string, counter: ProfileCounter, n = 1) {
    const p = this.profile(communityId, userId);
    p.counters[counter] = (p.counters[counter] ?? 0) + n;
  }

  /** An action by the member on the event's day: an active day, with its contribution weight. */
  act(e: DomainEvent, communityId: string, userId: string, contribution: number) {
    const day = dayOf(e.createdAt);
    const key = `${communityId}|${userId}|${day}`;
    const a = this.activity.get(key) ?? { communityId, userId, day, actions: 0, contribution: 0 };
    a.actions += 1;
    a.contribution += contribution;
    this.activity.set(key, a);
    const p = this.profile(communityId, userId);
    if (!p.firstActiveAt || e.createdAt < p.firstActiveAt) p.firstActiveAt = e.createdAt;
    if (!p.lastActiveAt || e.createdAt > p.lastActiveAt) p.lastActiveAt = e.createdAt;
  }

  count(e: DomainEvent, communityId: string, counter: DailyCounter, n = 1) {
    const day = dayOf(e.createdAt);
    const key = `${communityId}|${day}`;
    const d = this.daily.get(key) ?? { communityId, day, counters: {} };
    d.counters[counter] = (d.counters[counter] ?? 0) + n;
    this.daily.set(key, d);
  }

  mention(e: DomainEvent, communityId: string, kind: 'sku' | 'tag', values: readonly string[]) {
    for (const value of new Set(values)) this.tally(e, communityId, kind, value, 1);
  }

  /** Adds n to a key of the day (a mention, or the points a rule gave). */
  tally(e: DomainEvent, communityId: string, kind: KeyKind, value: string, n: number) {
    const day = dayOf(e.createdAt);
    const key = `${communityId}|${kind}|${day}|${value}`;
    const k = this.keys.get(key) ?? { communityId, kind, day, key: value, n: 0 };
    k.n += n;
    this.keys.set(key, k);
  }
}

/** Contribution weights of a member's own actions (the "top 10% by contribution" of segment A). */
export const CONTRIBUTION = { thread: 3, reply: 2, chat: 1, reaction: 0, vote: 0, other: 0 } as const;

type Apply<T extends DomainEventType> = (fx: Effects, e: DomainEvent<T>) => void;
type Table = { [T in DomainEventType]?: Apply<T> };

/**
 * What each event type does to the profiles and aggregates. An active day is a day the member did
 * something themself: posted, replied, reacted, voted, chatted, asked for support, redeemed points
 * or rated; joining, receiving reactions and earning points are not activity.
 */
export const EFFECTS: Table = {
  'member.joined': (fx, e) => {
    const p = fx.profile(e.data.communityId, e.data.userId);
    if (!p.joinedAt || e.createdAt < p.joinedAt) p.joinedAt = e.createdAt;
    setRole(p, e.data.role, e.id);
    fx.count(e, e.data.communityId, 'new_members');
  },
  'member.role_changed': (fx, e) => setRole(fx.profile(e.data.communityId, e.data.userId), e.data.role, e.id),
  'thread.created': (fx, e) => {
    const d = e.data;
    fx.add(d.communityId, d.authorId, 'threads');
    fx.act(e, d.communityId, d.authorId, CONTRIBUTION.thread);
    fx.count(e, d.communityId, 'threads');
    fx.mention(e, d.communityId, 'sku', d.productSkus ?? []);
    fx.mention(e, d.communityId, 'tag', d.tags ?? []);
    if (d.boardKind === 'qa') {
      fx.add(d.communityId, d.authorId, 'questions');
      fx.count(e, d.communityId, 'questions');
      fx.newQuestions.push({ threadId: d.threadId, communityId: d.communityId, boardId: d.boardId, askerId: d.authorId, productSkus: d.productSkus ?? [], askedAt: e.createdAt });
      fx.questionThreads.add(d.threadId);
    }
  },
  'post.created': (fx, e) => {
    const d = e.data;
    fx.add(d.communityId, d.authorId, 'replies');
    if (fx.questionThreads.has(d.threadId)) fx.add(d.communityId, d.authorId, 'answers');
    fx.act(e, d.communityId, d.authorId, CONTRIBUTION.reply);
    fx.count(e, d.communityId, 'replies');
  },
  'reaction.added': (fx, e) => {
    const d = e.data;
    fx.add(d.communityId, d.userId, 'reactions_given');
    fx.act(e, d.communityId, d.userId, CONTRIBUTION.reaction);
    if (d.userId !== d.authorId) fx.add(d.communityId, d.authorId, 'reactions_received');
  },
  'reaction.removed': (fx, e) => {
    const d = e.data;
    fx.add(d.communityId, d.userId, 'reactions_given', -1);
    if (d.userId !== d.authorId) fx.add(d.communityId, d.authorId, 'reactions_received', -1);
  },
  'vote.cast': (fx, e) => {
    if (e.data.value === 0) return;
    fx.add(e.data.communityId, e.data.userId, 'votes_cast');
    fx.act(e, e.data.communityId, e.data.userId, CONTRIBUTION.vote);
  },
  'question.answered_by_staff': (fx, e) => {
    fx.count(e, e.data.communityId, 'staff_answers');
    fx.staffAnswers.push({ threadId: e.data.threadId, staffId: e.data.authorId, answeredAt: e.createdAt });
  },
  'answer.accepted': (fx, e) => {
    fx.add(e.data.communityId, e.data.authorId, 'accepted_answers');
  },
  'answer.official': (fx, e) => fx.add(e.data.communityId, e.data.authorId, 'official_answers', e.data.official ? 1 : -1),
  'post.deleted': (fx, e) => {
    fx.add(e.data.communityId, e.data.authorId, 'posts_removed');
    if (e.data.isFirst) fx.deletedQuestions.push(e.data.threadId);
  },
  'post.hidden': (fx, e) => fx.add(e.data.communityId, e.data.authorId, 'posts_removed'),
  'post.restored': (fx, e) => fx.add(e.data.communityId, e.data.authorId, 'posts_removed', -1),
  'chat.message_sent': (fx, e) => {
    fx.add(e.data.communityId, e.data.authorId, 'chat_messages');
    fx.act(e, e.data.communityId, e.data.authorId, CONTRIBUTION.chat);
    fx.count(e, e.data.communityId, 'chat_messages');
  },
  'support.requested': (fx, e) => {
    fx.add(e.data.communityId, e.data.customerId, 'support_requests');
    fx.act(e, e.data.communityId, e.data.customerId, CONTRIBUTION.other);
    fx.count(e, e.data.communityId, 'support_requests');
    fx.support.push({ roomId: e.data.roomId, communityId: e.data.communityId, customerId: e.data.customerId, staffId: null, closedAt: null });
  },
  'support.claimed': (fx, e) => {
    fx.support.push({ roomId: e.data.roomId, communityId: e.data.communityId, customerId: e.data.customerId, staffId: e.data.staffId, closedAt: null });
  },
  'support.closed': (fx, e) => {
    fx.support.push({ roomId: e.data.roomId, communityId: e.data.communityId, customerId: e.data.customerId, staffId: e.data.staffId, closedAt: e.createdAt });
  },
  'points.earned': (fx, e) => {
    fx.add(e.data.communityId, e.data.userId, 'points_earned', e.data.points);
    fx.count(e, e.data.communityId, 'points_issued', e.data.points);
    fx.tally(e, e.data.communityId, 'points_rule', e.data.rule, e.data.points);
  },
  'points.reversed': (fx, e) => fx.add(e.data.communityId, e.data.userId, 'points_reversed', Math.abs(e.data.points)),
  'points.redeemed': (fx, e) => {
    fx.add(e.data.communityId, e.data.userId, 'points_redeemed', e.data.points);
    fx.act(e, e.data.communityId, e.data.userId, CONTRIBUTION.other);
    fx.count(e, e.data.communityId, 'points_redeemed', e.data.points);
  },
  'tier.changed': (fx, e) => {
    const p = fx.profile(e.data.communityId, e.data.userId);
    if (!p.tierEventId || BigInt(e.id) > BigInt(p.tierEventId)) {
      p.tier = e.data.tier;
      p.tierEventId = e.id;
    }
  },
  'order.paid': (fx, e) => fx.add(e.data.communityId, e.data.userId, 'orders'),
  'order.refunded': (fx, e) => fx.add(e.data.communityId, e.data.userId, 'refunds'),
  'satisfaction.rated': (fx, e) => {
    fx.add(e.data.communityId, e.data.userId, 'ratings');
    fx.act(e, e.data.communityId, e.data.userId, CONTRIBUTION.other);
    fx.count(e, e.data.communityId, 'ratings');
    if (e.data.score >= 4) fx.count(e, e.data.communityId, 'ratings_positive');
  },
  'user.deleted': (fx, e) => {
    fx.forgetUsers.push(e.data.userId);
  },
};

export const INSIGHTS_EVENT_TYPES = Object.keys(EFFECTS) as DomainEventType[];

function setRole(p: ProfileDelta, role: string, eventId: string) {
  if (!p.roleEventId || BigInt(eventId) > BigInt(p.roleEventId)) {
    p.role = role;
    p.roleEventId = eventId;
  }
}

/** Threads whose replies may be answers: the batch's post.created threads (looked up before applying). */
export function repliedThreads(events: DomainEvent[]): string[] {
  return [...new Set(events.filter((e) => e.type === 'post.created').map((e) => (e.data as DomainEventMap['post.created']).threadId))];
}

/** Folds events (in id order) into one Effects. */
export function effectsOf(events: DomainEvent[], knownQuestions: Iterable<string>): Effects {
  const fx = new Effects();
  fx.questionThreads = new Set(knownQuestions);
  for (const e of events) (EFFECTS[e.type] as Apply<DomainEventType> | undefined)?.(fx, e);
  return fx;
}

/** The UTC day of a time, as YYYY-MM-DD. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}
