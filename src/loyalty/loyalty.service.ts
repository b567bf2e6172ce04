import { Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { CommunitiesService } from '../communities/communities.service';
import { Db } from '../core/database/db.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { IdentityService } from '../identity/identity.service';
import { AdjustmentResultView, LedgerEntryView, LeaderboardRowView, LeaderboardView, LoyaltyReconciliationView, LoyaltyRulesView, LoyaltySummaryView, UpdateLoyaltyRulesDto } from './dto/loyalty.dto';
import { EntryRow, LedgerRepository } from './ledger.repository';
import { ACCOUNT_CLOSED_RULE, LedgerService } from './ledger.service';
import { LoyaltyClock } from './loyalty.clock';
import { LoyaltyErrors } from './loyalty.errors';
import { toEntryView, toSummaryView } from './loyalty.mappers';
import { LoyaltyRules } from './loyalty-rules';
import { ReconciliationRepository } from './reconciliation.repository';
import { RulesService } from './rules.service';

/** Newest first, by the ledger's insertion order. */
export const LEDGER_CURSOR = cursorKind<[number]>('loyalty:ledger', 'number');
const DAY_MS = 86_400_000;
const PERIOD_DAYS = { week: 7, month: 30 } as const;
const LEADERBOARD_SIZE = 100;

/** Members' summaries and ledgers, rules, adjustments, the leaderboard and reconciliation. */
@Injectable()
export class LoyaltyService {
  private readonly reconciliation: ReconciliationRepository;

  constructor(
    private readonly db: Db,
    private readonly repo: LedgerRepository,
    private readonly ledger: LedgerService,
    private readonly rules: RulesService,
    private readonly communities: CommunitiesService,
    private readonly identity: IdentityService,
    private readonly cursors: Cursors,
    private readonly clock: LoyaltyClock,
  ) {
    this.reconciliation = new ReconciliationRepository(db);
  }

  /** The member's summary, with entries past their window approved first. */
  async summary(community: CommunityContext, userId: string): Promise<LoyaltySummaryView> {
    await this.ledger.approveDueOf(community.id, userId);
    const [account, rules] = await Promise.all([this.repo.getAccount(community.id, userId), this.rules.get(community.id)]);
    return toSummaryView(userId, account, rules.tiers);
  }

  /** Staff reading a member: 404 for someone who is neither a member nor has an account here. */
  async memberSummary(community: CommunityContext, userId: string): Promise<LoyaltySummaryView> {
    await this.assertKnown(community, userId);
    return this.summary(community, userId);
  }

  async entries(community: CommunityContext, userId: string, query: { limit?: number; cursor?: string }): Promise<Page<LedgerEntryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(LEDGER_CURSOR, query.cursor);
    // The first page approves what is due (later pages follow a cursor taken from an approved first page).
    if (!after) await this.ledger.approveDueOf(community.id, userId);
    const rows = await this.db.query<EntryRow>(
      `SELECT * FROM loyalty_entries WHERE community_id = $1 AND user_id = $2 AND ($3::bigint IS NULL OR seq < $3::bigint)
        ORDER BY seq DESC LIMIT $4`,
      [community.id, userId, after?.[0] ?? null, limit + 1],
    );
    return this.cursors.page(LEDGER_CURSOR, rows, limit, toEntryView, (r) => [Number(r.seq)]);
  }

  /** Every ledger entry of the member in every community (for their data export, src/account-data), oldest first, after `afterSeq`. */
  async entriesOfUser(userId: string, afterSeq: number | null, limit: number): Promise<{ items: Array<LedgerEntryView & { communityId: string }>; next: number | null }> {
    const rows = await this.db.query<EntryRow>(
      'SELECT * FROM loyalty_entries WHERE user_id = $1 AND ($2::bigint IS NULL OR seq > $2::bigint) ORDER BY seq LIMIT $3',
      [userId, afterSeq, limit],
    );
    const items = rows.map((r) => ({ communityId: r.community_id, ...toEntryView(r) }));
    return { items, next: rows.length === limit ? Number(rows[rows.length - 1].seq) : null };
  }

  async memberEntries(community: CommunityContext, userId: string, query: { limit?: number; cursor?: string }): Promise<Page<LedgerEntryView>> {
    await this.assertKnown(community, userId);
    return this.entries(community, userId, query);
  }

  async getRules(community: CommunityContext): Promise<LoyaltyRulesView> {
    return toRulesView(await this.rules.get(community.id));
  }

  async updateRules(actor: Actor, community: CommunityContext, dto: UpdateLoyaltyRulesDto): Promise<LoyaltyRulesView> {
    const patch = { ...dto, tiers: dto.tiers?.map((t) => ({ name: t.name, minLifetime: t.minLifetime })) } as Partial<LoyaltyRules>;
    return toRulesView(await this.rules.update(community.id, actor.userId, patch));
  }

  async adjust(actor: Actor, community: CommunityContext, dto: { userId: string; points: number; reason: string }): Promise<AdjustmentResultView> {
    if (dto.userId === actor.userId) throw LoyaltyErrors.ownAdjustment();
    if (!(await this.communities.membership(community.id, dto.userId))) throw LoyaltyErrors.memberNotFound();
    const { entry, account } = await this.ledger.adjust(community.id, actor.userId, dto.userId, dto.points, dto.reason);
    const rules = await this.rules.get(community.id);
    return { entry: toEntryView(entry), summary: toSummaryView(dto.userId, account, rules.tiers) };
  }

  /** Points earned (approved, net of reversals and adjustments) in the period: the top 100, and the caller's own row. */
  async leaderboard(actor: Actor, community: CommunityContext, period: 'week' | 'month' | 'all' = 'all'): Promise<LeaderboardView> {
    const since = period === 'all' ? null : new Date(this.clock.now().getTime() - PERIOD_DAYS[period] * DAY_MS);
    const rows = await this.db.query<{ user_id: string; points: number; rank: number; n: number }>(
      `WITH scores AS (
         SELECT user_id, sum(points)::int AS points FROM loyalty_entries
          WHERE community_id = $1 AND status = 'approved' AND kind IN ('earn', 'reversal', 'adjustment') AND ($2::timestamptz IS NULL OR created_at >= $2)
            AND user_id NOT IN (SELECT user_id FROM loyalty_entries WHERE community_id = $1 AND rule = $5)
          GROUP BY user_id HAVING sum(points) > 0
       ), ranked AS (
         SELECT user_id, points, rank() OVER (ORDER BY points DESC)::int AS rank, row_number() OVER (ORDER BY points DESC, user_id)::int AS n FROM scores
       )
       SELECT * FROM ranked WHERE n <= $3 OR user_id = $4 ORDER BY n`,
      [community.id, since, LEADERBOARD_SIZE, actor.userId, ACCOUNT_CLOSED_RULE],
    );
    const users = await this.identity.getUsers(rows.map((r) => r.user_id));
    const view = (r: (typeof rows)[number]): LeaderboardRowView => ({
      rank: r.rank,
      user: users.get(r.user_id) ?? { id: r.user_id, displayName: 'deleted', avatarUrl: null },
      points: r.points,
    });
    const mine = rows.find((r) => r.user_id === actor.userId);
    return {
      period,
      since: since?.toISOString() ?? null,
      items: rows.filter((r) => r.n <= LEADERBOARD_SIZE).map(view),
      nextCursor: null,
      me: mine ? view(mine) : null,
    };
  }

  async reconcile(community: CommunityContext): Promise<LoyaltyReconciliationView> {
    const { accountsChecked, drift } = await this.reconciliation.check(community.id);
    return { accountsChecked, driftFound: drift.length, drift: drift.map(({ communityId: _c, ...d }) => d) };
  }

  private async assertKnown(community: CommunityContext, userId: string) {
    if (await this.communities.membership(community.id, userId)) return;
    if (await this.repo.getAccount(community.id, userId)) return;
    throw LoyaltyErrors.memberNotFound();
  }
}

function toRulesView(rules: LoyaltyRules): LoyaltyRulesView {
  return { ...rules, tiers: rules.tiers.map((t) => ({ ...t })) };
}
