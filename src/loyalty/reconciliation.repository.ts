import { Db } from '../core/database/db.service';

export interface DriftRow {
  communityId: string;
  userId: string;
  balance: number;
  approvedSum: number;
  pending: number;
  pendingSum: number;
  lifetimeEarned: number;
  /** approved + pending + spent + expired + reversed, from the account's own figures. */
  identitySum: number;
  /** What the entries say was earned: earn entries not cancelled, positive adjustments. */
  earnedSum: number;
}

/**
 * Checks every account against its entries: the balance is the sum of its approved entries, pending
 * the sum of its pending ones, lifetime = approved + pending + spent + expired + reversed, and lifetime
 * what the entries say was earned. Plain SQL on a Db, so the admin route and `npm run
 * loyalty:reconcile` share it.
 */
export class ReconciliationRepository {
  constructor(private readonly db: Db) {}

  async check(communityId: string | null): Promise<{ accountsChecked: number; drift: DriftRow[] }> {
    const rows = await this.db.query<{
      community_id: string; user_id: string; balance: number; pending: number; lifetime_earned: number; spent: number; expired: number; reversed: number;
      approved_sum: number; pending_sum: number; earned_sum: number; spent_sum: number; expired_sum: number; reversed_sum: number;
    }>(
      `SELECT a.community_id, a.user_id, a.balance, a.pending, a.lifetime_earned, a.spent, a.expired, a.reversed,
              COALESCE(s.approved_sum, 0)::int AS approved_sum, COALESCE(s.pending_sum, 0)::int AS pending_sum,
              COALESCE(s.earned_sum, 0)::int AS earned_sum, COALESCE(s.spent_sum, 0)::int AS spent_sum,
              COALESCE(s.expired_sum, 0)::int AS expired_sum, COALESCE(s.reversed_sum, 0)::int AS reversed_sum
         FROM loyalty_accounts a
         LEFT JOIN LATERAL (
           SELECT sum(points) FILTER (WHERE status = 'approved') AS approved_sum,
                  sum(points) FILTER (WHERE status = 'pending') AS pending_sum,
                  sum(points) FILTER (WHERE (kind = 'earn' AND status <> 'cancelled') OR (kind = 'adjustment' AND points > 0)) AS earned_sum,
                  -sum(points) FILTER (WHERE kind = 'redemption') AS spent_sum,
                  -sum(points) FILTER (WHERE kind = 'expiry') AS expired_sum,
                  -sum(points) FILTER (WHERE (kind = 'reversal' AND status = 'approved') OR (kind = 'adjustment' AND points < 0)) AS reversed_sum
             FROM loyalty_entries e WHERE e.community_id = a.community_id AND e.user_id = a.user_id
         ) s ON true
        WHERE ($1::uuid IS NULL OR a.community_id = $1)`,
      [communityId],
    );
    const drift: DriftRow[] = [];
    for (const r of rows) {
      const identitySum = r.balance + r.pending + r.spent + r.expired + r.reversed;
      const ok =
        r.balance === r.approved_sum && r.pending === r.pending_sum && r.lifetime_earned === identitySum && r.lifetime_earned === r.earned_sum &&
        r.spent === r.spent_sum && r.expired === r.expired_sum && r.reversed === r.reversed_sum && r.balance >= 0;
      if (!ok) {
        drift.push({
          communityId: r.community_id, userId: r.user_id, balance: r.balance, approvedSum: r.approved_sum, pending: r.pending, pendingSum: r.pending_sum,
          lifetimeEarned: r.lifetime_earned, identitySum, earnedSum: r.earned_sum,
        });
      }
    }
    return { accountsChecked: rows.length, drift };
  }
}
