import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../../communities/communities.service';
import { ListMembersQueryDto, MembershipView, SetRoleDto } from '../../communities/dto/communities.dto';
import { ROLES } from '../../core/auth/roles';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { IdentityService } from '../../identity/identity.service';
import { Page, readForm, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { fieldList, idOr404 } from './boards-page.controller';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

const MEMBERS_PER_PAGE = 20;
export const ROLE_LABELS: Record<string, string> = { member: 'Member', staff: 'Staff', moderator: 'Moderator', admin: 'Admin' };

/** The page's filters, as they travel in its URL and in each role form (to come back to the same list). */
interface RolesQuery {
  q: string;
  role: string;
  cursor: string;
}

/**
 * The admin's roles page (issue 24): the community's members in order of joining, filtered by role
 * and by part of a name or username, paged, as GET /communities/:slug/members lists them; each with a form that
 * changes their role through the API's PUT .../members/:userId/role (CommunitiesService.setRole),
 * whose rules answer here as there: the last admin cannot be demoted (409 LAST_ADMIN), shown
 * plainly next to that member.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class RolesPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly communities: CommunitiesService,
    private readonly identity: IdentityService,
  ) {}

  @Get('c/:slug/admin/roles')
  @Page()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const page = await this.access.require(request, reply, slug, 'admin');
    let notice = '';
    if (typeof query.saved === 'string' && /^[0-9a-f-]{36}$/.test(query.saved)) {
      const membership = (await this.communities.memberships(page.context.id, [query.saved])).get(query.saved);
      const user = membership && (await this.identity.getUsers([query.saved])).get(query.saved);
      if (membership && user) notice = `${user.displayName} is now ${ROLE_LABELS[membership.role].toLowerCase()}.`;
    }
    return this.render(reply, page, readQuery(query), { notice });
  }

  /** As PUT /communities/:slug/members/:userId/role. */
  @Post('c/:slug/admin/roles/:userId')
  @Page({ guestCacheEffect: 'none' })
  async setRole(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('userId') userId: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    const id = idOr404(userId, 'Member');
    const query = readQuery(Object.fromEntries(new URLSearchParams(form.back ?? '')));
    const { value, errors } = await validateWith(SetRoleDto, { role: form.role });
    if (errors) throw CommonErrors.validation(fieldList(errors), errors.role);
    let membership: MembershipView;
    try {
      membership = await this.communities.setRole(page.viewer.actor, page.context, id, value.role);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return this.render(reply, page, query, { error: { userId: id, message: err.detail } }, err.status);
    }
    const back = new URLSearchParams({ ...compact(query), saved: membership.user.id });
    return reply.redirect(`${base(page)}?${back.toString()}#member-${id}`, 303);
  }

  private async render(reply: FastifyReply, page: StaffPageAccess, query: RolesQuery, extra: { notice?: string; error?: { userId: string; message: string } }, status = 200) {
    const { viewer, context, community } = page;
    const { members, nextCursor, searchError } = await this.members(page, query);
    const url = (q: Partial<RolesQuery>) => {
      const params = new URLSearchParams(compact({ ...query, ...q }));
      return params.size ? `${base(page)}?${params.toString()}` : base(page);
    };
    const html = this.views.page(
      'staff/roles',
      { title: `Roles · ${community.name}`, canonicalPath: base(page), community, noindex: true },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'admin/roles'),
        members,
        query,
        searchError,
        nextUrl: nextCursor ? url({ cursor: nextCursor }) : null,
        firstUrl: query.cursor ? url({ cursor: '' }) : null,
        back: new URLSearchParams(compact(query)).toString(),
        roles: ROLES.map((value) => ({ value, label: ROLE_LABELS[value] })),
        notice: extra.notice ?? '',
        error: extra.error ?? null,
        me: viewer.actor.userId,
        csrfField: CSRF_FIELD,
      },
    );
    return sendPage(reply, viewer, html, status);
  }

  /** A page of members as GET /communities/:slug/members lists them: by role, by part of their name or username. */
  private async members(page: StaffPageAccess, query: RolesQuery): Promise<{ members: MembershipView[]; nextCursor: string | null; searchError: string }> {
    const input = { q: query.q.replace(/^@/, '') || undefined, role: query.role || undefined, cursor: query.cursor || undefined, limit: MEMBERS_PER_PAGE };
    const { value, errors } = await validateWith(ListMembersQueryDto, input);
    if (errors) throw CommonErrors.validation(fieldList(errors), Object.values(errors).join('; '));
    const found = await this.communities.listMembers(page.context, value);
    const searchError = !found.items.length && !query.cursor && (query.q || query.role) ? 'No member matches.' : '';
    return { members: found.items, nextCursor: found.nextCursor, searchError };
  }
}

function base(page: StaffPageAccess): string {
  return `/c/${encodeURIComponent(page.community.slug)}/admin/roles`;
}

function readQuery(query: Record<string, unknown>): RolesQuery {
  const text = (v: unknown, max: number) => (typeof v === 'string' ? v.trim().slice(0, max) : '');
  return { q: text(query.q, 100), role: text(query.role, 20), cursor: text(query.cursor, 500) };
}

function compact(query: RolesQuery): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v));
}
