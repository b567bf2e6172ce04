import { Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../../communities/communities.service';
import { CreateCommunityDto } from '../../communities/dto/communities.dto';
import { Actor } from '../../core/auth/actor';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { IdentityService } from '../../identity/identity.service';
import { FieldErrors, fieldErrors, Page, readForm, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD, Viewer, WebSessionService } from '../web-session.service';
import { WebErrors } from '../web.errors';

/** Communities the page lists (CommunitiesService.list, by name). */
const COMMUNITIES_SHOWN = 200;
const FIELDS = ['name', 'slug', 'description', 'firstAdmin'] as const;

/**
 * The platform admin's page (issue 24): every community, and a form that creates one
 * (POST /communities: the creator is its first admin) and appoints its first admin from the
 * existing accounts, by email or username, as PUT /communities/:slug/members/:userId/role lets a
 * platform admin do for any user. Anyone else gets the 404 page (a guest: the log-in page).
 */
@Controller()
@UseFilters(WebErrorFilter)
export class PlatformAdminController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly identity: IdentityService,
  ) {}

  @Get('admin')
  @Page()
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('created') created: unknown) {
    const viewer = await this.sessions.viewer(request, reply);
    platformAdmin(viewer.actor);
    let notice = '';
    if (typeof created === 'string' && /^[a-z0-9-]{3,40}$/.test(created)) {
      const community = await this.communities.getBySlug(created).catch(() => null);
      if (community) notice = `${community.name} is created.`;
    }
    return this.render(reply, viewer, { notice });
  }

  @Post('admin/communities')
  @Page() // as the API's route: the guest cache is cleared
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    platformAdmin(actor);
    const viewer = await this.sessions.viewer(request, reply);
    const values = Object.fromEntries(FIELDS.map((f) => [f, (form[f] ?? '').trim()]));
    const back = (errors: FieldErrors, status: number, message: string) => this.render(reply, viewer, { values, errors, message }, status);
    const { value, errors } = await validateWith(CreateCommunityDto, { name: values.name, slug: values.slug, description: values.description || undefined });
    // The first admin is looked up before anything is created, so a typo creates nothing.
    const firstAdmin = values.firstAdmin ? await this.accountOf(values.firstAdmin) : actor!.userId;
    const allErrors: FieldErrors = { ...(errors ?? {}) };
    if (!firstAdmin) allErrors.firstAdmin = 'No account has this email address or username';
    if (Object.keys(allErrors).length) return back(allErrors, 400, 'Please correct the fields marked below.');
    try {
      const community = await this.communities.create(actor!, value);
      if (firstAdmin !== actor!.userId) await this.communities.setRole(actor!, { id: community.id, slug: community.slug, role: 'admin' }, firstAdmin!, 'admin');
      return reply.redirect(`/admin?created=${encodeURIComponent(community.slug)}`, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const byField = fieldErrors(err.errors);
      if (err.code === 'SLUG_TAKEN') byField.slug = err.detail;
      return back(byField, err.status, err.detail);
    }
  }

  /** An existing account by email address (it has an @ inside) or username (with or without a leading @). */
  private async accountOf(text: string): Promise<string | null> {
    if (text.length > 320) return null;
    if (text.indexOf('@') > 0) return this.identity.userIdByEmail(text);
    const profile = await this.identity.userByIdOrUsername(text.replace(/^@/, ''));
    return profile?.id ?? null;
  }

  private async render(reply: FastifyReply, viewer: Viewer, data: { notice?: string; values?: Record<string, string>; errors?: FieldErrors; message?: string }, status = 200) {
    const communities = await this.communities.list(COMMUNITIES_SHOWN);
    const html = this.views.page('staff/platform-admin', { title: 'Platform admin', canonicalPath: '/admin', noindex: true }, viewer, {
      communities,
      notice: data.notice ?? '',
      values: data.values ?? {},
      errors: data.errors ?? {},
      message: data.message ?? '',
      csrfField: CSRF_FIELD,
    });
    return sendPage(reply, viewer, html, status);
  }
}

/** Guests log in; anyone but a platform admin gets the 404 page, as for a staff page above their role. */
function platformAdmin(actor: Actor | null): asserts actor is Actor {
  if (!actor) throw WebErrors.signInRequired();
  if (!actor.isPlatformAdmin) throw CommonErrors.notFound('Page');
}
