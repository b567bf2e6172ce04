import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors/app-error';
import { PasswordResetConfirmDto, PasswordResetRequestDto, VerifyEmailDto } from '../identity/dto/recovery.dto';
import { EmailVerificationService } from '../identity/email-verification.service';
import { PasswordResetService } from '../identity/password-reset.service';
import { MemberProfileView } from '../profiles/dto/profiles.dto';
import { ProfilesService } from '../profiles/profiles.service';
import { CommunitiesService } from '../communities/communities.service';
import { FieldErrors, fieldErrors, Page, readForm, validateWith } from './forms';
import { sendPage } from './send-page';
import { ROLE_LABELS } from './thread-pages';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';
import { CSRF_FIELD, Viewer, WebSessionService } from './web-session.service';

/** The communities a profile page lists at most (a member of more sees the first ones they joined). */
const MAX_PROFILE_COMMUNITIES = 50;
/** What the reset and verification links answer when their token is refused: the service's message, shown plainly. */
const TOKEN_CODES = new Set(['INVALID_RESET_TOKEN', 'RESET_TOKEN_USED', 'RESET_TOKEN_EXPIRED', 'INVALID_VERIFICATION_TOKEN', 'VERIFICATION_TOKEN_USED', 'VERIFICATION_TOKEN_EXPIRED']);

type ForgotForm = { sent: boolean; values: { email: string }; errors: FieldErrors; message?: string };
type ResetForm = { token: string | null; errors: FieldErrors; message?: string };

/**
 * Account pages anyone reaches from a link: "forgot my password" and the emailed reset and
 * verification links (through PasswordResetService and EmailVerificationService, as the API's
 * recovery routes), and a member's public profile (ProfilesService, as GET /users/:idOrUsername).
 */
