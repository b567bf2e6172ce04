import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CommunitiesService } from '../communities/communities.service';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { AccountRow, EntryRow, LedgerRepository, NewEarn } from './ledger.repository';
import { LoyaltyClock } from './loyalty.clock';
import { CAPPED_RULES, LoyaltyRules, tierOf } from './loyalty-rules';
import { RulesService } from './rules.service';

const HOUR_MS = 3_600_000;

export interface CreditInput {
  communityId: string;
  userId: string;
  rule: string;
  /** With (community, member, rule) the entry's unique key: the same source pays once however often it is processed. */
  sourceKey: string;
  sourceEventId?: string | null;
  points: number;
  reason: string;
  threadId?: string | null;
  postId?: string | null;
  /** Content points: pending for pointsPendingHours. */
  content: boolean;
  /** Counted against dailyPointsCap. */
  capped: boolean;
}

/** Why an entry is taken back (kept on the reversal record; `hidden` and `thread_hidden` ones are earned again on restore). */
export type RemovalCause = 'hidden' | 'thread_hidden' | 'deleted' | 'reaction_removed' | 'answer_unaccepted' | 'official_removed' | 'refunded' | 'account_deleted';

/** The rule of the expiry entry that closes a deleted member's account (the leaderboard leaves such members out). */
export const ACCOUNT_CLOSED_RULE = 'account_deleted';

/**
 * The ledger's decisions. Every change locks the member's account row first (FOR UPDATE), then
 * writes the entry and the account's figures in the same transaction, with its outbox events; so the
 * balance is always the sum of the approved entries and never goes below zero, whatever runs at once.
 */
@Injectable()
export class LedgerService {
  constructor(
    private readonly db: Db,
    private readonly repo: LedgerRepository,
    private readonly events: EventsService,
    private readonly rules: RulesService,
    private readonly communities: CommunitiesService,
    private readonly clock: LoyaltyClock,
  ) {}

  /**
   * Runs `fn` with the accounts of `userIds` created if needed and locked: in the caller's transaction
   * when there is one (the consumer's, inside the dispatcher's: no extra savepoint per event), else in its own.
   */
  async withAccounts<T>(communityId: string, userIds: string[], fn: (accounts: Map<string, AccountRow>, rules: LoyaltyRules, now: Date) => Promise<T>): Promise<T> {
    const work = async () => {
      const rules = await this.rules.get(communityId);
      const now = this.clock.now();
      const accounts = await this.repo.lockAccounts(communityId, userIds, rules.tiers[0].name, now);
      return fn(accounts, rules, now);
    };
    return this.db.inTransaction ? work() : this.db.transaction(work);
  }

  /** Earns points for one source (at most once); content points wait out the moderation window. */
  async credit(input: CreditInput): Promise<EntryRow | null> {
    if (input.points <= 0) return null;
    return this.withAccounts(input.communityId, [input.userId], async (accounts, rules, now) => {
      const settings = await this.communities.getSettings(input.communityId);
      const pending = input.content && settings.pointsPendingHours > 0;
      const written = await this.repo.creditEntry({
        communityId: input.communityId,
        userId: input.userId,
        rule: input.rule,
        sourceKey: input.sourceKey,
        sourceEventId: input.sourceEventId ?? null,
        reason: input.reason,
        points: input.points,
        pending,
        approveAt: pending ? new Date(now.getTime() + settings.pointsPendingHours * HOUR_MS) : null,
        threadId: input.threadId ?? null,
        postId: input.postId ?? null,
        now,
        cap: input.capped && settings.dailyPointsCap > 0 ? { limit: settings.dailyPointsCap, since: startOfDay(now), rules: CAPPED_RULES } : null,
      });
      if (!written) return null;
      await this.earned(written.entry);
      await this.checkTier(written.account, accounts.get(input.userId)!, rules);
      return written.entry;
    });
  }

