import { EngagementView } from './dto/insights.dto';
import { ActivityStats, ProfileRow } from './insights.repository';

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function toEngagementView(p: ProfileRow, stats: ActivityStats | null, store: EngagementView['store']): EngagementView {
  const d30 = stats?.d30 ?? 0;
  return {
    userId: p.user_id,
    communityId: p.community_id,
    role: p.role,
    joinedAt: iso(p.joined_at),
    counts: {
      threads: p.threads, replies: p.replies, questions: p.questions, answers: p.answers, acceptedAnswers: p.accepted_answers,
      officialAnswers: p.official_answers, reactionsGiven: p.reactions_given, reactionsReceived: p.reactions_received, votesCast: p.votes_cast,
      chatMessages: p.chat_messages, supportRequests: p.support_requests, postsRemoved: p.posts_removed, ratings: p.ratings, orders: p.orders, refunds: p.refunds,
    },
    points: { earned: p.points_earned, reversed: p.points_reversed, redeemed: p.points_redeemed, net: p.points_earned - p.points_reversed - p.points_redeemed, tier: p.tier },
    firstActiveAt: iso(p.first_active_at),
    lastActiveAt: iso(p.last_active_at),
    activeDays: { '7': stats?.d7 ?? 0, '30': d30, '90': stats?.d90 ?? 0 },
    stickiness: round(d30 / 30),
    contribution30: stats?.c30 ?? 0,
    segment: p.segment.trim(),
    churnRisk: { atRisk: p.churn_risk, reason: p.churn_reason },
    store,
  };
}

/** The export's columns, in order (CSV header). */
export const EXPORT_COLUMNS = [
  'userId', 'email', 'storeCustomerId', 'role', 'joinedAt', 'segment', 'churnRisk', 'churnReason', 'activeDays7', 'activeDays30', 'activeDays90',
  'stickiness', 'contribution30', 'threads', 'replies', 'questions', 'answers', 'acceptedAnswers', 'officialAnswers', 'reactionsGiven',
  'reactionsReceived', 'chatMessages', 'supportRequests', 'pointsNet', 'tier', 'orders', 'firstActiveAt', 'lastActiveAt',
] as const;

/** One export row; `email` undefined (no store connection) leaves the field out. */
export function toExportRow(p: ProfileRow, s: ActivityStats | null, customerId: string | null, email: string | null | undefined): Record<string, unknown> {
  const row: Record<string, unknown> = {
    userId: p.user_id,
    email,
    storeCustomerId: customerId,
    role: p.role,
    joinedAt: iso(p.joined_at),
    segment: p.segment.trim(),
    churnRisk: p.churn_risk,
    churnReason: p.churn_reason,
    activeDays7: s?.d7 ?? 0,
    activeDays30: s?.d30 ?? 0,
    activeDays90: s?.d90 ?? 0,
    stickiness: round((s?.d30 ?? 0) / 30),
    contribution30: s?.c30 ?? 0,
    threads: p.threads,
    replies: p.replies,
    questions: p.questions,
    answers: p.answers,
    acceptedAnswers: p.accepted_answers,
    officialAnswers: p.official_answers,
    reactionsGiven: p.reactions_given,
    reactionsReceived: p.reactions_received,
    chatMessages: p.chat_messages,
    supportRequests: p.support_requests,
    pointsNet: p.points_earned - p.points_reversed - p.points_redeemed,
    tier: p.tier,
    orders: p.orders,
    firstActiveAt: iso(p.first_active_at),
    lastActiveAt: iso(p.last_active_at),
  };
  if (email === undefined) delete row.email;
  return row;
}

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled). A text cell
 * that starts with =, +, -, @ (or a tab or CR) is prefixed with ' so a spreadsheet does not run it
 * as a formula (OWASP CSV injection).
 */
const FORMULA_STARTS = new Set(['=', '+', '-', '@', '\t', '\r']);

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && FORMULA_STARTS.has(s.charAt(0))) s = `'${s}`;
  const quote = s.includes('"') || s.includes(',') || s.includes('\r') || s.includes('\n');
  return quote ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