@Controller()
@UseFilters(WebErrorFilter)
export class AccountPagesController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly resets: PasswordResetService,
    private readonly verification: EmailVerificationService,
    private readonly profiles: ProfilesService,
    private readonly communities: CommunitiesService,
  ) {}

  @Get('forgot-password')
  @Page()
  async forgotPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('sent') sent: unknown) {
    return this.forgotForm(request, reply, { sent: sent === '1', values: { email: '' }, errors: {} });
  }

  /** Always the same answer whether or not an account has the email (the service does the same work either way). */
  @Post('forgot-password')
  @Page({ guestCacheEffect: 'none' })
  async forgot(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    const values = { email: form.email ?? '' };
    const { value, errors } = await validateWith(PasswordResetRequestDto, { email: form.email });
    if (errors) return this.forgotForm(request, reply, { sent: false, values, errors }, 400);
    try {
      await this.resets.request(value.email, { ip: request.ip, userAgent: request.headers['user-agent'] });
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 429) throw err;
      void reply.headers(err.headers);
      return this.forgotForm(request, reply, { sent: false, values, errors: {}, message: err.detail }, 429);
    }
    return reply.redirect('/forgot-password?sent=1', 303);
  }

  @Get('reset-password')
  @Page()
  async resetPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('token') token: unknown) {
    if (typeof token !== 'string' || !token) {
      return this.resetForm(request, reply, { token: null, errors: {}, message: 'This password reset link is not valid' }, 400);
    }
    return this.resetForm(request, reply, { token, errors: {} });
  }

  /** Sets the new password (every session of the account ends), then the log-in page with a notice. */
  @Post('reset-password')
  @Page({ guestCacheEffect: 'none' })
  async reset(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    const token = form.token ?? '';
    const { value, errors } = await validateWith(PasswordResetConfirmDto, { token: form.token, password: form.password });
    if (errors?.token) return this.resetForm(request, reply, { token: null, errors: {}, message: 'This password reset link is not valid' }, 400);
    if (errors) return this.resetForm(request, reply, { token, errors }, 400);
    try {
      await this.resets.confirm(value.token, value.password);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      if (TOKEN_CODES.has(err.code)) return this.resetForm(request, reply, { token: null, errors: {}, message: err.detail }, err.status);
      return this.resetForm(request, reply, { token, errors: fieldErrors(err.errors), message: err.detail }, err.status);
    }
    // The browser's session (if it had one) ended with all the others: the log-in form is a guest's.
    const guest: Viewer = { actor: null, user: null, csrfToken: this.sessions.csrfToken(request, reply, null) };
    const html = this.views.page('login', { title: 'Log in', canonicalPath: '/login', noindex: true }, guest, {
      form: { kind: 'login', values: { next: '/' }, errors: {}, notice: 'Your new password is set. Log in with it.' },
      csrfField: CSRF_FIELD,
    });
    return sendPage(reply, guest, html);
  }

  /** The emailed verification link (the API's GET /auth/verify-email answers 204; people get a page). */
  @Get('verify-email')
  @Page()
  async verifyEmail(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('token') token: unknown) {
    const viewer = await this.sessions.viewer(request, reply);
    let status = 200;
    let message: string | null = null;
    const { value, errors } = await validateWith(VerifyEmailDto, { token });
    if (errors) [status, message] = [400, 'This verification link is not valid'];
    else {
      try {
        await this.verification.verify(value.token);
      } catch (err) {
        if (!(err instanceof AppError) || !TOKEN_CODES.has(err.code)) throw err;
        [status, message] = [err.status, err.detail];
      }
    }
    const title = message ? 'Email not verified' : 'Email verified';
    const html = this.views.page('verify-email', { title, canonicalPath: '/verify-email', noindex: true }, viewer, { message });
    return sendPage(reply, viewer, html, status);
  }

  /**
   * A member's public profile, by username (or id: mentions link by id, so they survive renames; a
   * former username leads to its last holder). Both redirect to the current username's URL. It lists
   * the communities the viewer may see where the member belongs, with their role and counts.
   */
  @Get('u/:username')
  @Page()
  async profile(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('username') username: string) {
    const viewer = await this.sessions.viewer(request, reply);
    const user = await this.profiles.profile(username);
    if (user.username !== username) return reply.redirect(`/u/${encodeURIComponent(user.username)}`, 302);
    const memberships = (await this.communities.myMemberships(user.id)).slice(0, MAX_PROFILE_COMMUNITIES);
    const seen = await Promise.all(memberships.map((m) => this.visibleMember(viewer, m.community.slug, user.id)));
    const communities = memberships.flatMap((m, i) => (seen[i] ? [{ community: m.community, member: seen[i] }] : []));
    const html = this.views.page(
      'profile',
      { title: `${user.displayName} (@${user.username})`, canonicalPath: `/u/${encodeURIComponent(user.username)}`, description: user.bio.slice(0, 200) || `${user.displayName} on Hearth` },
      viewer,
      { profile: user, communities, roleLabels: { member: 'Member', ...ROLE_LABELS }, isMe: viewer.actor?.userId === user.id },
    );
    return sendPage(reply, viewer, html);
  }

  /** The member as the viewer sees them in one community, or null where the viewer may not see it (banned there). */
  private async visibleMember(viewer: Viewer, slug: string, userId: string): Promise<MemberProfileView | null> {
    try {
      return await this.profiles.member(viewer.actor, slug, userId);
    } catch (err) {
      if (err instanceof AppError && (err.status === 403 || err.status === 404)) return null;
      throw err;
    }
  }

  private async forgotForm(request: FastifyRequest, reply: FastifyReply, form: ForgotForm, status = 200) {
    const viewer = await this.sessions.viewer(request, reply);
    const csrfToken = this.sessions.csrfToken(request, reply, viewer.actor);
    const html = this.views.page('forgot-password', { title: 'Forgot your password?', canonicalPath: '/forgot-password', noindex: true }, { ...viewer, csrfToken }, { form, csrfField: CSRF_FIELD });
    return sendPage(reply, viewer, html, status);
  }

  private async resetForm(request: FastifyRequest, reply: FastifyReply, form: ResetForm, status = 200) {
    const viewer = await this.sessions.viewer(request, reply);
    const csrfToken = this.sessions.csrfToken(request, reply, viewer.actor);
    const html = this.views.page('reset-password', { title: 'Choose a new password', canonicalPath: '/reset-password', noindex: true }, { ...viewer, csrfToken }, { form, csrfField: CSRF_FIELD });
    // The token is in the URL: keep it out of Referer headers of any link on the page.
    void reply.header('referrer-policy', 'no-referrer');
    return sendPage(reply, viewer, html, status);
  }
}