  /**
   * Earns for many sources at once (the consumer's batches): the entries, daily caps and account
   * figures that `credit` on each in turn would give, in a handful of statements per community. A
   * member crossing two tiers in one batch gets one tier.changed (from the first to the last). Sources
   * that already paid (a redelivered event, a second post the same day) are skipped up front; should
   * the insert still meet one, it throws `AlreadyCredited` and the dispatcher goes one event at a time.
   */
  async creditMany(inputs: CreditInput[]): Promise<void> {
    const byCommunity = new Map<string, CreditInput[]>();
    for (const i of inputs) if (i.points > 0) byCommunity.set(i.communityId, [...(byCommunity.get(i.communityId) ?? []), i]);
    for (const [communityId, list] of byCommunity) {
      await this.withAccounts(communityId, list.map((i) => i.userId), async (accounts, rules, now) => {
        const settings = await this.communities.getSettings(communityId);
        const cap = settings.dailyPointsCap;
        const cappedUsers = [...new Set(list.filter((i) => i.capped).map((i) => i.userId))];
        const used = cap > 0 ? await this.repo.earnedSince(communityId, cappedUsers, startOfDay(now), CAPPED_RULES) : new Map<string, number>();
        // Sources that already paid are skipped (as `credit`'s ON CONFLICT does) before the caps are worked out.
        const keys = await this.repo.paidSources(communityId, list);
        const rows: NewEarn[] = [];
        for (const i of list) {
          const key = `${i.userId} ${i.rule} ${i.sourceKey}`;
          if (keys.has(key)) continue; // paid before, or earlier in this batch
          keys.add(key);
          const points = i.capped && cap > 0 ? Math.min(i.points, cap - (used.get(i.userId) ?? 0)) : i.points;
          if (points <= 0) continue;
          if (CAPPED_RULES.includes(i.rule)) used.set(i.userId, (used.get(i.userId) ?? 0) + points);
          const pending = i.content && settings.pointsPendingHours > 0;
          const cut = points < i.points;
          rows.push({
            userId: i.userId, rule: i.rule, sourceKey: i.sourceKey, sourceEventId: i.sourceEventId ?? null, points,
            reason: cut ? `${i.reason} (daily cap reached: ${points} of ${i.points})` : i.reason, requestedPoints: cut ? i.points : null,
            status: pending ? 'pending' : 'approved', threadId: i.threadId ?? null, postId: i.postId ?? null,
            approveAt: pending ? new Date(now.getTime() + settings.pointsPendingHours * HOUR_MS) : null,
          });
        }
        const entries = await this.repo.insertEarnEntries(communityId, rows, now);
        if (entries.length !== rows.length) throw new AlreadyCredited();
        const deltas = new Map<string, { userId: string; balance: number; pending: number; lifetime: number }>();
        for (const e of entries) {
          const d = deltas.get(e.user_id) ?? { userId: e.user_id, balance: 0, pending: 0, lifetime: 0 };
          if (e.status === 'pending') d.pending += e.points;
          else d.balance += e.points;
          d.lifetime += e.points;
          deltas.set(e.user_id, d);
        }
        const after = await this.repo.addEarnings(communityId, [...deltas.values()], now);
        await this.events.recordMany('points.earned', entries.map((e) => ({ data: earnedData(e), communityId: e.community_id })));
        for (const account of after) await this.checkTier(account, accounts.get(account.user_id)!, rules);
      });
    }
  }

  /**
   * Takes entries back (content hidden or deleted, a reaction removed...): a pending one is cancelled;
   * an approved one gets a reversal entry that takes what the balance allows and records that amount.
   * Either way a reversal record names the entry, so it is taken back once.
   */
  async remove(communityId: string, entries: EntryRow[], cause: RemovalCause, sourceEventId: string | null, reason: string): Promise<void> {
    if (!entries.length) return;
    await this.withAccounts(communityId, entries.map((e) => e.user_id), async (accounts, rules, now) => {
      for (const entry of entries) {
        const before = accounts.get(entry.user_id)!;
        const record = { communityId, userId: entry.user_id, kind: 'reversal' as const, rule: entry.rule, sourceKey: `reversal:${entry.id}`, sourceEventId, reason, reversesEntryId: entry.id, cause, threadId: entry.thread_id, postId: entry.post_id, createdAt: now };
        const cancelled = await this.repo.cancelIfPending(entry.id);
        if (cancelled) {
          const r = await this.repo.insertEntry({ ...record, points: 0, requestedPoints: entry.points, status: 'cancelled' });
          if (!r) throw new Error(`entry ${entry.id} was cancelled twice`);
          accounts.set(entry.user_id, await this.repo.applyDelta(communityId, entry.user_id, { pending: -entry.points, lifetime: -entry.points }));
          await this.reversed(r, entry.points);
          continue;
        }
        const taken = Math.min(entry.points, before.balance);
        const r = await this.repo.insertEntry({ ...record, points: -taken, requestedPoints: entry.points, status: 'approved' });
        if (!r) continue; // already reversed
        const account = await this.repo.applyDelta(communityId, entry.user_id, { balance: -taken, reversed: taken });
        accounts.set(entry.user_id, account);
        await this.reversed(r, taken);
        await this.checkTier(account, before, rules);
      }
    });
  }

