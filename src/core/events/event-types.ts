/**
 * Every domain event type and the shape of its data. Modules add theirs here when their issue
 * lands, so `events.record()` and consumers are checked by the compiler.
 */
export interface DomainEventMap {
  'member.joined': { communityId: string; userId: string; role: string };
  'member.role_changed': { communityId: string; userId: string; role: string; previousRole: string | null; changedBy: string };
  /** A thread and its first post (replies record post.created). */
  'thread.created': ThreadEventData & { postId: string; title: string; boardKind: string; hasImage: boolean };
  'thread.moved': ThreadEventData & { fromBoardId: string; movedBy: string };
  'post.created': PostEventData & { replyToPostId: string | null; hasImage: boolean };
  'post.edited': PostEventData & { editedBy: string; revision: number };
  /** isFirst: the thread's first post, which deletes the whole thread. */
  'post.deleted': PostEventData & { deletedBy: string; isFirst: boolean };
  'reaction.added': PostEventData & { userId: string; kind: string };
  'reaction.removed': PostEventData & { userId: string; kind: string };
  /** The first answer by staff to a question; responseSeconds since it was asked. */
  'question.answered_by_staff': PostEventData & { askerId: string; responseSeconds: number };
  /** A question passed the community's responseTargetMinutes with no staff answer (recorded once). */
  'question.overdue': { communityId: string; boardId: string; threadId: string; askerId: string; askedAt: string; targetMinutes: number; productSkus: string[] };
  'answer.accepted': PostEventData & { askerId: string; acceptedBy: string; previousPostId: string | null };
  'answer.official': PostEventData & { markedBy: string; official: boolean };
  /** value 0 means the vote was withdrawn; previous is the voter's vote before. */
  'vote.cast': PostEventData & { userId: string; value: number; previous: number };

  // ---- chat (issue 13) ----
  /** A chat message stored (for engagement and points; not a webhook per message by default). */
  'chat.message_sent': { communityId: string; roomId: string; roomKind: string; messageId: string; authorId: string };
  'support.requested': { communityId: string; roomId: string; customerId: string };
  'support.claimed': { communityId: string; roomId: string; customerId: string; staffId: string };
  'support.closed': { communityId: string; roomId: string; customerId: string; staffId: string | null; closedBy: string };

  // ---- moderation (issue 14) ----
  'report.created': { communityId: string; reportId: string; itemId: string; targetType: string; targetId: string; reporterId: string; reason: string };
  /** hiddenBy null: hidden automatically (flagsToHide reached). */
  'post.hidden': PostEventData & { hiddenBy: string | null; reason: string; isFirst: boolean };
  'post.restored': PostEventData & { restoredBy: string; isFirst: boolean };
  /** A queued post (automod or a new member's first post) published by a moderator. */
  'post.approved': PostEventData & { approvedBy: string; isFirst: boolean };
  'member.sanctioned': { communityId: string; userId: string; sanctionId: string; kind: string; until: string | null; reason: string; by: string };
  'sanction.lifted': { communityId: string; userId: string; sanctionId: string; kind: string; liftedBy: string | null };
  'review.resolved': { communityId: string; itemId: string; targetType: string; targetId: string; action: string; resolvedBy: string; upheld: boolean };
  /** Staff actions that recorded no event before (the audit log reads them from the outbox). */
  'thread.pinned': { communityId: string; boardId: string; threadId: string; authorId: string; pinned: boolean; by: string };
  'thread.locked': { communityId: string; boardId: string; threadId: string; authorId: string; locked: boolean; by: string };
  'thread.closed_as_duplicate': { communityId: string; boardId: string; threadId: string; authorId: string; duplicateOfThreadId: string; by: string };
  'faq.changed': { communityId: string; boardId: string; threadId: string; postId: string; authorId: string; inFaq: boolean; by: string };
  'settings.changed': { communityId: string; by: string; before: Record<string, number>; after: Record<string, number> };
  /** The brand look changed (logo, primary colour, custom CSS): before and after, for the audit log (the CSS as a length and hash). */
  'community.look_changed': { communityId: string; by: string; before: Record<string, string | number | null>; after: Record<string, string | number | null> };

