import { Controller, Get, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BoardsService } from '../../boards/boards.service';
import { CommunitiesService } from '../../communities/communities.service';
import { IdentityService } from '../../identity/identity.service';
import { DashboardService } from '../../insights/dashboard.service';
import { SearchTermsService } from '../../search/search-terms.service';
import { Page } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { addDaysTo, buildCharts, searchCharts, EARLIEST_DAY, headlineFigures, isoDay, MAX_RANGE_DAYS, parseRange, PRESETS, spanDays } from './dashboard-charts';
import { StaffAccess, staffNav } from './staff-access';

/** Boards named on the CSAT chart (the API's largest page; a community with more is unusual). */
const BOARDS_NAMED = 100;
/** Searches on each of the two search charts. */
const SEARCHES_NAMED = 10;

/**
 * The staff dashboard (issue 24, item 1): the insights dashboard of a date range as charts, each with
 * its numbers in a table (dashboard.js draws the charts from the tables; without JS the tables are
 * the page). Staff and above; the range picker's errors are shown next to its fields.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class DashboardPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly dashboards: DashboardService,
    private readonly communities: CommunitiesService,
    private readonly identity: IdentityService,
    private readonly boards: BoardsService,
    private readonly terms: SearchTermsService,
  ) {}

  @Get('c/:slug/staff')
  @Page()
  async dashboard(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const { viewer, context, community } = await this.access.require(request, reply, slug, 'staff');
    const today = isoDay(new Date());
    const form = parseRange(query, today);
    const base = `/c/${encodeURIComponent(community.slug)}`;
    const presets = PRESETS.map((days) => ({ days, href: `${base}/staff?days=${days}`, current: form.range?.days === days }));
    let view: Record<string, unknown> = { charts: [], figures: [] };
    if (form.range) {
      const { from, to, granularity } = form.range;
      const [data, settings, searched] = await Promise.all([
        this.dashboards.dashboard(context, { from: `${from}T00:00:00.000Z`, to: `${addDaysTo(to, 1)}T00:00:00.000Z`, granularity }),
        this.communities.getSettings(context.id),
        this.terms.report(context.id, from, to, SEARCHES_NAMED),
      ]);
      const csat = data.csat as { byBoard: Array<{ key: string }>; byStaff: Array<{ key: string }> };
      const firstAnswers = (data.qa as { byStaff?: Array<{ userId: string }> }).byStaff ?? [];
      const userIds = [...new Set([...data.mostEngaged.map((m) => m.userId), ...csat.byStaff.map((s) => s.key), ...firstAnswers.map((s) => s.userId)])];
      const [users, boards] = await Promise.all([
        this.identity.getUsers(userIds),
        csat.byBoard.length ? this.boards.listVisible(community.slug, viewer.actor, { limit: BOARDS_NAMED }) : Promise.resolve({ items: [] }),
      ]);
      const names = {
        users: new Map([...users].map(([id, u]) => [id, u.displayName])),
        boards: new Map(boards.items.map((b) => [b.id, b.name])),
        memberHref: (userId: string) => `${base}/staff/members/${encodeURIComponent(userId)}`,
      };
      view = {
        charts: [...buildCharts(data, settings.responseTargetMinutes, names), ...searchCharts(searched)],
        figures: headlineFigures(data),
        summary: `${formatDay(from)} to ${formatDay(to)} (${spanDays(from, to)} days, ${granularity === 'week' ? 'by week' : 'by day'})`,
      };
    }
    const html = this.views.page(
      'staff/dashboard',
      {
        title: `Staff dashboard · ${community.name}`,
        canonicalPath: `${base}/staff`,
        community,
        noindex: true,
        scripts: ['uplot.min.js', 'dashboard.js'],
        bodyData: { uplotCss: this.views.asset('uplot.min.css') ?? '' },
      },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'staff'),
        form,
        presets,
        bounds: { min: EARLIEST_DAY, max: today, maxDays: MAX_RANGE_DAYS },
        ...view,
      },
    );
    return sendPage(reply, viewer, html, form.range ? 200 : 400);
  }
}

const LONG_DAY = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });

function formatDay(day: string): string {
  return LONG_DAY.format(new Date(`${day}T00:00:00Z`));
}
