import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { CommunitiesService } from '../communities/communities.service';
import { Db } from '../core/database/db.service';
import { AppError } from '../core/errors/app-error';
import { EventsService } from '../core/events/events.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { CommunityPolicy } from '../core/policy/community-policy';
import { CodesAddedView, RedemptionResultView, RedemptionView, RewardView } from './dto/rewards.dto';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { LoyaltyClock } from './loyalty.clock';
import { LoyaltyErrors } from './loyalty.errors';
import { toRedemptionView, toRewardView } from './loyalty.mappers';
import { RewardsRepository } from './rewards.repository';

const REWARDS_CURSOR = cursorKind<[string, string]>('loyalty:rewards', 'timestamp', 'uuid');
const REDEMPTIONS_CURSOR = cursorKind<[string, string]>('loyalty:redemptions', 'timestamp', 'uuid');
/** Idempotency keys are kept at least this long (the sweep drops older ones). */
export const IDEMPOTENCY_KEEP_MS = 48 * 3_600_000;
const MAX_KEY_LENGTH = 200;

interface Answer {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** Rewards, their coupon codes, and redemptions (one code and the cost debited, in one transaction). */
@Injectable()
export class RewardsService {
  constructor(
    private readonly db: Db,
    private readonly repo: RewardsRepository,
    private readonly ledgerRepo: LedgerRepository,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    private readonly communities: CommunitiesService,
    private readonly policy: CommunityPolicy,
    private readonly cursors: Cursors,
    private readonly clock: LoyaltyClock,
  ) {}

  async create(actor: Actor, community: CommunityContext, input: { name: string; cost: number; description?: string }): Promise<RewardView> {
    return toRewardView(await this.repo.create(community.id, actor.userId, input));
  }

  /** Enabled rewards; admins may ask for the disabled ones too. */
  async list(community: CommunityContext, query: { limit?: number; cursor?: string; includeDisabled?: boolean }): Promise<Page<RewardView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const includeDisabled = Boolean(query.includeDisabled) && roleAtLeast(community.role, 'admin');
    const rows = await this.repo.list(community.id, this.cursors.decode(REWARDS_CURSOR, query.cursor), limit + 1, includeDisabled);
    return this.cursors.page(REWARDS_CURSOR, rows, limit, toRewardView, (r) => [r.k, r.id]);
  }

  /** Admins change a reward's name, cost or description, or disable it (no longer listed to members nor redeemable) and enable it again. */
  async update(community: CommunityContext, rewardId: string, patch: { name?: string; cost?: number; description?: string; enabled?: boolean }): Promise<RewardView> {
    const row = await this.repo.update(community.id, rewardId, patch, this.clock.now());
    if (!row) throw LoyaltyErrors.rewardNotFound();
    return toRewardView(row);
  }

  /** Admins of the reward's community upload the store's coupon codes (duplicates ignored). */
  async addCodes(actor: Actor, rewardId: string, codes: string[]): Promise<CodesAddedView> {
    const reward = await this.repo.get(rewardId, false);
    if (!reward) throw LoyaltyErrors.rewardNotFound();
    const role = await this.communities.roleOf(actor, reward.community_id);
    if (!role) throw LoyaltyErrors.rewardNotFound(); // outsiders do not learn that it exists
    await this.communities.requireRole(actor, reward.community_id, 'admin');
    const added = await this.db.transaction(() => this.repo.addCodes(rewardId, codes));
    return { added, available: await this.repo.available(rewardId) };
  }

