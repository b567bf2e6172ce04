import { Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { CommunitiesService } from '../communities/communities.service';
import { IdentityService } from '../identity/identity.service';
import { StoreService } from '../store/store.service';
import { EngagementView } from './dto/insights.dto';
import { dayOf } from './event-effects';
import { InsightsClock } from './insights.clock';
import { InsightsErrors } from './insights.errors';
import { ActivityStats, InsightsRepository, ProfileRow } from './insights.repository';
import { toEngagementView, toExportRow } from './insights.mappers';
import { segmentOf } from './segments.service';

const EXPORT_PAGE = 500;

export interface ExportOptions {
  segment?: string;
  since?: string;
}

/** The engagement profile of one member, and the export of all of them. */
@Injectable()
export class ProfilesService {
  constructor(
    private readonly db: Db,
    private readonly repo: InsightsRepository,
    private readonly communities: CommunitiesService,
    private readonly store: StoreService,
    private readonly identity: IdentityService,
    private readonly clock: InsightsClock,
  ) {}

  /**
   * Staff, or the member themself; for anyone else the member does not exist (404). Segment and churn
   * risk are computed now, by the same rule as the daily job (the top-10% contribution threshold is
   * the one of the job's last run).
   */
  async engagement(actor: Actor, community: CommunityContext, userId: string): Promise<EngagementView> {
    if (actor.userId !== userId && !roleAtLeast(community.role, 'staff')) throw InsightsErrors.memberNotFound();
    const membership = await this.communities.membership(community.id, userId);
    const row = await this.repo.profile(community.id, userId);
    if (!membership && !row) throw InsightsErrors.memberNotFound();
    const today = dayOf(this.clock.now());
    const [stats, settings, info, storeView] = await Promise.all([
      this.repo.activityStats(community.id, [userId], today).then((m) => m.get(userId) ?? null),
      this.communities.getSettings(community.id),
      this.repo.community(community.id),
      this.store.member(actor, community, userId).catch(() => null),
    ]);
    const churn = await this.repo.churnStats(community.id, userId, today, settings.churnQuietDays);
    const base = row ?? emptyProfile(community.id, userId);
    const segment = segmentOf(stats?.d30 ?? 0, stats?.c30 ?? 0, settings.segmentCoreActiveDays, info?.core_threshold ?? null);
    const atRisk = churn.dq === 0 && churn.dbefore >= 3;
    const reason = atRisk ? `active on ${churn.dbefore} of the 30 days before the last ${settings.churnQuietDays} days, and on none since` : null;
    return toEngagementView(
      { ...base, role: membership?.role ?? base.role, joined_at: base.joined_at ?? membership?.joinedAt ?? null, segment, churn_risk: atRisk, churn_reason: reason },
      stats,
      { linked: Boolean(storeView?.linked), customerId: storeView?.storeCustomerId ?? null, verifiedBuyerSkus: storeView?.verifiedBuyerSkus ?? [] },
    );
  }

  /**
   * One row per member with a profile, in user id order, read page by page by keyset (a constant
   * amount of memory whatever the member count, on PostgreSQL and PGlite alike, and no transaction
   * held open while a slow client downloads). Emails only when the community has a store connection.
   */
  async *exportRows(community: CommunityContext, options: ExportOptions): AsyncGenerator<Record<string, unknown>> {
    const withEmail = await this.store.hasConnection(community.id);
    const today = dayOf(this.clock.now());
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await this.page(community.id, after, options);
      if (!page.length) return;
      const ids = page.map((p) => p.user_id);
      const [stats, customers, emails] = await Promise.all([
        this.repo.activityStats(community.id, ids, today),
        this.store.customerIds(community.id, ids),
        withEmail ? this.identity.emails(ids) : Promise.resolve(null),
      ]);
      for (const p of page) {
        yield toExportRow(p, stats.get(p.user_id) ?? null, customers.get(p.user_id) ?? null, emails ? (emails.get(p.user_id) ?? null) : undefined);
      }
      if (page.length < EXPORT_PAGE) return;
      after = page[page.length - 1].user_id;
    }
  }

  /** Filters are added only when given (a prepared statement's generic plan cannot use "$x IS NULL OR ..."). */
  private page(communityId: string, after: string, options: ExportOptions): Promise<ProfileRow[]> {
    const params: unknown[] = [communityId, after, EXPORT_PAGE];
    const where = ['p.community_id = $1', 'p.user_id > $2::uuid'];
    if (options.segment) {
      params.push(options.segment);
      where.push(`p.segment = $${params.length}`);
    }
    if (options.since) {
      params.push(new Date(options.since));
      where.push(`p.last_active_at >= $${params.length}`);
    }
    return this.db.query<ProfileRow>(`SELECT p.* FROM insights_profiles p WHERE ${where.join(' AND ')} ORDER BY p.user_id LIMIT $3`, params);
  }
}

function emptyProfile(communityId: string, userId: string): ProfileRow {
  return {
    community_id: communityId, user_id: userId, role: null, joined_at: null, threads: 0, replies: 0, questions: 0, answers: 0, accepted_answers: 0,
    official_answers: 0, reactions_given: 0, reactions_received: 0, votes_cast: 0, chat_messages: 0, support_requests: 0, posts_removed: 0,
    points_earned: 0, points_reversed: 0, points_redeemed: 0, tier: null, orders: 0, refunds: 0, ratings: 0, first_active_at: null,
    last_active_at: null, segment: 'C', churn_risk: false, churn_reason: null, segment_computed_at: null,
  };
}

export type { ActivityStats };
