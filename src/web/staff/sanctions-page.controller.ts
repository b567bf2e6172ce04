import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../../communities/communities.service';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { IdParamPipe } from '../../core/http/id-param.pipe';
import { PageQueryDto } from '../../core/pagination/pagination';
import { IdentityService } from '../../identity/identity.service';
import { SanctionInputDto, SANCTION_KINDS } from '../../moderation/dto/moderation.dto';
import { SanctionView } from '../../moderation/dto/views.dto';
import { ModerationClock } from '../../moderation/moderation-clock';
import { SanctionsService } from '../../moderation/sanctions.service';
import { FieldErrors, Page, readForm, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

const ACTIVE_SHOWN = 100;
const PAST_PER_PAGE = 20;
const sanctionIds = new IdParamPipe('Sanction');

export const SANCTION_KIND_LABELS: Record<string, string> = { warn: 'Warn', silence: 'Silence', suspend: 'Suspend', ban: 'Ban' };
export const SANCTION_KIND_HELP = 'Warn: recorded and sent to the member. Silence: no posting, replying, reacting, voting or chatting. Suspend: also no reading members-only boards. Ban: no access to the community.';

/** The durations the forms offer; the API takes the end time (`until`), which the page computes from the moderation clock. */
export const SANCTION_DURATIONS: Array<{ value: string; label: string; ms: number | null }> = [
  { value: '1h', label: '1 hour', ms: 3_600_000 },
  { value: '1d', label: '1 day', ms: 86_400_000 },
  { value: '3d', label: '3 days', ms: 3 * 86_400_000 },
  { value: '7d', label: '7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: '30 days', ms: 30 * 86_400_000 },
  { value: 'lifted', label: 'Until lifted', ms: null },
];

export interface SanctionFormValues {
  kind: string;
  duration: string;
  reason: string;
}

/** A sanction form's fields as the API's SanctionInputDto (kind, until from the duration, reason); errors by the form's field names. */
export async function sanctionInput(form: Record<string, string>, now: Date): Promise<{ value: SanctionInputDto | null; errors: FieldErrors | null; values: SanctionFormValues }> {
  const values = { kind: form.kind ?? '', duration: form.duration ?? '', reason: (form.reason ?? '').trim() };
  const duration = SANCTION_DURATIONS.find((d) => d.value === values.duration);
  const until = duration?.ms ? new Date(now.getTime() + duration.ms).toISOString() : undefined;
  const { value, errors } = await validateWith(SanctionInputDto, { kind: values.kind, reason: values.reason, until });
  const out: FieldErrors = {};
  if (!duration) out.duration = 'Choose a duration from the list';
  if (errors?.kind) out.kind = 'Choose a kind of sanction from the list';
  if (errors?.reason) out.reason = values.reason ? errors.reason : 'Say why (the member sees it)';
  if (errors?.until) out.duration = errors.until;
  return Object.keys(out).length ? { value: null, errors: out, values } : { value, errors: null, values };
}

/** The sanction form's choices, for the templates. */
export const sanctionChoices = () => ({
  kinds: SANCTION_KINDS.map((k) => ({ value: k, label: SANCTION_KIND_LABELS[k] })),
  durations: SANCTION_DURATIONS.map(({ value, label }) => ({ value, label })),
  kindHelp: SANCTION_KIND_HELP,
});

interface GiveState {
  values: SanctionFormValues & { username: string };
  errors: FieldErrors;
  message?: string;
}

/**
 * The moderators' sanctions page: the community's sanctions in force now, then past ones (paged);
 * a form to give one (a member by username, kind, duration, reason) and a Lift button on each active
 * one. SanctionsService decides who may sanction whom, as for the API.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class SanctionsPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly communities: CommunitiesService,
    private readonly identity: IdentityService,
    private readonly sanctions: SanctionsService,
    private readonly clock: ModerationClock,
  ) {}

  @Get('c/:slug/mod/sanctions')
  @Page()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const access = await this.access.require(request, reply, slug, 'moderator');
    return this.render(reply, access, query);
  }

  @Post('c/:slug/mod/sanctions')
  @Page({ guestCacheEffect: 'none' })
  async give(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const access = await this.access.requireForm(request, reply, slug, 'moderator', form[CSRF_FIELD]);
    const username = (form.username ?? '').trim().replace(/^@/, '');
    const input = await sanctionInput(form, this.clock.now());
    const state: GiveState = { values: { ...input.values, username }, errors: { ...input.errors } };
    let userId: string | undefined;
    if (!username) state.errors.username = 'Enter the member\'s username';
    else if (username.length > 40) state.errors.username = 'No member of this community has this username';
    else {
      userId = (await this.communities.membersByHandle(access.community.id, [username])).get(username.toLowerCase());
      if (!userId) state.errors.username = 'No member of this community has this username';
    }
    if (Object.keys(state.errors).length || !userId || !input.value) return this.render(reply, access, {}, { ...state, message: 'Check the fields marked below' }, 422);
    try {
      const sanction = await this.sanctions.create(access.viewer.actor, access.context, userId, input.value);
      return reply.redirect(`/c/${encodeURIComponent(access.community.slug)}/mod/sanctions?given=${sanction.id}#sanction-${sanction.id}`, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      for (const f of err.errors) state.errors[f.field === 'until' ? 'duration' : f.field] = f.message;
      if (err.status === 404) state.errors.username = 'No member of this community has this username';
      return this.render(reply, access, {}, { ...state, message: err.detail }, err.status);
    }
  }

  @Post('c/:slug/mod/sanctions/:sanctionId/lift')
  @Page({ guestCacheEffect: 'none' })
  async lift(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('sanctionId') rawId: string) {
    const form = await readForm(request);
    const access = await this.access.requireForm(request, reply, slug, 'moderator', form[CSRF_FIELD]);
    const sanctionId = sanctionIds.transform(rawId);
    try {
      await this.sanctions.lift(access.viewer.actor, sanctionId);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      return this.render(reply, access, {}, undefined, err.status, err.detail);
    }
    return reply.redirect(`/c/${encodeURIComponent(access.community.slug)}/mod/sanctions?lifted=${sanctionId}`, 303);
  }

  private async render(reply: FastifyReply, access: StaffPageAccess, query: Record<string, unknown>, give?: GiveState, status = 200, error?: string) {
    const { value, errors } = await validateWith(PageQueryDto, { cursor: query.cursor });
    if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })), 'The page link is not valid');
    const { community, context, viewer } = access;
    const active = await this.sanctions.list(context, { state: 'active', limit: ACTIVE_SHOWN });
    const past = await this.sanctions.list(context, { state: 'past', limit: PAST_PER_PAGE, cursor: value.cursor });
    const all = [...active.items, ...past.items];
    const users = await this.identity.getUsers(all.flatMap((s) => [s.userId, s.createdBy]));
    const person = (id: string) => users.get(id) ?? { id, username: null, displayName: '(deleted account)', avatarUrl: null };
    const base = `/c/${community.slug}/mod/sanctions`;
    const notice = (id: unknown, verb: string) => {
      const found = typeof id === 'string' ? all.find((s) => s.id === id) : undefined;
      return found ? `${SANCTION_KIND_LABELS[found.kind]} ${verb} for ${person(found.userId).displayName}.` : null;
    };
    const row = (s: SanctionView) => ({ ...s, member: person(s.userId), by: person(s.createdBy), kindLabel: SANCTION_KIND_LABELS[s.kind] ?? s.kind });
    const html = this.views.page(
      'staff/sanctions',
      { title: `Sanctions · ${community.name}`, canonicalPath: base, community, noindex: true },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'mod/sanctions'),
        active: active.items.map(row),
        moreActive: Boolean(active.nextCursor),
        past: past.items.map(row),
        pastNextUrl: past.nextCursor ? `${base}?cursor=${encodeURIComponent(past.nextCursor)}#past` : null,
        pastFirstUrl: value.cursor ? `${base}#past` : null,
        notice: notice(query.given, 'given') ?? notice(query.lifted, 'lifted'),
        give: give ?? { values: { username: '', kind: 'silence', duration: '7d', reason: '' }, errors: {} },
        error: error ?? null,
        csrfField: CSRF_FIELD,
        ...sanctionChoices(),
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}
