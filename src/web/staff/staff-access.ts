import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../../communities/communities.service';
import { CommunityView } from '../../communities/dto/communities.dto';
import { CommunityContext } from '../../core/auth/actor';
import { Role, roleAtLeast } from '../../core/auth/roles';
import { CommonErrors } from '../../core/errors/app-error';
import { Viewer, WebSessionService } from '../web-session.service';
import { WebErrors } from '../web.errors';

export interface StaffPageAccess {
  viewer: Viewer & { actor: NonNullable<Viewer['actor']> };
  context: CommunityContext;
  community: CommunityView;
}

/**
 * The role check of every staff, moderator and admin page (issue 24), on the server: a guest is
 * sent to log in; a signed-in member below the page's role gets the 404 page, as the API answers
 * 404 for what a role may not see (the page's existence is not confirmed).
 */
@Injectable()
export class StaffAccess {
  constructor(
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
  ) {}

  async require(request: FastifyRequest, reply: FastifyReply, slug: string, minimum: Role): Promise<StaffPageAccess> {
    const viewer = await this.sessions.viewer(request, reply);
    if (!viewer.actor) throw WebErrors.signInRequired();
    const context = await this.communities.resolve(slug, viewer.actor);
    if (!context || !roleAtLeast(context.role, minimum)) throw CommonErrors.notFound('Page');
    const community = await this.communities.getBySlug(slug);
    return { viewer: viewer as StaffPageAccess['viewer'], context, community };
  }

  /**
   * For a POST: the CSRF check (WebSessionService.assertCsrf) and then the same role check; the
   * caller has read the form already.
   */
  async requireForm(request: FastifyRequest, reply: FastifyReply, slug: string, minimum: Role, csrfToken: string | undefined): Promise<StaffPageAccess> {
    const actor = await this.sessions.assertCsrf(request, reply, csrfToken);
    if (!actor) throw WebErrors.signInRequired();
    return this.require(request, reply, slug, minimum);
  }
}

/** The staff navigation's links, by the least role that sees each (views/staff/nav.eta). */
export const STAFF_NAV: Array<{ path: string; label: string; role: Role }> = [
  { path: 'staff', label: 'Dashboard', role: 'staff' },
  { path: 'staff/questions', label: 'Unanswered questions', role: 'staff' },
  { path: 'staff/support', label: 'Support chats', role: 'staff' },
  { path: 'mod/review', label: 'Review queue', role: 'moderator' },
  { path: 'mod/queued', label: 'Queued posts', role: 'moderator' },
  { path: 'mod/sanctions', label: 'Sanctions', role: 'moderator' },
  { path: 'mod/audit', label: 'Audit log', role: 'moderator' },
  { path: 'admin/boards', label: 'Boards', role: 'admin' },
  { path: 'admin/roles', label: 'Roles', role: 'admin' },
  { path: 'admin/settings', label: 'Settings', role: 'admin' },
  { path: 'admin/look', label: 'Look', role: 'admin' },
  { path: 'admin/automod', label: 'Automod', role: 'admin' },
  { path: 'admin/loyalty', label: 'Loyalty', role: 'admin' },
  { path: 'admin/store', label: 'Store', role: 'admin' },
  { path: 'admin/export', label: 'Export', role: 'admin' },
];

/** The links of the staff navigation a role sees, with the current one marked. */
export function staffNav(slug: string, role: Role, currentPath: string) {
  return STAFF_NAV.filter((l) => roleAtLeast(role, l.role)).map((l) => ({ ...l, href: `/c/${encodeURIComponent(slug)}/${l.path}`, current: l.path === currentPath }));
}
