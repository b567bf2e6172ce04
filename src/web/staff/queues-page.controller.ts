import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BoardsService } from '../../boards/boards.service';
import { RoomView } from '../../chat/dto/chat.dto';
import { RoomsService } from '../../chat/rooms.service';
import { SupportService } from '../../chat/support.service';
import { CommunitiesService } from '../../communities/communities.service';
import { Actor, CommunityContext } from '../../core/auth/actor';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { IdParamPipe } from '../../core/http/id-param.pipe';
import { PageQueryDto } from '../../core/pagination/pagination';
import { QaService } from '../../qa/qa.service';
import { Page, readForm, threadPath, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { formatSeconds } from './dashboard-charts';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

const QUESTIONS_PER_PAGE = 50;
/** Support chats shown per state (waiting, claimed): the API's largest page. */
const CHATS_SHOWN = 100;
const BOARDS_NAMED = 100;

/**
 * The staff work queues (issue 24, item 2): unanswered questions, oldest first, with the time left to
 * the community's response target (responseTargetMinutes) and overdue ones marked in words; the
 * support chat queue (waiting, then claimed), where a staff member claims a chat (then goes to its
 * room page) or closes it. support-queue.js adds new requests live (socket event support:requested).
 */
@Controller()
@UseFilters(WebErrorFilter)
export class QueuesPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly communities: CommunitiesService,
    private readonly boards: BoardsService,
    private readonly qa: QaService,
    private readonly support: SupportService,
    private readonly rooms: RoomsService,
  ) {}

  @Get('c/:slug/staff/questions')
  @Page()
  async questions(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const { viewer, context, community } = await this.access.require(request, reply, slug, 'staff');
    const { value, errors } = await validateWith(PageQueryDto, { cursor: query.cursor, limit: QUESTIONS_PER_PAGE });
    if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })), 'This page link is not valid');
    const [page, settings, boards] = await Promise.all([
      this.qa.unanswered(context, { limit: QUESTIONS_PER_PAGE, cursor: value.cursor }),
      this.communities.getSettings(context.id),
      this.boards.listVisible(community.slug, viewer.actor, { limit: BOARDS_NAMED }),
    ]);
    const target = settings.responseTargetMinutes * 60;
    const boardNames = new Map(boards.items.map((b) => [b.id, b.name]));
    const base = `/c/${encodeURIComponent(community.slug)}/staff/questions`;
    const items = page.items.map((q) => {
      const left = target - q.ageSeconds;
      return {
        id: q.id,
        title: q.title,
        href: threadPath(q),
        board: boardNames.get(q.boardId) ?? null,
        author: q.author.displayName,
        createdAt: q.createdAt,
        overdue: q.overdue,
        waited: formatSeconds(q.ageSeconds),
        timeLeft: q.overdue ? `Overdue by ${formatSeconds(-left)}` : `${formatSeconds(left)} left`,
      };
    });
    const html = this.views.page(
      'staff/questions',
      { title: `Unanswered questions · ${community.name}`, canonicalPath: base, community, noindex: true },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'staff/questions'),
        items,
        overdueCount: items.filter((i) => i.overdue).length,
        target: formatSeconds(target),
        nextUrl: page.nextCursor ? `${base}?cursor=${encodeURIComponent(page.nextCursor)}` : null,
        firstUrl: value.cursor ? base : null,
      },
    );
    return sendPage(reply, viewer, html);
  }

  @Get('c/:slug/staff/support')
  @Page()
  async supportQueue(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const access = await this.access.require(request, reply, slug, 'staff');
    const notice = query.closed === '1' ? 'The support chat is closed.' : null;
    return this.supportPage(reply, access, { notice });
  }

  /** Claims the chat (SupportService.claim), then its room page; someone else's claim first is shown on the queue (409). */
  @Post('c/:slug/staff/support/:roomId/claim')
  @Page({ guestCacheEffect: 'none' })
  async claim(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('roomId', new IdParamPipe('Support chat')) roomId: string) {
    const form = await readForm(request);
    const access = await this.access.requireForm(request, reply, slug, 'staff', form[CSRF_FIELD]);
    await this.supportRoomOf(access.viewer.actor, access.context, roomId);
    try {
      await this.support.claim(access.viewer.actor, roomId);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      return this.supportPage(reply, access, { error: err.detail }, 409);
    }
    return reply.redirect(`/c/${encodeURIComponent(access.community.slug)}/chat/${roomId}`, 303);
  }

  @Post('c/:slug/staff/support/:roomId/close')
  @Page({ guestCacheEffect: 'none' })
  async close(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('roomId', new IdParamPipe('Support chat')) roomId: string) {
    const form = await readForm(request);
    const access = await this.access.requireForm(request, reply, slug, 'staff', form[CSRF_FIELD]);
    await this.supportRoomOf(access.viewer.actor, access.context, roomId);
    try {
      await this.support.close(access.viewer.actor, roomId);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      return this.supportPage(reply, access, { error: err.detail }, 409);
    }
    return reply.redirect(`/c/${encodeURIComponent(access.community.slug)}/staff/support?closed=1`, 303);
  }

  /** A support chat of this community (another community's room is not found here, even for its staff). */
  private async supportRoomOf(actor: Actor, community: CommunityContext, roomId: string): Promise<RoomView> {
    const room = await this.rooms.get(actor, roomId).catch((err: unknown) => {
      if (err instanceof AppError && (err.status === 404 || err.status === 403)) return null;
      throw err;
    });
    if (!room || room.communityId !== community.id || room.kind !== 'support') throw CommonErrors.notFound('Support chat');
    return room;
  }

  private async supportPage(reply: FastifyReply, access: StaffPageAccess, messages: { notice?: string | null; error?: string }, status = 200) {
    const { viewer, context, community } = access;
    const [waiting, claimed] = await Promise.all([
      this.support.queue(context, { status: 'open', limit: CHATS_SHOWN }),
      this.support.queue(context, { status: 'claimed', limit: CHATS_SHOWN }),
    ]);
    const now = Date.now();
    const base = `/c/${encodeURIComponent(community.slug)}`;
    const row = (room: RoomView) => ({
      id: room.id,
      customer: room.support?.customer.displayName ?? room.name,
      createdAt: room.createdAt,
      waited: formatSeconds((now - Date.parse(room.createdAt)) / 1000),
      claimedBy: room.support?.claimedBy?.displayName ?? null,
      claimedByMe: room.support?.claimedBy?.id === viewer.actor.userId,
      claimedAt: room.support?.claimedAt ?? null,
      roomHref: `${base}/chat/${room.id}`,
      claimAction: `${base}/staff/support/${room.id}/claim`,
      closeAction: `${base}/staff/support/${room.id}/close`,
    });
    const html = this.views.page(
      'staff/support',
      {
        title: `Support chats · ${community.name}`,
        canonicalPath: `${base}/staff/support`,
        community,
        noindex: true,
        scripts: ['socket.io.min.js', 'support-queue.js'],
        bodyData: { communitySlug: community.slug, communityId: community.id },
      },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'staff/support'),
        waiting: waiting.items.map(row),
        claimed: claimed.items.map(row),
        moreWaiting: Boolean(waiting.nextCursor),
        moreClaimed: Boolean(claimed.nextCursor),
        notice: messages.notice ?? null,
        error: messages.error ?? null,
        csrfField: CSRF_FIELD,
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}
