import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../communities/communities.service';
import { AppError, CommonErrors } from '../core/errors/app-error';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { NotificationsQueryDto, NotificationView } from '../notifications/dto/notifications.dto';
import { NotificationsService } from '../notifications/notifications.service';
import { Page, readForm, safeNext, validateWith } from './forms';
import { sendPage } from './send-page';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';
import { CSRF_FIELD, WebSessionService } from './web-session.service';
import { WebErrors } from './web.errors';

export const NOTIFICATIONS_PATH = '/me/notifications';
const PER_PAGE = 20;

/**
 * The page a notification's `url` opens, or null when it has no page yet. Thread links (`/t/...`)
 * are pages; links stored before they were (`/threads/:id#post-...`) become thread pages too;
 * a community's loyalty link becomes its points page, a community link its home.
 */
export function notificationPage(url: string, communitySlug: string | null): string | null {
  if (safeNext(url) !== url) return null;
  if (url.startsWith('/t/') || url.startsWith('/c/')) return url;
  if (url.startsWith('/threads/')) return `/t/${url.slice('/threads/'.length)}`;
  const parts = url.split('/'); // ['', 'communities', id, 'loyalty'?]
  if (communitySlug && parts[1] === 'communities' && parts.length === 3) return `/c/${communitySlug}`;
  if (communitySlug && parts[1] === 'communities' && parts.length === 4 && parts[3] === 'loyalty') return `/c/${communitySlug}/points`;
  return null;
}

/**
 * The member's notifications, newest first, a page at a time; opening one marks it read and goes
 * to its page; "mark all read". At /me/notifications: /notifications is the API's route path, and
 * a page path may not match an API route's (page-routes.ts).
 */
@Controller()
@UseFilters(WebErrorFilter)
export class NotificationPagesController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly notifications: NotificationsService,
  ) {}

  @Get('me/notifications')
  @Page()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query() query: Record<string, unknown>) {
    const viewer = await this.sessions.viewer(request, reply);
    if (!viewer.actor) throw WebErrors.signInRequired();
    const { value, errors } = await validateWith(NotificationsQueryDto, { cursor: query.cursor, limit: PER_PAGE });
    if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })), Object.values(errors).join('; '));
    const page = await this.notifications.list(viewer.actor, value);
    const slugs = await this.slugsOf(page.items);
    const items = page.items.map((n) => {
      const target = notificationPage(n.url, slugs.get(n.communityId) ?? null);
      // Unread: through the route that marks it read first; read: straight to its page.
      const href = n.readAt ? target : `${NOTIFICATIONS_PATH}/${n.id}/open${target ? `?to=${encodeURIComponent(target)}` : ''}`;
      return { n, href };
    });
    const html = this.views.page('notifications', { title: 'Notifications', canonicalPath: NOTIFICATIONS_PATH, noindex: true }, viewer, {
      items,
      unreadCount: page.unreadCount,
      nextUrl: page.nextCursor ? `${NOTIFICATIONS_PATH}?cursor=${encodeURIComponent(page.nextCursor)}` : null,
      firstUrl: value.cursor ? NOTIFICATIONS_PATH : null,
      csrfField: CSRF_FIELD,
    });
    return sendPage(reply, viewer, html);
  }

  /** Opening a notification: marked read (the API's markRead; others' ids are ignored), then its page. */
  @Get('me/notifications/:notificationId/open')
  @Page()
  async open(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('notificationId', new IdParamPipe('Notification')) id: string, @Query('to') to: unknown) {
    const actor = await this.sessions.actor(request, reply);
    if (!actor) throw WebErrors.signInRequired();
    await this.notifications.markRead(actor, { ids: [id] });
    const target = typeof to === 'string' ? notificationPage(to, null) : null;
    return reply.header('cache-control', 'no-store').redirect(target ?? NOTIFICATIONS_PATH, 303);
  }

  @Post('me/notifications/read')
  @Page({ guestCacheEffect: 'none' })
  async readAll(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    await this.notifications.markRead(actor, { all: true });
    return reply.redirect(NOTIFICATIONS_PATH, 303);
  }

  /** The slugs of the communities the notifications are from (a deleted community has none). */
  private async slugsOf(items: NotificationView[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of new Set(items.map((n) => n.communityId))) {
      try {
        out.set(id, (await this.communities.getById(id)).slug);
      } catch (err) {
        if (!(err instanceof AppError)) throw err; // gone: its notifications show without a link
      }
    }
    return out;
  }
}
