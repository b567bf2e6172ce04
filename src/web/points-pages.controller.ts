import { randomUUID } from 'node:crypto';
import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../communities/communities.service';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { AppError, CommonErrors } from '../core/errors/app-error';
import { PageQueryDto } from '../core/pagination/pagination';
import { LeaderboardQueryDto } from '../loyalty/dto/loyalty.dto';
import { RedeemDto, RedemptionResultView } from '../loyalty/dto/rewards.dto';
import { LoyaltyService } from '../loyalty/loyalty.service';
import { RewardsService } from '../loyalty/rewards.service';
import { FieldErrors, Page, readForm, validateWith } from './forms';
import { sendPage } from './send-page';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';
import { CSRF_FIELD, WebSessionService } from './web-session.service';
import { WebErrors } from './web.errors';

const LEDGER_PER_PAGE = 20;
const REDEMPTIONS_PER_PAGE = 20;
/** Rewards shown (the API's largest page); a community with more is unusual. */
const REWARDS_SHOWN = 100;

export const ENTRY_KIND_LABELS: Record<string, string> = {
  earn: 'Earned',
  reversal: 'Taken back',
  redemption: 'Redeemed',
  adjustment: 'Adjustment',
  expiry: 'Expired',
};
export const ENTRY_STATUS_LABELS: Record<string, string> = { pending: 'Pending', approved: 'Approved', cancelled: 'Cancelled' };
export const PERIODS = [
  { value: 'week', label: 'Last 7 days' },
  { value: 'month', label: 'Last 30 days' },
  { value: 'all', label: 'All time' },
] as const;

/**
 * "My points" (balance, pending, tier, the ledger, rewards with a redeem form, redemptions with their
 * coupon codes) and the leaderboard: members of the community, as in the API. Each redeem form
 * carries its own Idempotency-Key, so submitting it twice redeems once and shows the same code.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class PointsPagesController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly loyalty: LoyaltyService,
    private readonly rewards: RewardsService,
  ) {}

  @Get('c/:slug/points')
  @Page()
  async points(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    return this.pointsPage(request, reply, slug, query);
  }

  /** Redeems a reward (the API's redemption, with the form's Idempotency-Key); then the points page with the code. */
  @Post('c/:slug/points/redeem')
  @Page({ guestCacheEffect: 'none' })
  async redeem(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    const community = await this.memberOf(slug, actor);
    const { value, errors } = await validateWith(RedeemDto, { rewardId: form.rewardId });
    if (errors) throw CommonErrors.validation(toFieldList(errors), 'Choose a reward to redeem');
    try {
      const answer = await this.rewards.redeem(actor, community, value.rewardId, form.idempotencyKey);
      const { redemption } = answer.body as RedemptionResultView;
      return reply.redirect(`/c/${encodeURIComponent(community.slug)}/points?redeemed=${redemption.id}#redeemed`, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      void reply.headers(err.headers);
      return this.pointsPage(request, reply, slug, {}, err.detail, err.status);
    }
  }

  @Get('c/:slug/leaderboard')
  @Page()
  async leaderboard(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const viewer = await this.sessions.viewer(request, reply);
    if (!viewer.actor) throw WebErrors.signInRequired();
    const context = await this.memberOf(slug, viewer.actor);
    const { value, errors } = await validateWith(LeaderboardQueryDto, { period: query.period });
    if (errors) throw CommonErrors.validation(toFieldList(errors), Object.values(errors).join('; '));
    const board = await this.loyalty.leaderboard(viewer.actor, context, value.period ?? 'all');
    const community = await this.communities.getBySlug(slug);
    const base = `/c/${community.slug}/leaderboard`;
    const html = this.views.page(
      'leaderboard',
      { title: `Leaderboard · ${community.name}`, canonicalPath: base, community, noindex: true },
      viewer,
      { community, role: context.role, board, periods: PERIODS.map((p) => ({ ...p, url: p.value === 'all' ? base : `${base}?period=${p.value}` })) },
    );
    return sendPage(reply, viewer, html);
  }

  private async pointsPage(request: FastifyRequest, reply: FastifyReply, slug: string, query: Record<string, unknown>, error?: string, status = 200) {
    const viewer = await this.sessions.viewer(request, reply);
    if (!viewer.actor) throw WebErrors.signInRequired();
    const context = await this.memberOf(slug, viewer.actor);
    const ledgerQuery = await pageQuery(query.cursor, LEDGER_PER_PAGE);
    const redemptionsQuery = await pageQuery(query.rcursor, REDEMPTIONS_PER_PAGE);
    // One after the other: the summary approves due entries before the ledger is read.
    const summary = await this.loyalty.summary(context, viewer.actor.userId);
    const ledger = await this.loyalty.entries(context, viewer.actor.userId, ledgerQuery);
    const rewards = await this.rewards.list(context, { limit: REWARDS_SHOWN });
    // Their own redemptions also for staff (who would otherwise see everyone's).
    const redemptions = await this.rewards.redemptions(viewer.actor, context, { ...redemptionsQuery, userId: viewer.actor.userId });
    const community = await this.communities.getBySlug(slug);
    const base = `/c/${community.slug}/points`;
    const redeemed = typeof query.redeemed === 'string' ? (redemptions.items.find((r) => r.id === query.redeemed) ?? null) : null;
    const html = this.views.page(
      'points',
      { title: `My points · ${community.name}`, canonicalPath: base, community, noindex: true },
      viewer,
      {
        community,
        role: context.role,
        summary,
        entries: ledger.items,
        ledgerNextUrl: ledger.nextCursor ? `${base}?cursor=${encodeURIComponent(ledger.nextCursor)}#ledger` : null,
        ledgerFirstUrl: ledgerQuery.cursor ? `${base}#ledger` : null,
        // A fresh key per form and page view: the same form sent twice is one redemption.
        rewards: rewards.items.map((reward) => ({ reward, key: `web-${randomUUID()}` })),
        redemptions: redemptions.items,
        redemptionsNextUrl: redemptions.nextCursor ? `${base}?rcursor=${encodeURIComponent(redemptions.nextCursor)}#redemptions` : null,
        redeemed,
        error: error ?? null,
        csrfField: CSRF_FIELD,
        kindLabels: ENTRY_KIND_LABELS,
        statusLabels: ENTRY_STATUS_LABELS,
        signed: (n: number) => (n > 0 ? `+${n}` : String(n)),
      },
    );
    return sendPage(reply, viewer, html, status);
  }

  /** As the API's CommunityRole('member'): 404 for no such community, 403 for a non-member (banned: 403 BANNED). */
  private async memberOf(slug: string, actor: Actor): Promise<CommunityContext> {
    const context = await this.communities.resolve(slug, actor);
    if (!context) throw CommonErrors.notFound('Community');
    if (!roleAtLeast(context.role, 'member')) throw CommonErrors.forbidden('You are not a member of this community: join it to earn and spend points');
    return context;
  }
}

async function pageQuery(cursor: unknown, limit: number): Promise<{ limit: number; cursor?: string }> {
  const { value, errors } = await validateWith(PageQueryDto, { cursor, limit });
  if (errors) throw CommonErrors.validation(toFieldList(errors), Object.values(errors).join('; '));
  return { limit, cursor: value.cursor };
}

function toFieldList(errors: FieldErrors) {
  return Object.entries(errors).map(([field, message]) => ({ field, message }));
}
