import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../communities/communities.service';
import { AppError } from '../core/errors/app-error';
import { LoginDto, RegisterDto } from '../identity/dto/auth.dto';
import { IdentityService } from '../identity/identity.service';
import { CSRF_FIELD, WebSessionService } from './web-session.service';
import { FieldErrors, fieldErrors, Page, readForm, safeNext, validateWith } from './forms';
import { sendPage } from './send-page';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';

type AuthForm = { kind: 'login' | 'register'; values: Record<string, string>; errors: FieldErrors; message?: string };

/** Log-in, registration and log-out pages, and joining a community. */
@Controller()
@UseFilters(WebErrorFilter)
export class AccountController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly identity: IdentityService,
    private readonly communities: CommunitiesService,
  ) {}

  @Get('login')
  @Page()
  async loginPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('next') next: unknown) {
    return this.authPage(request, reply, { kind: 'login', values: { next: safeNext(next) }, errors: {} });
  }

  @Post('login')
  @Page({ guestCacheEffect: 'none' })
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    const values = { email: form.email ?? '', next: safeNext(form.next) };
    const { value, errors } = await validateWith(LoginDto, { email: form.email, password: form.password });
    if (errors) return this.authPage(request, reply, { kind: 'login', values, errors }, 400);
    try {
      const result = await this.identity.login(value, { ip: request.ip, userAgent: request.headers['user-agent'] });
      this.sessions.signIn(reply, result.refreshToken);
      return reply.redirect(values.next, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return this.authPage(request, reply, { kind: 'login', values, errors: fieldErrors(err.errors), message: err.detail }, err.status, err.headers);
    }
  }

  @Get('register')
  @Page()
  async registerPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('next') next: unknown) {
    return this.authPage(request, reply, { kind: 'register', values: { next: safeNext(next) }, errors: {} });
  }

  @Post('register')
  @Page({ guestCacheEffect: 'none' })
  async register(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    const values = { email: form.email ?? '', displayName: form.displayName ?? '', next: safeNext(form.next) };
    const { value, errors } = await validateWith(RegisterDto, { email: form.email, password: form.password, displayName: form.displayName });
    if (errors) return this.authPage(request, reply, { kind: 'register', values, errors }, 400);
    try {
      const result = await this.identity.register(value, { ip: request.ip, userAgent: request.headers['user-agent'] });
      this.sessions.signIn(reply, result.refreshToken);
      return reply.redirect(values.next, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const byField = fieldErrors(err.errors);
      if (err.code === 'EMAIL_IN_USE') byField.email = err.detail;
      return this.authPage(request, reply, { kind: 'register', values, errors: byField, message: err.detail }, err.status, err.headers);
    }
  }

  /** Ends the server-side session (its API tokens stop working too) and clears the cookies. */
  @Post('logout')
  @Page({ guestCacheEffect: 'none' })
  async logout(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (actor) await this.identity.logout(actor);
    this.sessions.signOut(reply);
    return reply.redirect('/', 303);
  }

  @Post('c/:slug/join')
  @Page({ guestCacheEffect: 'none' })
  async join(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    const next = form.next ? safeNext(form.next) : `/c/${encodeURIComponent(slug)}`;
    if (!actor) return reply.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
    await this.communities.join(actor, slug);
    return reply.redirect(next, 303);
  }

  private async authPage(request: FastifyRequest, reply: FastifyReply, form: AuthForm, status = 200, headers: Record<string, string> = {}) {
    const viewer = await this.sessions.viewer(request, reply);
    if (viewer.actor && status === 200) return reply.redirect(form.values.next ?? '/', 303);
    const csrfToken = this.sessions.csrfToken(request, reply, viewer.actor);
    const title = form.kind === 'login' ? 'Log in' : 'Create an account';
    const html = this.views.page(form.kind, { title, canonicalPath: `/${form.kind}`, noindex: true }, { ...viewer, csrfToken }, { form, csrfField: CSRF_FIELD });
    void reply.headers(headers);
    return sendPage(reply, viewer, html, status);
  }
}
