import { LedgerEntryView, LoyaltySummaryView } from './dto/loyalty.dto';
import { RedemptionView, RewardView } from './dto/rewards.dto';
import { AccountRow, EntryRow } from './ledger.repository';
import { tierPoints } from './ledger.service';
import { Tier, tierOf } from './loyalty-rules';
import { RedemptionRow, RewardRow } from './rewards.repository';

const iso = (d: Date | string) => new Date(d).toISOString();

export function toEntryView(e: EntryRow): LedgerEntryView {
  return {
    id: e.id,
    kind: e.kind,
    points: e.points,
    requestedPoints: e.requested_points,
    status: e.status,
    rule: e.rule,
    reason: e.reason,
    sourceEventId: e.source_event_id === null ? null : String(e.source_event_id),
    reversesEntryId: e.reverses_entry_id,
    threadId: e.thread_id,
    postId: e.post_id,
    approveAt: e.status === 'pending' && e.approve_at ? iso(e.approve_at) : null,
    createdAt: iso(e.created_at),
  };
}

/** A member's summary; a member with no account yet has all zeros and the first tier. */
export function toSummaryView(userId: string, a: AccountRow | null, tiers: Tier[]): LoyaltySummaryView {
  const figures = { balance: a?.balance ?? 0, pending: a?.pending ?? 0, lifetimeEarned: a?.lifetime_earned ?? 0, spent: a?.spent ?? 0, expired: a?.expired ?? 0, reversed: a?.reversed ?? 0 };
  const points = tierPoints(figures);
  const { tier, next } = tierOf(tiers, points);
  return { userId, ...figures, tierPoints: points, tier: tier.name, nextTier: next };
}

export function toRewardView(r: RewardRow): RewardView {
  return { id: r.id, name: r.name, description: r.description, cost: r.cost, available: r.available, enabled: !r.disabled_at, createdAt: iso(r.created_at) };
}

export function toRedemptionView(r: RedemptionRow): RedemptionView {
  return {
    id: r.id,
    userId: r.user_id,
    rewardId: r.reward_id,
    rewardName: r.reward_name,
    points: r.points,
    couponCode: r.code,
    entryId: r.entry_id,
    createdAt: iso(r.created_at),
  };
}
