/**
 * Every kind of notification, with what a member gets by default. A member's preference per type:
 *   email  - in the app, and an immediate email (after NOTIFICATION_EMAIL_DELAY_SECONDS, unless read or connected)
 *   digest - in the app, and in the daily or weekly digest while unread
 *   inapp  - in the app only
 *   off    - not at all
 */
export const NOTIFICATION_TYPES = [
  'thread_reply',
  'post_reply',
  'mention',
  'new_thread',
  'question_answered',
  'answer_accepted',
  'answer_official',
  'content_moderated',
  'sanction',
  'new_question',
  'question_overdue',
  'support_requested',
  'review_waiting',
  'points_earned',
  'tier_changed',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const DELIVERIES = ['email', 'digest', 'inapp', 'off'] as const;
export type Delivery = (typeof DELIVERIES)[number];

export const DIGEST_FREQUENCIES = ['daily', 'weekly', 'never'] as const;
export type DigestFrequency = (typeof DIGEST_FREQUENCIES)[number];
export const DEFAULT_DIGEST_FREQUENCY: DigestFrequency = 'weekly';
export const DIGEST_PERIOD_MS: Record<Exclude<DigestFrequency, 'never'>, number> = { daily: 86_400_000, weekly: 7 * 86_400_000 };

/** Defaults: email for what someone is waiting on (mentions, answers, acceptances, staff alerts), the digest for the rest of the conversation, in-app for points. */
export const DEFAULT_DELIVERY: Record<NotificationType, Delivery> = {
  thread_reply: 'digest',
  post_reply: 'digest',
  mention: 'email',
  new_thread: 'digest',
  question_answered: 'email',
  answer_accepted: 'email',
  answer_official: 'digest',
  content_moderated: 'digest',
  sanction: 'email',
  new_question: 'email',
  question_overdue: 'email',
  support_requested: 'email',
  review_waiting: 'email',
  points_earned: 'inapp',
  tier_changed: 'inapp',
};

/** One line per type, for the API documentation and the preferences page. */
export const TYPE_DESCRIPTIONS: Record<NotificationType, string> = {
  thread_reply: 'New replies in a thread you started, replied to or watch (collapsed per thread)',
  post_reply: 'A reply to one of your posts',
  mention: 'Someone @mentioned you',
  new_thread: 'A new thread in a board you watch',
  question_answered: 'Staff answered your question',
  answer_accepted: 'Your answer was accepted',
  answer_official: "Your answer was marked as the brand's official answer",
  content_moderated: 'Your post or thread was moved, hidden or restored by a moderator',
  sanction: 'A moderator sanctioned your account',
  new_question: 'Staff: a new question in a Q&A board',
  question_overdue: "Staff: a question passed the community's response target",
  support_requested: 'Staff: a member asked for a support chat',
  review_waiting: 'Moderators: a report is waiting in the review queue (collapsed)',
  points_earned: 'Points approved (collapsed per day)',
  tier_changed: 'Your loyalty tier changed',
};

export function deliveryOf(types: Partial<Record<string, Delivery>>, type: NotificationType): Delivery {
  const chosen = types[type];
  return chosen && (DELIVERIES as readonly string[]).includes(chosen) ? chosen : DEFAULT_DELIVERY[type];
}

export const WATCH_LEVELS = ['watching', 'tracking', 'normal', 'muted'] as const;
export type WatchLevel = (typeof WATCH_LEVELS)[number];
