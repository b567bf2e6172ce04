import { Controller, Get, Param, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/app-error';
import { IdParamPipe } from '../../core/http/id-param.pipe';
import { IdentityService } from '../../identity/identity.service';
import { ProfilesService } from '../../insights/profiles.service';
import { LoyaltyService } from '../../loyalty/loyalty.service';
import { ThreadsService } from '../../threads/threads.service';
import { Page, threadPath } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { formatShare } from './dashboard-charts';
import { StaffAccess, staffNav } from './staff-access';

const RECENT_THREADS = 10;
/** The member's threads are read oldest first (ThreadsService.threadsByAuthor): at most this many are looked at. */
const THREADS_SCANNED = 2000;
const SCAN_PAGE = 200;

const SEGMENT_LABELS: Record<string, string> = { A: 'A: core', B: 'B: regular', C: 'C: at risk or dormant' };

/**
 * A member's engagement profile for staff (issue 24, item 2): the insights profile (counts, active
 * days, stickiness, segment, churn risk, store link and customer id), their points and their recent
 * threads in this community. Linked from the dashboard's tables where members appear.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class MemberPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly profiles: ProfilesService,
    private readonly loyalty: LoyaltyService,
    private readonly threads: ThreadsService,
    private readonly identity: IdentityService,
  ) {}

  @Get('c/:slug/staff/members/:userId')
  @Page()
  async member(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('userId', new IdParamPipe('Member')) userId: string) {
    const { viewer, context, community } = await this.access.require(request, reply, slug, 'staff');
    // Not a member (nor ever active) here: the 404 page, as the API's engagement answers.
    const profile = await this.profiles.engagement(viewer.actor, context, userId);
    const [users, points, recent] = await Promise.all([
      this.identity.getUsers([userId]),
      this.loyalty.memberSummary(context, userId).catch((err: unknown) => {
        if (err instanceof AppError && err.status === 404) return null;
        throw err;
      }),
      this.recentThreads(community.id, userId),
    ]);
    const user = users.get(userId) ?? null;
    const name = user?.displayName ?? 'A former member';
    const base = `/c/${encodeURIComponent(community.slug)}`;
    const c = profile.counts;
    const html = this.views.page(
      'staff/member',
      { title: `${name} · Staff · ${community.name}`, canonicalPath: `${base}/staff/members/${userId}`, community, noindex: true },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, ''),
        name,
        user,
        profile,
        segment: SEGMENT_LABELS[profile.segment] ?? profile.segment,
        stickiness: formatShare(profile.stickiness),
        counts: [
          ['Threads', c.threads], ['Replies', c.replies], ['Questions asked', c.questions], ['Answers', c.answers],
          ['Accepted answers', c.acceptedAnswers], ['Official answers', c.officialAnswers], ['Reactions given', c.reactionsGiven],
          ['Reactions received', c.reactionsReceived], ['Votes cast', c.votesCast], ['Chat messages', c.chatMessages],
          ['Support requests', c.supportRequests], ['Posts removed', c.postsRemoved], ['Ratings given', c.ratings], ['Orders', c.orders], ['Refunds', c.refunds],
        ],
        points,
        recent: recent.threads,
        recentCapped: recent.capped,
      },
    );
    return sendPage(reply, viewer, html);
  }

  /** The member's newest threads in this community, not deleted. */
  private async recentThreads(communityId: string, userId: string) {
    const found: Array<{ id: string; title: string; kind: string; createdAt: string; href: string }> = [];
    let after: Parameters<ThreadsService['threadsByAuthor']>[1] = null;
    let scanned = 0;
    for (;;) {
      const page = await this.threads.threadsByAuthor(userId, after, SCAN_PAGE);
      for (const t of page.items) {
        if (t.communityId === communityId && !t.deletedAt) found.push({ id: t.id, title: t.title, kind: t.kind, createdAt: t.createdAt, href: threadPath(t) });
      }
      if (found.length > RECENT_THREADS) found.splice(0, found.length - RECENT_THREADS);
      scanned += page.items.length;
      if (!page.next || scanned >= THREADS_SCANNED) return { threads: found.reverse(), capped: Boolean(page.next) };
      after = page.next;
    }
  }
}
