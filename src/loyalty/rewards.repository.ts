import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';

export interface RewardRow {
  id: string;
  community_id: string;
  name: string;
  description: string;
  cost: number;
  created_at: Date;
  /** null: enabled (members see it and may redeem it). */
  disabled_at: Date | null;
  available: number;
}

export interface RedemptionRow {
  id: string;
  community_id: string;
  user_id: string;
  reward_id: string;
  reward_name: string;
  entry_id: string;
  points: number;
  code: string;
  created_at: Date;
}

export interface StoredAnswer {
  request_hash: string;
  status: number;
  body: unknown;
}

const AVAILABLE = `(SELECT count(*) FROM loyalty_reward_codes c WHERE c.reward_id = r.id AND c.redemption_id IS NULL)::int AS available`;

/** Rewards, their coupon codes, redemptions and redemption idempotency keys. */
@Injectable()
export class RewardsRepository {
  constructor(private readonly db: Db) {}

  async create(communityId: string, actorId: string, input: { name: string; cost: number; description?: string }): Promise<RewardRow> {
    const [row] = await this.db.query<RewardRow>(
      `INSERT INTO loyalty_rewards (community_id, name, description, cost, created_by) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, community_id, name, description, cost, created_at, disabled_at, 0 AS available`,
      [communityId, input.name, input.description ?? '', input.cost, actorId],
    );
    return row;
  }

  /** The reward; `available` is counted only when asked for (a redemption does not need it). */
  async get(rewardId: string, countAvailable = true): Promise<RewardRow | null> {
    const [row] = await this.db.query<RewardRow>(`SELECT r.*, ${countAvailable ? AVAILABLE : '0 AS available'} FROM loyalty_rewards r WHERE r.id = $1`, [rewardId]);
    return row ?? null;
  }

  async list(communityId: string, after: [string, string] | null, limit: number, includeDisabled = false): Promise<(RewardRow & { k: string })[]> {
    return this.db.query(
      `SELECT r.*, r.created_at::text AS k, ${AVAILABLE} FROM loyalty_rewards r
        WHERE r.community_id = $1 AND ($2::timestamptz IS NULL OR (r.created_at, r.id) > ($2::timestamptz, $3::uuid))
          AND ($5::boolean OR r.disabled_at IS NULL)
        ORDER BY r.created_at, r.id LIMIT $4`,
      [communityId, after?.[0] ?? null, after?.[1] ?? null, limit, includeDisabled],
    );
  }

  /** Changes the given fields of a reward of this community (`enabled` false disables it, keeping the first time); null when there is none. */
  async update(communityId: string, rewardId: string, patch: { name?: string; cost?: number; description?: string; enabled?: boolean }, now: Date): Promise<RewardRow | null> {
    const [row] = await this.db.query<RewardRow>(
      `UPDATE loyalty_rewards r SET name = COALESCE($3, r.name), cost = COALESCE($4, r.cost), description = COALESCE($5, r.description),
              disabled_at = CASE WHEN $6::boolean IS NULL THEN r.disabled_at WHEN $6::boolean THEN NULL ELSE COALESCE(r.disabled_at, $7) END
        WHERE r.id = $2 AND r.community_id = $1
        RETURNING r.*, ${AVAILABLE}`,
      [communityId, rewardId, patch.name ?? null, patch.cost ?? null, patch.description ?? null, patch.enabled ?? null, now],
    );
    return row ?? null;
  }

  /** Adds codes, ignoring those the reward already has (and repeats within the list); returns how many were new. */
  async addCodes(rewardId: string, codes: string[]): Promise<number> {
    const { affected } = await this.db.execute(
      `INSERT INTO loyalty_reward_codes (reward_id, code) SELECT $1, c FROM unnest($2::text[]) WITH ORDINALITY AS t(c, n) ORDER BY n
       ON CONFLICT (reward_id, code) DO NOTHING`,
      [rewardId, codes],
    );
    return affected;
  }

  async available(rewardId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM loyalty_reward_codes WHERE reward_id = $1 AND redemption_id IS NULL`, [rewardId]);
    return row.n;
  }

  /** Takes one unused code for the redemption (skipping codes other transactions are taking); null when none is left. */
  async takeCode(rewardId: string, redemptionId: string): Promise<string | null> {
    const [row] = await this.db.query<{ code: string }>(
      `UPDATE loyalty_reward_codes SET redemption_id = $2
        WHERE id = (SELECT id FROM loyalty_reward_codes WHERE reward_id = $1 AND redemption_id IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
          AND redemption_id IS NULL
        RETURNING code`,
      [rewardId, redemptionId],
    );
    return row?.code ?? null;
  }

  async insertRedemption(r: { id: string; communityId: string; userId: string; rewardId: string; entryId: string; points: number; code: string; createdAt: Date }) {
    await this.db.query(
      `INSERT INTO loyalty_redemptions (id, community_id, user_id, reward_id, entry_id, points, code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [r.id, r.communityId, r.userId, r.rewardId, r.entryId, r.points, r.code, r.createdAt],
    );
  }

  async listRedemptions(communityId: string, userId: string | null, after: [string, string] | null, limit: number): Promise<(RedemptionRow & { k: string })[]> {
    return this.db.query(
      `SELECT d.*, r.name AS reward_name, d.created_at::text AS k FROM loyalty_redemptions d JOIN loyalty_rewards r ON r.id = d.reward_id
        WHERE d.community_id = $1 AND ($2::uuid IS NULL OR d.user_id = $2)
          AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3::timestamptz, $4::uuid))
        ORDER BY d.created_at DESC, d.id DESC LIMIT $5`,
      [communityId, userId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  /**
   * Claims the key for this request: inserts its row (a concurrent holder of the same key makes this
   * wait until it commits) and returns null, or returns the answer stored by the request that used it first.
   */
  async claimKey(userId: string, key: string, requestHash: string, now: Date): Promise<StoredAnswer | null> {
    const inserted = await this.db.query(
      `INSERT INTO loyalty_idempotency_keys (user_id, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, 0, 'null'::jsonb, $4)
       ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
      [userId, key, requestHash, now],
    );
    if (inserted.length) return null;
    const [row] = await this.db.query<StoredAnswer>(`SELECT request_hash, status, body FROM loyalty_idempotency_keys WHERE user_id = $1 AND key = $2`, [userId, key]);
    return row;
  }

  async storeAnswer(userId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.db.query(`UPDATE loyalty_idempotency_keys SET status = $3, body = $4::jsonb WHERE user_id = $1 AND key = $2`, [userId, key, status, JSON.stringify(body)]);
  }

  /** Keys are kept at least `keepMs`; older ones are dropped by the sweep. */
  async dropKeysBefore(before: Date): Promise<number> {
    const { affected } = await this.db.execute(`DELETE FROM loyalty_idempotency_keys WHERE created_at < $1`, [before]);
    return affected;
  }
}
