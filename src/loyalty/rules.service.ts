import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { LoyaltyErrors } from './loyalty.errors';
import { LoyaltyRules, resolveRules, tiersProblem } from './loyalty-rules';

/** How long an instance keeps a community's rules (the consumer reads them for every event). */
const CACHE_MS = 5_000;
const CACHE_MAX = 10_000;

/**
 * A community's points rules and tiers (stored over the defaults). Kept in memory for 5 s: a change
 * applies at once on the instance that made it, within 5 s on the others.
 */
@Injectable()
export class RulesService {
  private readonly cache = new Map<string, { rules: LoyaltyRules; at: number }>();

  constructor(private readonly db: Db) {}

  async get(communityId: string): Promise<LoyaltyRules> {
    const hit = this.cache.get(communityId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.rules;
    const [row] = await this.db.query<{ rules: Record<string, unknown> }>('SELECT rules FROM loyalty_rules WHERE community_id = $1', [communityId]);
    return this.remember(communityId, resolveRules(row?.rules));
  }

  private remember(communityId: string, rules: LoyaltyRules): LoyaltyRules {
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(communityId, { rules, at: Date.now() });
    return rules;
  }

  /** Merges the given fields over the current rules (fields left out keep their value); returns the result. */
  async update(communityId: string, actorId: string, patch: Partial<LoyaltyRules>): Promise<LoyaltyRules> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (changes.tiers) {
      const problem = tiersProblem(changes.tiers as LoyaltyRules['tiers']);
      if (problem) throw LoyaltyErrors.badTiers(problem);
    }
    const [row] = await this.db.query<{ rules: Record<string, unknown> }>(
      `INSERT INTO loyalty_rules (community_id, rules, updated_by, updated_at) VALUES ($1, $2::jsonb, $3, now())
       ON CONFLICT (community_id) DO UPDATE SET rules = loyalty_rules.rules || EXCLUDED.rules, updated_by = EXCLUDED.updated_by, updated_at = now()
       RETURNING rules`,
      [communityId, JSON.stringify(changes), actorId],
    );
    this.cache.delete(communityId);
    return resolveRules(row.rules);
  }

  /** Communities where points expire, with their inactivity period. */
  async expiringCommunities(): Promise<{ communityId: string; days: number }[]> {
    const rows = await this.db.query<{ community_id: string; rules: Record<string, unknown> }>(
      `SELECT community_id, rules FROM loyalty_rules WHERE rules->>'expiryInactiveDays' IS NOT NULL`,
    );
    return rows.map((r) => ({ communityId: r.community_id, days: resolveRules(r.rules).expiryInactiveDays })).filter((r) => r.days > 0);
  }
}
