import { Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccountDataService } from '../account-data/account-data.service';
import { CommunitiesService } from '../communities/communities.service';
import { Actor } from '../core/auth/actor';
import { AppError } from '../core/errors/app-error';
import { ChangePasswordDto } from '../identity/dto/auth.dto';
import { DeleteAccountDto } from '../identity/dto/recovery.dto';
import { EmailVerificationService } from '../identity/email-verification.service';
import { IdentityService } from '../identity/identity.service';
import { UpdatePreferencesDto } from '../notifications/dto/notifications.dto';
import { DELIVERIES, DIGEST_FREQUENCIES, NOTIFICATION_TYPES, TYPE_DESCRIPTIONS } from '../notifications/notification-types';
import { NotificationsService } from '../notifications/notifications.service';
import { UpdateProfileDto } from '../profiles/dto/profiles.dto';
import { ProfilesService } from '../profiles/profiles.service';
import { AttachmentsService } from '../threads/attachments.service';
import { FieldErrors, fieldErrors, Page, readForm, readFormWithImage, validateWith } from './forms';
import { sendPage } from './send-page';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';
import { CSRF_FIELD, Viewer, WebSessionService } from './web-session.service';
import { WebErrors } from './web.errors';

type Section = 'verify' | 'profile' | 'password' | 'notifications' | 'delete';
const SECTIONS: readonly Section[] = ['verify', 'profile', 'password', 'notifications', 'delete'];
const SAVED: Record<Section, string> = {
  verify: 'We sent a new confirmation link to your email address.',
  profile: 'Your profile is saved.',
  password: 'Your password is changed. Your other sessions have ended.',
  notifications: 'Your notification preferences are saved.',
  delete: '',
};
const DELIVERY_LABELS: Record<string, string> = { email: 'In the app and by email', digest: 'In the app and in the digest', inapp: 'In the app only', off: 'Off' };
const DIGEST_LABELS: Record<string, string> = { daily: 'Daily', weekly: 'Weekly', never: 'Never' };

/** A form that came back: the section it belongs to, what the member typed (never passwords) and the errors. */
interface SectionForm {
  section: Section;
  values: Record<string, string>;
  errors: FieldErrors;
  message?: string;
}

