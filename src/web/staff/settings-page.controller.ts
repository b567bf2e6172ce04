import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../../communities/communities.service';
import { COMMUNITY_SETTINGS, SETTING_NAMES, SettingName, UpdateCommunitySettingsDto } from '../../communities/community-settings';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { FieldErrors, fieldErrors, Page, readForm, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

/**
 * How the page groups the settings (a form each: page forms carry at most 12 fields with the
 * CSRF token and the group). Only the grouping lives here; bounds, defaults and help come from COMMUNITY_SETTINGS,
 * and a setting no group names still shows, under "Other settings".
 */
const GROUPS: Array<{ id: string; title: string; names: SettingName[] }> = [
  { id: 'posting', title: 'Posting and new members', names: ['postCooldownSeconds', 'newMemberPostCooldownSeconds', 'newMemberMaxLinks', 'newMemberDays', 'newMemberPosts', 'editWindowMinutes'] },
  { id: 'chat', title: 'Chat and moderation', names: ['chatMessagesPer30Seconds', 'newMemberChatMessagesPer30Seconds', 'flagsToHide'] },
  { id: 'points', title: 'Points, staff and insights', names: ['pointsPendingHours', 'dailyPointsCap', 'responseTargetMinutes', 'segmentCoreActiveDays', 'churnQuietDays'] },
];
const MAX_FIELDS_PER_FORM = 10;

export function settingGroups(): Array<{ id: string; title: string; names: SettingName[] }> {
  const grouped = new Set(GROUPS.flatMap((g) => g.names));
  const rest = SETTING_NAMES.filter((n) => !grouped.has(n));
  const groups = [...GROUPS];
  for (let i = 0; i < rest.length; i += MAX_FIELDS_PER_FORM) groups.push({ id: `other${i ? i / MAX_FIELDS_PER_FORM + 1 : ''}`, title: 'Other settings', names: rest.slice(i, i + MAX_FIELDS_PER_FORM) });
  return groups;
}

/** "newMemberChatMessagesPer30Seconds" reads "New member chat messages per 30 seconds". */
export function settingLabel(name: string): string {
  let words = '';
  for (const ch of name) {
    const upper = ch >= 'A' && ch <= 'Z';
    const digit = ch >= '0' && ch <= '9';
    const prevDigit = words.length > 0 && words[words.length - 1] >= '0' && words[words.length - 1] <= '9';
    if ((upper || (digit && !prevDigit)) && words) words += ' ';
    words += ch.toLowerCase();
  }
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The admin's community settings page (issue 24): every setting with its bounds, default and
 * meaning (COMMUNITY_SETTINGS, the one declaration the API's DTO is built from), validated with the
 * API's UpdateCommunitySettingsDto and saved as PATCH /communities/:slug/settings saves: only the
 * settings the form sent change. An error shows next to its field with what was typed.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class SettingsPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly communities: CommunitiesService,
  ) {}

  @Get('c/:slug/admin/settings')
  @Page()
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query('saved') saved: unknown) {
    const page = await this.access.require(request, reply, slug, 'admin');
    const group = settingGroups().find((g) => g.id === saved);
    return this.render(reply, page, { notice: group ? `${group.title}: saved.` : '' });
  }

  /** As PATCH /communities/:slug/settings with the settings of one group. */
  @Post('c/:slug/admin/settings')
  @Page() // as the API's PATCH: the guest cache is cleared
  async save(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    const group = settingGroups().find((g) => g.id === form.group);
    if (!group) throw CommonErrors.validation([{ field: 'group', message: 'unknown group of settings' }], 'Send one group of settings');
    const typed: Record<string, string> = {};
    const input: Record<string, unknown> = {};
    for (const name of group.names) {
      if (form[name] === undefined) continue; // not sent: unchanged, as with PATCH
      typed[name] = form[name];
      const text = form[name].trim();
      input[name] = /^-?\d{1,15}$/.test(text) ? Number(text) : text;
    }
    const { value, errors } = await validateWith(UpdateCommunitySettingsDto, input);
    const back = (errs: FieldErrors, status: number, message: string) => this.render(reply, page, { group: group.id, typed, errors: readable(errs), message }, status);
    if (errors) return back(errors, 400, 'Please correct the settings marked below.');
    try {
      await this.communities.updateSettings(page.context.id, value, page.viewer.actor.userId);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return back(fieldErrors(err.errors), err.status, err.detail);
    }
    return reply.redirect(`/c/${encodeURIComponent(page.community.slug)}/admin/settings?saved=${group.id}#${group.id}`, 303);
  }

  private async render(
    reply: FastifyReply,
    page: StaffPageAccess,
    data: { notice?: string; group?: string; typed?: Record<string, string>; errors?: FieldErrors; message?: string },
    status = 200,
  ) {
    const { viewer, context, community } = page;
    const current = await this.communities.getSettings(context.id);
    const groups = settingGroups().map((g) => ({
      ...g,
      message: g.id === data.group ? (data.message ?? '') : '',
      settings: g.names.map((name) => {
        const spec = COMMUNITY_SETTINGS[name];
        const typed = g.id === data.group ? data.typed?.[name] : undefined;
        return {
          name,
          label: settingLabel(name),
          help: `${spec.description}. From ${spec.min} to ${spec.max}; default ${spec.default}.`,
          min: spec.min,
          max: spec.max,
          value: typed ?? String(current[name]),
          error: g.id === data.group ? (data.errors?.[name] ?? '') : '',
        };
      }),
    }));
    const html = this.views.page(
      'staff/settings',
      { title: `Settings · ${community.name}`, canonicalPath: `/c/${community.slug}/admin/settings`, community, noindex: true },
      viewer,
      { community, role: context.role, staffNav: staffNav(community.slug, context.role!, 'admin/settings'), groups, notice: data.notice ?? '', csrfField: CSRF_FIELD },
    );
    return sendPage(reply, viewer, html, status);
  }
}

/** The DTO's messages name the setting ("flagsToHide must be at least 1"); next to its field the name is redundant. */
function readable(errors: FieldErrors): FieldErrors {
  return Object.fromEntries(
    Object.entries(errors).map(([name, message]) => {
      const rest = message.startsWith(`${name} `) ? message.slice(name.length + 1) : message;
      const text = rest === 'must be an integer' ? 'must be a whole number' : rest;
      return [name, text.charAt(0).toUpperCase() + text.slice(1)];
    }),
  );
}