  /**
   * Redeems a reward with an Idempotency-Key: the key's row is inserted first (its primary key makes a
   * concurrent request with the same key wait, then read the answer), the redemption runs in a
   * savepoint, and its answer (success or a 4xx decision) is stored with the key in the same transaction.
   */
  async redeem(actor: Actor, community: CommunityContext, rewardId: string, key: string | undefined): Promise<Answer> {
    if (!validKey(key)) throw LoyaltyErrors.keyRequired();
    await this.policy.assertMay(community.id, actor.userId, 'redeem');
    const hash = createHash('sha256').update(JSON.stringify({ communityId: community.id, rewardId })).digest('hex');
    const answer = await this.db.transaction(async (): Promise<Answer> => {
      const stored = await this.repo.claimKey(actor.userId, key, hash, this.clock.now());
      if (stored) {
        if (stored.request_hash !== hash) throw LoyaltyErrors.keyReused();
        return { status: stored.status, body: stored.body, replayed: true };
      }
      let fresh: Answer;
      try {
        fresh = { status: 201, body: await this.db.transaction(() => this.redeemOnce(actor, community, rewardId)), replayed: false };
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        fresh = { status: err.status, body: { code: err.code, detail: err.detail, extra: err.extra, errors: err.errors }, replayed: false };
      }
      await this.repo.storeAnswer(actor.userId, key, fresh.status, fresh.body);
      return fresh;
    });
    if (answer.status >= 400) {
      const p = answer.body as { code: string; detail: string; extra: Record<string, unknown>; errors: [] };
      throw new AppError(p.code, answer.status, p.detail, p.extra, p.errors, answer.replayed ? { 'idempotent-replayed': 'true' } : {});
    }
    return answer;
  }

  private async redeemOnce(actor: Actor, community: CommunityContext, rewardId: string): Promise<RedemptionResultView> {
    const reward = await this.repo.get(rewardId, false);
    if (!reward || reward.community_id !== community.id) throw LoyaltyErrors.rewardNotFound();
    if (reward.disabled_at) throw LoyaltyErrors.rewardDisabled(reward.id);
    return this.ledger.withAccounts(community.id, [actor.userId], async (accounts, rules, now) => {
      const before = accounts.get(actor.userId)!;
      if (before.balance < reward.cost) throw LoyaltyErrors.insufficientPoints(before.balance, reward.cost);
      const redemptionId = randomUUID();
      const code = await this.repo.takeCode(reward.id, redemptionId);
      if (code === null) throw LoyaltyErrors.outOfStock(reward.id);
      const entry = await this.ledgerRepo.insertEntry({
        communityId: community.id, userId: actor.userId, kind: 'redemption', rule: 'redemption', sourceKey: `redemption:${redemptionId}`,
        reason: `Redeemed "${reward.name}"`, points: -reward.cost, status: 'approved', createdAt: now,
      });
      const after = await this.ledgerRepo.debit(community.id, actor.userId, reward.cost, 'spent', now);
      if (!entry || !after) throw LoyaltyErrors.insufficientPoints(before.balance, reward.cost); // unreachable with the lock held
      await this.repo.insertRedemption({ id: redemptionId, communityId: community.id, userId: actor.userId, rewardId: reward.id, entryId: entry.id, points: reward.cost, code, createdAt: now });
      await this.events.record('points.redeemed', { communityId: community.id, userId: actor.userId, redemptionId, rewardId: reward.id, points: reward.cost }, community.id);
      await this.ledger.checkTier(after, before, rules);
      const redemption = toRedemptionView({ id: redemptionId, community_id: community.id, user_id: actor.userId, reward_id: reward.id, reward_name: reward.name, entry_id: entry.id, points: reward.cost, code, created_at: now });
      return { redemption, couponCode: code };
    });
  }

  /** A member's own redemptions (with their codes); staff see everyone's, or one member's with ?userId=. */
  async redemptions(actor: Actor, community: CommunityContext, query: { userId?: string; limit?: number; cursor?: string }): Promise<Page<RedemptionView>> {
    const staff = roleAtLeast(community.role, 'staff');
    const userId = staff ? (query.userId ?? null) : actor.userId;
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.repo.listRedemptions(community.id, userId, this.cursors.decode(REDEMPTIONS_CURSOR, query.cursor), limit + 1);
    return this.cursors.page(REDEMPTIONS_CURSOR, rows, limit, toRedemptionView, (r) => [r.k, r.id]);
  }

  async dropOldKeys(): Promise<number> {
    return this.repo.dropKeysBefore(new Date(this.clock.now().getTime() - IDEMPOTENCY_KEEP_MS));
  }
}

/** 1..200 visible ASCII characters (no regular expression: a loop over char codes). */
function validKey(key: string | undefined): key is string {
  if (typeof key !== 'string' || !key.length || key.length > MAX_KEY_LENGTH) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