  // ---- loyalty (issue 15) ----
  'points.earned': { communityId: string; userId: string; entryId: string; points: number; rule: string; status: string };
  'points.reversed': { communityId: string; userId: string; entryId: string; reversesEntryId: string | null; points: number; rule: string };
  'points.redeemed': { communityId: string; userId: string; redemptionId: string; rewardId: string; points: number };
  'tier.changed': { communityId: string; userId: string; tier: string; previousTier: string | null };
  /** From the store bridge (declared here until it lands): a paid order of a linked member earns points; a refund takes them back. */
  'order.paid': { communityId: string; userId: string; orderId: string; total: number; currency: string };
  'order.refunded': { communityId: string; userId: string; orderId: string; total: number; currency: string };

  // ---- edits (issue 20) ----
  /** A thread's title, tags or SKUs changed: `before` and `after` hold only the fields that changed; tags and productSkus are the new ones. */
  'thread.edited': ThreadEventData & {
    editedBy: string;
    /** The thread_revisions row that keeps the values from before this edit. */
    revision: number;
    before: { title?: string; tags?: string[]; productSkus?: string[] };
    after: { title?: string; tags?: string[]; productSkus?: string[] };
  };

  // ---- accounts: recovery and the member's data (issue 20) ----
  /** A password set through an emailed reset link; every session of the account was ended. */
  'user.password_reset': { userId: string };
  /** The account was anonymised (email, name, password removed; posts kept, shown as "deleted"): forget the person. */
  'user.deleted': { userId: string };

  // ---- profiles (issue 20) ----
  /** The member edited their profile (PATCH /me); `changed` names what changed (displayName, username, bio, avatar). */
  'user.profile_changed': { userId: string; changed: string[] };
  /** A new username (not just a change of letter case); the previous one keeps resolving while nobody else holds it. */
  'user.username_changed': { userId: string; username: string; previousUsername: string | null };

  // ---- insights (issue 17) ----
  /** The daily job moved a member to another segment (A core, B regular, C at risk or dormant). */
  'member.segment_changed': { communityId: string; userId: string; segment: string; previousSegment: string; activeDays30: number };
  /** A once-active member went quiet (see the insights README section for the rule); recorded once per quiet spell. */
  'member.churn_risk': { communityId: string; userId: string; reason: string; activeDaysBefore: number; quietDays: number; lastActiveAt: string | null };
  /** An asker rated the answer to their question, or a customer their closed support chat (once each). */
  'satisfaction.rated': {
    communityId: string; userId: string; ratingId: string; score: number; comment: string | null;
    threadId: string | null; roomId: string | null; boardId: string | null; productSkus: string[]; staffId: string | null;
  };

  /** Only for the outbox's own tests and diagnostics. */
  'test.ping': { n: number; tag?: string };
  /** An admin asked for a test webhook (store bridge): the event id of the signed test delivery sent to the store whatever its selection. */
  'store.test': { communityId: string; requestedBy: string };
}

interface ThreadEventData {
  communityId: string;
  boardId: string;
  threadId: string;
  authorId: string;
  productSkus: string[];
  tags: string[];
}

interface PostEventData {
  communityId: string;
  boardId: string;
  threadId: string;
  postId: string;
  /** The post's author (for reactions: who receives it). */
  authorId: string;
}

export type DomainEventType = keyof DomainEventMap;

export interface DomainEvent<T extends DomainEventType = DomainEventType> {
  /** Monotonic id (a bigint as a string); consumers use it as their idempotency key. */
  id: string;
  type: T;
  communityId: string | null;
  data: DomainEventMap[T];
  createdAt: Date;
}

/**
 * A consumer of committed events. `handle` runs inside a transaction that also marks the
 * delivery done, so database work done through `Db` in `handle` commits exactly once per event.
 * A throw rolls that work back and the event is retried later with back-off. Network I/O does not
 * belong in `handle` (it would hold the transaction open): record a row and send it from a worker.
 */
export interface EventConsumer {
  /** Stable name: delivery state is stored per (event, consumer name). */
  readonly name: string;
  readonly types: readonly DomainEventType[] | '*';
  handle(event: DomainEvent): Promise<void>;
  /**
   * Optional: a batch of due events (in event order, each of this consumer's types) in one go, with
   * the same effect as `handle` on each in turn. If it throws, the dispatcher retries the events one
   * by one with `handle`, so it may assume nothing about partial progress.
   */
  handleBatch?(events: DomainEvent[]): Promise<void>;
}