/**
 * The member's settings: profile (with an avatar upload), password, notification preferences, the
 * export of their data, the deletion of their account, and another email confirmation link. Each form posts to its own route and calls
 * the service the matching API route calls (PATCH /me, POST /me/password,
 * PUT /me/notification-preferences, GET /me/export, DELETE /me); on success, back to /settings with a notice.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class SettingsPagesController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly identity: IdentityService,
    private readonly communities: CommunitiesService,
    private readonly profiles: ProfilesService,
    private readonly attachments: AttachmentsService,
    private readonly notifications: NotificationsService,
    private readonly accountData: AccountDataService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Get('settings')
  @Page()
  async settings(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('saved') saved: unknown) {
    const viewer = await this.sessions.viewer(request, reply);
    if (!viewer.actor) throw WebErrors.signInRequired();
    const notice = SECTIONS.includes(saved as Section) ? SAVED[saved as Section] : '';
    return this.settingsPage(reply, viewer, null, notice);
  }

  /** PATCH /me's work: an avatar file is uploaded (in a community the member belongs to, as the API's uploads are) and made the avatar. */
  @Post('settings/profile')
  @Page({ guestCacheEffect: 'events' })
  async saveProfile(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const { fields, file, fileError } = await readFormWithImage(request, 'avatar', SETTINGS_FORM_LIMITS, true);
    const actor = await this.requireMember(request, reply, fields);
    const values = { displayName: fields.displayName ?? '', username: fields.username ?? '', bio: fields.bio ?? '' };
    const back = (errors: FieldErrors, status: number, message?: string) => this.formAgain(request, reply, { section: 'profile', values, errors, message }, status);
    if (fileError) return back({ avatar: fileError }, 413);
    // A field the form did not send stays as it is (PATCH semantics); an empty one is sent as empty.
    const { value, errors } = await validateWith(UpdateProfileDto, { displayName: fields.displayName, username: fields.username, bio: fields.bio });
    if (errors) return back(errors, 400, 'Please correct the fields marked below.');
    try {
      if (file) {
        const communityId = await this.uploadCommunity(actor);
        if (!communityId) return back({ avatar: 'Join a community first: avatars are uploaded like photos, in a community you belong to' }, 400);
        value.avatarUploadId = (await this.attachments.upload(actor, communityId, file)).id;
      }
      await this.profiles.update(actor, value);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const byField = fieldErrors(err.errors);
      const avatarError = byField.file ?? byField.avatarUploadId;
      if (avatarError) byField.avatar = err.detail;
      return back(byField, err.status, err.detail);
    }
    return reply.redirect('/settings?saved=profile#profile', 303);
  }

  /** As POST /me/password: every other session ends; this browser stays signed in. */
  @Post('settings/password')
  @Page({ guestCacheEffect: 'none' })
  async changePassword(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    const actor = await this.requireMember(request, reply, form);
    const back = (errors: FieldErrors, status: number, message?: string) => this.formAgain(request, reply, { section: 'password', values: {}, errors, message }, status);
    const { value, errors } = await validateWith(ChangePasswordDto, { currentPassword: form.currentPassword, newPassword: form.newPassword });
    if (errors) return back(errors, 400);
    try {
      await this.identity.changePassword(actor, value, { ip: request.ip, userAgent: request.headers['user-agent'] });
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      void reply.headers(err.headers);
      return back(fieldErrors(err.errors), err.status, err.detail);
    }
    return reply.redirect('/settings?saved=password#password', 303);
  }

  /** As POST /me/verify-email: another confirmation link. */
  @Post('settings/verify-email')
  @Page({ guestCacheEffect: 'none' })
  async resendVerification(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    const actor = await this.requireMember(request, reply, form);
    try {
      await this.verification.resend(actor);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      void reply.headers(err.headers);
      return this.formAgain(request, reply, { section: 'verify', values: {}, errors: {}, message: err.detail }, err.status);
    }
    return reply.redirect('/settings?saved=verify', 303);
  }

  /** As PUT /me/notification-preferences: one select per notification type, and the digest's frequency. */
  @Post('settings/notifications')
  @Page({ guestCacheEffect: 'none' })
  async savePreferences(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const { fields } = await readFormWithImage(request, 'avatar', SETTINGS_FORM_LIMITS, false);
    const actor = await this.requireMember(request, reply, fields);
    const types = Object.fromEntries(NOTIFICATION_TYPES.filter((t) => fields[t] !== undefined).map((t) => [t, fields[t]]));
    const values = { ...types, digestFrequency: fields.digestFrequency ?? '' };
    const back = (errors: FieldErrors, status: number) => this.formAgain(request, reply, { section: 'notifications', values, errors, message: 'Please correct the choices marked below.' }, status);
    const { value, errors } = await validateWith(UpdatePreferencesDto, { types, digestFrequency: fields.digestFrequency || undefined });
    if (errors) return back(errors, 400);
    try {
      await this.notifications.updatePreferences(actor, value);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return back(fieldErrors(err.errors), err.status);
    }
    return reply.redirect('/settings?saved=notifications#notifications', 303);
  }

  /** The same JSON document as GET /me/export, streamed, with this browser's session (a GET: it changes nothing). */
  @Get('settings/export')
  @Page()
  async export(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const actor = await this.sessions.actor(request, reply);
    if (!actor) throw WebErrors.signInRequired();
    return reply
      .headers({
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': 'attachment; filename="hearth-export.json"',
        'cache-control': 'private, no-store',
      })
      .send(this.accountData.export(actor));
  }

  /** As DELETE /me: confirmed with the password (or "DELETE" for an account without one); then this browser is signed out. */
  @Post('settings/delete')
  @Page()
  async deleteAccount(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const form = await readForm(request);
    const actor = await this.requireMember(request, reply, form);
    const values = { confirm: form.confirm ?? '' };
    const back = (errors: FieldErrors, status: number, message?: string) => this.formAgain(request, reply, { section: 'delete', values, errors, message }, status);
    const { value, errors } = await validateWith(DeleteAccountDto, { password: form.password || undefined, confirm: form.confirm || undefined });
    if (errors) return back(errors, 400);
    try {
      await this.accountData.deleteAccount(actor, value);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      void reply.headers(err.headers);
      const byField = fieldErrors(err.errors);
      if (err.code === 'WRONG_PASSWORD') byField.password = err.detail;
      return back(byField, err.status, err.detail);
    }
    this.sessions.signOut(reply);
    return reply.redirect('/', 303);
  }

  private async requireMember(request: FastifyRequest, reply: FastifyReply, form: Record<string, string>): Promise<Actor> {
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    return actor;
  }

  /** The first community the member belongs to (and is not barred from) holds the avatar's upload. */
  private async uploadCommunity(actor: Actor): Promise<string | null> {
    for (const { community } of await this.communities.myMemberships(actor.userId)) {
      try {
        if ((await this.communities.resolve(community.slug, actor))?.role) return community.id;
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 403) throw err;
      }
    }
    return null;
  }

  private async formAgain(request: FastifyRequest, reply: FastifyReply, form: SectionForm, status: number) {
    const viewer = await this.sessions.viewer(request, reply);
    return this.settingsPage(reply, viewer, form, '', status);
  }

  private async settingsPage(reply: FastifyReply, viewer: Viewer, form: SectionForm | null, notice: string, status = 200) {
    const actor = viewer.actor as Actor;
    const [me, preferences, memberships] = await Promise.all([this.identity.getMe(actor.userId), this.notifications.preferences(actor), this.communities.myMemberships(actor.userId)]);
    const empty = (section: Section): SectionForm => ({ section, values: {}, errors: {} });
    const forms = Object.fromEntries(SECTIONS.map((s) => [s, form?.section === s ? form : empty(s)]));
    const profileValues = form?.section === 'profile' ? form.values : { displayName: me.displayName, username: me.username ?? '', bio: me.bio };
    const prefValues = form?.section === 'notifications' ? { ...preferences.types, ...form.values } : { ...preferences.types, digestFrequency: preferences.digestFrequency };
    const html = this.views.page('settings', { title: 'Settings', canonicalPath: '/settings', noindex: true }, viewer, {
      me,
      forms,
      notice,
      profileValues,
      prefValues,
      canUploadAvatar: memberships.length > 0,
      types: NOTIFICATION_TYPES.map((type) => ({ type, label: TYPE_DESCRIPTIONS[type] })),
      deliveries: DELIVERIES.map((d) => ({ value: d, label: DELIVERY_LABELS[d] ?? d })),
      digestFrequencies: DIGEST_FREQUENCIES.map((d) => ({ value: d, label: DIGEST_LABELS[d] ?? d })),
      csrfField: CSRF_FIELD,
    });
    return sendPage(reply, viewer, html, status);
  }
}

/** The notification form has a field per type (more than readForm's 12); the profile form carries an image. */
const SETTINGS_FORM_LIMITS = { fields: 24, fieldSize: 16 * 1024 };
