import { DomainEvent, DomainEventType } from '../core/events/event-types';

/**
 * Which domain events may go to the store: `default` ones are sent when a connection names no list,
 * `optional` ones only when selected (high volume), `never` ones are internal. A Record, so a new
 * event type does not compile until it is placed here: that one line is all a new type needs.
 */
const WEBHOOK_EVENT_POLICY: Record<DomainEventType, 'default' | 'optional' | 'never'> = {
  'member.joined': 'default',
  'member.role_changed': 'default',
  'thread.created': 'default',
  'thread.moved': 'default',
  'post.created': 'default',
  'post.edited': 'optional',
  'post.deleted': 'default',
  'reaction.added': 'optional',
  'reaction.removed': 'optional',
  'question.answered_by_staff': 'default',
  'question.overdue': 'default',
  'answer.accepted': 'default',
  'answer.official': 'default',
  'vote.cast': 'optional',
  'chat.message_sent': 'optional',
  'support.requested': 'default',
  'support.claimed': 'default',
  'support.closed': 'default',
  'report.created': 'optional',
  'post.hidden': 'default',
  'post.restored': 'default',
  'post.approved': 'default',
  'member.sanctioned': 'default',
  'sanction.lifted': 'default',
  'review.resolved': 'optional',
  'thread.pinned': 'optional',
  'thread.locked': 'optional',
  'thread.closed_as_duplicate': 'optional',
  'faq.changed': 'optional',
  'settings.changed': 'never',
  'community.look_changed': 'never',
  'points.earned': 'default',
  'points.reversed': 'default',
  'points.redeemed': 'default',
  'tier.changed': 'default',
  // Orders come from the store itself; echoing them back is noise unless asked for.
  'order.paid': 'optional',
  'order.refunded': 'optional',
  // A thread's title, tags or SKUs edited (issue 20): like post.edited, only when asked for.
  'thread.edited': 'optional',
  // Insights (issue 17): the store can send a win-back offer, or a helpdesk ticket for a low score.
  'member.segment_changed': 'default',
  'member.churn_risk': 'default',
  'satisfaction.rated': 'default',
  // Accounts (issue 20): not about one community; the store bridge forgets the person itself on user.deleted.
  'user.password_reset': 'never',
  'user.deleted': 'never',
  // Account-level profile edits (issue 20) belong to no community: nothing to tell a store.
  'user.profile_changed': 'never',
  'user.username_changed': 'never',
  'test.ping': 'never',
  // Sent only by the "send a test event" button, straight to the connection (store-test-event.service.ts).
  'store.test': 'never',
};

/** Every event type a connection may select. */
export const WEBHOOK_EVENT_TYPES: readonly string[] = Object.entries(WEBHOOK_EVENT_POLICY)
  .filter(([, p]) => p !== 'never')
  .map(([t]) => t)
  .sort();

/** The selection when a connection names none. */
export const DEFAULT_WEBHOOK_EVENT_TYPES: readonly string[] = Object.entries(WEBHOOK_EVENT_POLICY)
  .filter(([, p]) => p === 'default')
  .map(([t]) => t)
  .sort();

const SENDABLE = new Set(WEBHOOK_EVENT_TYPES);
export const isSendable = (type: string): boolean => SENDABLE.has(type);

/**
 * The member an event is about, by the first of these fields the event's data has: the subject
 * (`userId`: who joined, earned, was sanctioned, reacted), else the content's author, else the asker
 * or customer. The webhook's data adds `storeCustomerId` when that member is linked to the store.
 */
export function memberOf(event: DomainEvent): string | null {
  const d = event.data as unknown as Record<string, unknown>;
  for (const key of ['userId', 'authorId', 'askerId', 'customerId']) {
    if (typeof d[key] === 'string') return d[key] as string;
  }
  return null;
}
