import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../communities/communities.service';
import { AppError, CommonErrors } from '../core/errors/app-error';
import { SsoDto } from '../store/dto/store.dto';
import { SsoService } from '../store/sso.service';
import { Page, readForm, safeNext, validateWith } from './forms';
import { sendPage } from './send-page';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';
import { CSRF_FIELD, WebSessionService } from './web-session.service';

/**
 * The store's single sign-on, landed in a browser: the store links its signed-in customer to
 * `/c/:slug/sso?payload=&sig=&next=` (the payload and signature of `POST /api/v1/communities/:slug/sso`),
 * and the page signs the browser in (the same SsoService: signature, expiry, one-time nonce, the
 * account linked or created, banned members refused) and goes on to `next` (a local path).
 *
 * A browser that already holds a session is asked first ("Continue as the store's customer?") with a
 * form that carries our CSRF token: a link from elsewhere never silently replaces who is signed in.
 * A browser without one is signed in at once: this is sign-on started by the store (as SAML's
 * IdP-initiated flow), so its protection is the store's signature, the nonce that works once and an
 * `exp` the store keeps short (minutes).
 */
@Controller()
@UseFilters(WebErrorFilter)
export class SsoPageController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly sso: SsoService,
  ) {}

  @Get('c/:slug/sso')
  @Page({ guestCacheEffect: 'none' })
  async land(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const community = await this.communities.getBySlug(slug);
    const next = safeNext(query.next ?? `/c/${community.slug}`);
    const input = await this.validInput(query);
    const viewer = await this.sessions.viewer(request, reply);
    if (viewer.actor) {
      const html = this.views.page('sso-confirm', { title: `Continue to ${community.name}`, canonicalPath: `/c/${community.slug}/sso`, community, noindex: true }, viewer, {
        community,
        input,
        next,
        csrfField: CSRF_FIELD,
      });
      return sendPage(reply, viewer, html);
    }
    return this.signIn(request, reply, community.id, input, next);
  }

  /** "Continue as the store's customer" from the confirmation page (a session was already there). */
  @Post('c/:slug/sso')
  @Page({ guestCacheEffect: 'none' })
  async confirm(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    const community = await this.communities.getBySlug(slug);
    const input = await this.validInput(form);
    return this.signIn(request, reply, community.id, input, safeNext(form.next ?? `/c/${community.slug}`));
  }

  private async validInput(source: Record<string, unknown>): Promise<SsoDto> {
    const { value, errors } = await validateWith(SsoDto, { payload: source.payload, sig: source.sig });
    if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })), 'This sign-in link is not complete: ask the store for a new one');
    return value;
  }

  private async signIn(request: FastifyRequest, reply: FastifyReply, communityId: string, input: SsoDto, next: string) {
    try {
      const result = await this.sso.signIn(communityId, input, { ip: request.ip, userAgent: request.headers['user-agent'] });
      this.sessions.signIn(reply, result.refreshToken);
      return reply.redirect(next, 303);
    } catch (err) {
      // A bad signature is the API's 401; as a page it is a refused link, not a reason to log in here.
      if (err instanceof AppError && err.status === 401) throw new AppError(err.code, 403, `${err.detail}: ask the store for a new sign-in link`, err.headers, err.errors);
      throw err;
    }
  }
}