  /** Content restored after a hide earns its points again, once per hide (approved at once: a moderator looked). */
  async restoreHidden(communityId: string, about: { postId?: string; threadId?: string }, sourceEventId: string): Promise<void> {
    // A thread restored gives back what hiding the thread took, not what hiding one of its replies took.
    const reversals = await this.repo.hiddenReversals(communityId, about, about.threadId ? 'thread_hidden' : 'hidden');
    if (!reversals.length) return;
    await this.withAccounts(communityId, reversals.map((r) => r.user_id), async (accounts, rules, now) => {
      for (const r of reversals) {
        const entry = await this.repo.insertEntry({
          communityId, userId: r.user_id, kind: 'earn', rule: r.rule, sourceKey: `restore:${r.id}`, sourceEventId, reason: 'Content restored',
          points: r.original_points, status: 'approved', threadId: r.thread_id, postId: r.post_id, createdAt: now,
        });
        if (!entry) continue;
        const before = accounts.get(r.user_id)!;
        const account = await this.repo.applyDelta(communityId, r.user_id, { balance: entry.points, lifetime: entry.points });
        accounts.set(r.user_id, account);
        await this.earned(entry);
        await this.checkTier(account, before, rules);
      }
    });
  }

  /** Approves a member's entries whose window has passed (on read: nobody sees points stuck past their window). */
  async approveDueOf(communityId: string, userId: string): Promise<void> {
    if (!(await this.repo.hasDue(communityId, userId, this.clock.now()))) return;
    await this.withAccounts(communityId, [userId], async (accounts, rules, now) => {
      await this.approveLocked(accounts.get(userId)!, rules, now);
    });
  }

  /**
   * One pass of the sweep: approves due entries of up to `limit` accounts. Accounts another
   * transaction holds are skipped (SKIP LOCKED) and entries only move from pending, so any number of
   * instances can sweep at once without approving anything twice. Returns the entries approved.
   */
  async approveDueBatch(limit = 200): Promise<number> {
    const due = await this.repo.dueAccounts(this.clock.now(), limit);
    if (!due.length) return 0;
    return this.db.transaction(async () => {
      const now = this.clock.now();
      let approved = 0;
      const rulesOf = new Map<string, LoyaltyRules>();
      for (const account of await this.repo.lockAccountsIfFree(due)) {
        let rules = rulesOf.get(account.community_id);
        if (!rules) rulesOf.set(account.community_id, (rules = await this.rules.get(account.community_id)));
        approved += await this.approveLocked(account, rules, now);
      }
      return approved;
    });
  }

  private async approveLocked(account: AccountRow, rules: LoyaltyRules, now: Date): Promise<number> {
    const entries = await this.repo.approveDue(account.community_id, account.user_id, now);
    if (!entries.length) return 0;
    const total = entries.reduce((s, e) => s + e.points, 0);
    const after = await this.repo.applyDelta(account.community_id, account.user_id, { pending: -total, balance: total });
    for (const e of entries) await this.earned(e);
    await this.checkTier(after, account, rules);
    return entries.length;
  }

  /** Staff adjustment: positive adds, negative takes what the balance allows (recorded with the amount asked). */
  async adjust(communityId: string, actorId: string, userId: string, points: number, reason: string): Promise<{ entry: EntryRow; account: AccountRow }> {
    return this.withAccounts(communityId, [userId], async (accounts, rules, now) => {
      const before = accounts.get(userId)!;
      const actual = points > 0 ? points : -Math.min(-points, before.balance);
      const entry = (await this.repo.insertEntry({
        communityId, userId, kind: 'adjustment', rule: 'adjustment', sourceKey: `adjustment:${randomUUID()}`, reason, points: actual,
        requestedPoints: actual === points ? null : points, status: 'approved', createdBy: actorId, createdAt: now,
      }))!;
      const account = await this.repo.applyDelta(communityId, userId, actual >= 0 ? { balance: actual, lifetime: actual } : { balance: actual, reversed: -actual });
      if (actual > 0) await this.earned(entry);
      else if (actual < 0) await this.reversed(entry, -actual);
      await this.checkTier(account, before, rules);
      return { entry, account };
    });
  }

