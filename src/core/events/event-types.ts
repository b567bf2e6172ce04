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
  /** Only for the outbox's own tests and diagnostics. */
  'test.ping': { n: number; tag?: string };
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
}