  /**
   * A member deleted their account (user.deleted): in every community, their pending points are
   * cancelled and their balance expires, as ledger entries (the ledger keeps adding up; nothing is
   * deleted), and the leaderboard no longer shows them. Runs once per account (the expiry's key).
   */
  async closeAccounts(userId: string, sourceEventId: string): Promise<void> {
    for (const communityId of await this.repo.communitiesOfMember(userId)) {
      await this.remove(communityId, await this.repo.pendingEarnEntries(communityId, userId), 'account_deleted', sourceEventId, 'Account deleted');
      await this.withAccounts(communityId, [userId], async (accounts, rules, now) => {
        const account = accounts.get(userId)!;
        const entry = await this.repo.insertEntry({
          communityId, userId, kind: 'expiry', rule: ACCOUNT_CLOSED_RULE, sourceKey: 'account', sourceEventId,
          reason: 'Account deleted', points: -account.balance, status: 'approved', createdAt: now,
        });
        if (!entry || account.balance <= 0) return;
        const after = (await this.repo.debit(communityId, userId, account.balance, 'expired', null))!;
        await this.reversed(entry, account.balance);
        await this.checkTier(after, account, rules);
      });
    }
  }

  /** Points of members inactive for the community's expiryInactiveDays expire (the whole balance). */
  async expireInactive(communityId: string, days: number, limit = 200): Promise<number> {
    const before = new Date(this.clock.now().getTime() - days * 24 * HOUR_MS);
    const candidates = await this.repo.inactiveAccounts(communityId, before, limit);
    let expired = 0;
    for (const c of candidates) {
      await this.withAccounts(communityId, [c.user_id], async (accounts, rules, now) => {
        const account = accounts.get(c.user_id)!;
        if (account.balance <= 0 || !account.last_activity_at || new Date(account.last_activity_at) >= before) return;
        const entry = (await this.repo.insertEntry({
          communityId, userId: c.user_id, kind: 'expiry', rule: 'expiry', sourceKey: `expiry:${randomUUID()}`,
          reason: `No activity for ${days} days`, points: -account.balance, status: 'approved', createdAt: now,
        }))!;
        const after = (await this.repo.debit(communityId, c.user_id, account.balance, 'expired', null))!;
        await this.reversed(entry, account.balance);
        await this.checkTier(after, account, rules);
        expired++;
      });
    }
    return expired;
  }

  /** Records tier.changed when the approved points kept (balance + spent + expired) cross a threshold either way. */
  async checkTier(after: AccountRow, before: AccountRow, rules: LoyaltyRules): Promise<void> {
    const { tier } = tierOf(rules.tiers, tierPoints(after));
    const previous = before.tier;
    if (tier.name === previous) return;
    await this.repo.setTier(after.community_id, after.user_id, tier.name);
    await this.events.record('tier.changed', { communityId: after.community_id, userId: after.user_id, tier: tier.name, previousTier: previous }, after.community_id);
  }

  private async earned(e: EntryRow) {
    await this.events.record('points.earned', earnedData(e), e.community_id);
  }

  private async reversed(r: EntryRow, points: number) {
    await this.events.record(
      'points.reversed',
      { communityId: r.community_id, userId: r.user_id, entryId: r.id, reversesEntryId: r.reverses_entry_id, points, rule: r.rule },
      r.community_id,
    );
  }
}

/** Approved points a member has kept: what tiers are measured on (pending excluded, reversals and negative adjustments deducted). */
export function tierPoints(a: Pick<AccountRow, 'balance' | 'spent' | 'expired'>): number {
  return a.balance + a.spent + a.expired;
}

export function startOfDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

function earnedData(e: EntryRow) {
  return { communityId: e.community_id, userId: e.user_id, entryId: e.id, points: e.points, rule: e.rule, status: e.status };
}

/** A batch met a source that had already paid: go one event at a time. */
export class AlreadyCredited extends Error {
  constructor() {
    super('a source in the batch had already paid');
  }
}
