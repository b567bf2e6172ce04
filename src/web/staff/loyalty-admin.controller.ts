import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommunitiesService } from '../../communities/communities.service';
import { COMMUNITY_SETTINGS, UpdateCommunitySettingsDto } from '../../communities/community-settings';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { IdParamPipe } from '../../core/http/id-param.pipe';
import { PageQueryDto } from '../../core/pagination/pagination';
import { UpdateLoyaltyRulesDto } from '../../loyalty/dto/loyalty.dto';
import { CreateRewardDto, UpdateRewardDto } from '../../loyalty/dto/rewards.dto';
import { EARN_RULE_NAMES, EARN_RULES, EarnRuleName, MAX_EXPIRY_DAYS, MAX_TIERS, RULE_MAX_POINTS } from '../../loyalty/loyalty-rules';
import { LoyaltyService } from '../../loyalty/loyalty.service';
import { RewardsService } from '../../loyalty/rewards.service';
import { FieldErrors, fieldErrors, Page, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { addCodesInBatches, CODES_FILE_MAX_BYTES, CODES_FILE_MAX_CODES, parseCodesCsv, readAdminForm } from './loyalty-codes-upload';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

export const RULE_LABELS: Record<EarnRuleName, string> = {
  threadCreated: 'A new thread',
  replyCreated: 'A reply',
  showcasePhoto: 'A showcase post with a photo',
  answerAccepted: 'An accepted answer (to its author)',
  answerOfficial: 'An official answer',
  reactionReceived: 'A reaction received',
  firstPostOfDay: 'The first post of the day',
  orderPointsPerUnit: 'Points per currency unit of a paid order',
};
/** The community settings the points depend on, edited with the rules (saved through the settings' own service). */
const POINT_SETTINGS = [
  { name: 'pointsPendingHours', label: 'Moderation window (hours)', help: 'Content points stay pending this long, and are cancelled if the content is hidden or deleted meanwhile' },
  { name: 'dailyPointsCap', label: 'Daily cap on content points', help: 'Content points one member may earn per day; accepted answers are exempt (0: no cap)' },
] as const;
const REWARDS_PER_PAGE = 50;
const SAVED: Record<string, string> = {
  rules: 'The rules and tiers are saved.',
  reward: 'The reward is created: upload its coupon codes below.',
  edited: 'The reward is saved.',
  disabled: 'The reward is disabled: members no longer see it.',
  enabled: 'The reward is enabled: members can redeem it again.',
};

interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
  message?: string;
}
interface PageState {
  rules?: FormState;
  reward?: FormState;
  edit?: FormState & { rewardId: string };
  codes?: FormState & { rewardId: string; lines: string[] };
  codesResult?: { rewardId: string; added: number; duplicates: number; available: number };
  notice?: string;
}

/**
 * The admin's loyalty page (issue 24): points rules, the moderation window and daily cap, tiers,
 * rewards, and coupon codes uploaded as a CSV file. Each form calls the service its API route calls
 * (PUT /loyalty/rules, PATCH /settings, POST /loyalty/rewards, POST /loyalty/rewards/:id/codes) after
 * validating with that route's DTO; errors show next to the fields.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class LoyaltyAdminController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly loyalty: LoyaltyService,
    private readonly rewards: RewardsService,
    private readonly communities: CommunitiesService,
  ) {}

  @Get('c/:slug/admin/loyalty')
  @Page()
  async page(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const access = await this.access.require(request, reply, slug, 'admin');
    const notice = typeof query.saved === 'string' ? SAVED[query.saved] : undefined;
    return this.render(reply, access, typeof query.cursor === 'string' ? query.cursor : undefined, { notice }, 200);
  }

  @Post('c/:slug/admin/loyalty/rules')
  @Page({ guestCacheEffect: 'none' })
  async saveRules(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readAdminForm(request, { maxFields: 8 + 3 + MAX_TIERS * 2 + 2 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    const values = form.fields;
    const input: Record<string, unknown> = { expiryInactiveDays: integer(values.expiryInactiveDays) };
    for (const name of EARN_RULE_NAMES) input[name] = integer(values[name]);
    const tiers: Array<{ name: string; minLifetime: unknown }> = [];
    const tierRows: number[] = [];
    for (let i = 0; i < MAX_TIERS; i++) {
      const name = (values[`tierName${i}`] ?? '').trim();
      const min = (values[`tierMin${i}`] ?? '').trim();
      if (!name && !min) continue;
      tiers.push({ name, minLifetime: integer(min) });
      tierRows.push(i);
    }
    input.tiers = tiers;
    const rules = await validateWith(UpdateLoyaltyRulesDto, input);
    const settings = await validateWith(UpdateCommunitySettingsDto, Object.fromEntries(POINT_SETTINGS.map((s) => [s.name, integer(values[s.name])])));
    const errors = { ...tierErrors(rules.errors, tierRows), ...readable(settings.errors) };
    const back = (status: number, message: string) => this.render(reply, access, undefined, { rules: { values, errors, message } }, status);
    if (rules.errors || settings.errors) return back(400, 'Please correct the fields marked below.');
    try {
      await this.loyalty.updateRules(access.viewer.actor, access.context, rules.value);
      await this.communities.updateSettings(access.context.id, settings.value, access.viewer.actor.userId);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      Object.assign(errors, readable(fieldErrors(err.errors)));
      return back(err.status, err.detail);
    }
    return reply.redirect(`/c/${encodeURIComponent(slug)}/admin/loyalty?saved=rules#rules`, 303);
  }

  @Post('c/:slug/admin/loyalty/rewards')
  @Page({ guestCacheEffect: 'none' })
  async createReward(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readAdminForm(request, { maxFields: 4 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    const values = { name: form.fields.name ?? '', cost: form.fields.cost ?? '', description: form.fields.description ?? '' };
    const { value, errors } = await validateWith(CreateRewardDto, { name: values.name, cost: integer(values.cost), description: values.description || undefined });
    if (errors) return this.render(reply, access, undefined, { reward: { values, errors: readable(errors), message: 'Please correct the fields marked below.' } }, 400);
    const reward = await this.rewards.create(access.viewer.actor, access.context, value);
    return reply.redirect(`/c/${encodeURIComponent(slug)}/admin/loyalty?saved=reward#reward-${reward.id}`, 303);
  }

  /** As PATCH /loyalty/rewards/:rewardId with name, cost and description. */
  @Post('c/:slug/admin/loyalty/rewards/:rewardId')
  @Page({ guestCacheEffect: 'none' })
  async editReward(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('rewardId', new IdParamPipe('Reward')) rewardId: string) {
    const form = await readAdminForm(request, { maxFields: 4 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    const values = { name: form.fields.name ?? '', cost: form.fields.cost ?? '', description: form.fields.description ?? '' };
    const { value, errors } = await validateWith(UpdateRewardDto, { name: values.name, cost: integer(values.cost), description: values.description });
    if (errors) return this.render(reply, access, undefined, { edit: { rewardId, values, errors: readable(errors), message: 'Please correct the fields marked below.' } }, 400);
    await this.rewards.update(access.context, rewardId, value);
    return reply.redirect(`/c/${encodeURIComponent(slug)}/admin/loyalty?saved=edited#reward-${rewardId}`, 303);
  }

  /** As PATCH /loyalty/rewards/:rewardId with `enabled`: a disabled reward is neither listed to members nor redeemable. */
  @Post('c/:slug/admin/loyalty/rewards/:rewardId/enabled')
  @Page({ guestCacheEffect: 'none' })
  async enableReward(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('rewardId', new IdParamPipe('Reward')) rewardId: string) {
    const form = await readAdminForm(request, { maxFields: 2 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    const enabled = form.fields.enabled === 'true' ? true : form.fields.enabled === 'false' ? false : form.fields.enabled;
    const { value, errors } = await validateWith(UpdateRewardDto, { enabled });
    if (errors) throw CommonErrors.validation([{ field: 'enabled', message: 'enabled must be true or false' }]);
    await this.rewards.update(access.context, rewardId, value);
    return reply.redirect(`/c/${encodeURIComponent(slug)}/admin/loyalty?saved=${value.enabled ? 'enabled' : 'disabled'}#reward-${rewardId}`, 303);
  }

  /**
   * A CSV file of coupon codes for a reward. A plain form post answers with the page and the result
   * ("N codes added, M duplicates skipped"); codes-upload.js posts the same form with
   * `Accept: application/json` and shows the upload's progress, then the same result.
   */
  @Post('c/:slug/admin/loyalty/rewards/:rewardId/codes')
  @Page({ guestCacheEffect: 'none' })
  async uploadCodes(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('rewardId', new IdParamPipe('Reward')) rewardId: string) {
    const json = String(request.headers.accept ?? '').includes('application/json');
    try {
      const form = await readAdminForm(request, { maxFields: 2, fileField: 'file' });
      const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
      const fail = (status: number, message: string, lines: string[] = []) => {
        if (json) return reply.status(status).header('cache-control', 'no-store').send({ message, errors: lines });
        return this.render(reply, access, undefined, { codes: { rewardId, values: {}, errors: { file: message }, lines } }, status);
      };
      if (form.fileError) return fail(413, form.fileError);
      if (!form.file) return fail(400, 'Choose a CSV file of codes');
      const { codes, errors } = parseCodesCsv(form.file);
      if (errors.length) return fail(400, 'The file was not used: nothing was added.', errors);
      const result = await addCodesInBatches(this.rewards, access.viewer.actor, rewardId, codes);
      if (json) return reply.status(200).header('cache-control', 'no-store').send({ ...result, message: resultMessage(result) });
      return this.render(reply, access, undefined, { codesResult: { rewardId, ...result } }, 200);
    } catch (err) {
      if (!json || !(err instanceof AppError) || err.status >= 500) throw err;
      return reply.status(err.status).header('cache-control', 'no-store').send({ message: err.detail, errors: [] });
    }
  }

  private async render(reply: FastifyReply, access: StaffPageAccess, cursor: string | undefined, state: PageState, status: number) {
    const { viewer, context, community } = access;
    const page = await validateWith(PageQueryDto, { cursor, limit: REWARDS_PER_PAGE });
    if (page.errors) throw CommonErrors.validation(Object.entries(page.errors).map(([field, message]) => ({ field, message })), 'That page of rewards does not exist');
    const [rules, settings, rewards] = [await this.loyalty.getRules(context), await this.communities.getSettings(context.id), await this.rewards.list(context, { limit: REWARDS_PER_PAGE, cursor: page.value.cursor, includeDisabled: true })];
    const current: Record<string, string> = { expiryInactiveDays: String(rules.expiryInactiveDays) };
    for (const name of EARN_RULE_NAMES) current[name] = String(rules[name]);
    for (const s of POINT_SETTINGS) current[s.name] = String(settings[s.name]);
    rules.tiers.forEach((t, i) => {
      current[`tierName${i}`] = t.name;
      current[`tierMin${i}`] = String(t.minLifetime);
    });
    const base = `/c/${community.slug}/admin/loyalty`;
    const result = state.codesResult ? { ...state.codesResult, rewardName: rewards.items.find((r) => r.id === state.codesResult!.rewardId)?.name ?? 'the reward', message: resultMessage(state.codesResult) } : null;
    const html = this.views.page(
      'staff/loyalty',
      { title: `Loyalty · ${community.name}`, canonicalPath: base, community, noindex: true, scripts: ['codes-upload.js'] },
      viewer,
      {
        community,
        staffNav: staffNav(community.slug, context.role!, 'admin/loyalty'),
        csrfField: CSRF_FIELD,
        notice: state.notice ?? null,
        rulesForm: state.rules ?? { values: current, errors: {} },
        ruleFields: EARN_RULE_NAMES.map((name) => ({ name, label: RULE_LABELS[name], help: `0 to ${RULE_MAX_POINTS.toLocaleString('en-GB')}; default ${EARN_RULES[name].default}` })),
        settingFields: POINT_SETTINGS.map((s) => ({ ...s, help: `${s.help}. ${COMMUNITY_SETTINGS[s.name].min} to ${COMMUNITY_SETTINGS[s.name].max.toLocaleString('en-GB')}; default ${COMMUNITY_SETTINGS[s.name].default}.` })),
        maxExpiryDays: MAX_EXPIRY_DAYS,
        tierRows: Array.from({ length: MAX_TIERS }, (_, i) => i),
        rewardForm: state.reward ?? { values: {}, errors: {} },
        rewards: rewards.items,
        rewardsNextUrl: rewards.nextCursor ? `${base}?cursor=${encodeURIComponent(rewards.nextCursor)}#rewards` : null,
        rewardsFirstUrl: page.value.cursor ? `${base}#rewards` : null,
        editForm: state.edit ?? null,
        codesForm: state.codes ?? null,
        codesResult: result,
        codesLimits: { mib: CODES_FILE_MAX_BYTES / 1024 / 1024, codes: CODES_FILE_MAX_CODES.toLocaleString('en-GB') },
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}

/** A whole number typed in a field, as the number the DTO checks; anything else stays text, so the DTO reports it. */
function integer(text: string | undefined): unknown {
  const t = (text ?? '').trim();
  return t !== '' && Number.isSafeInteger(Number(t)) ? Number(t) : t;
}

function resultMessage(r: { added: number; duplicates: number; available: number }): string {
  const codes = (n: number) => `${n.toLocaleString('en-GB')} ${n === 1 ? 'code' : 'codes'}`;
  return `${codes(r.added)} added, ${r.duplicates.toLocaleString('en-GB')} ${r.duplicates === 1 ? 'duplicate' : 'duplicates'} skipped. ${codes(r.available)} available now.`;
}

/** The DTO's messages ("cost must be at least 1") as a field shows them ("Must be at least 1"). */
function readable(errors: FieldErrors | null): FieldErrors {
  const out: FieldErrors = {};
  for (const [field, message] of Object.entries(errors ?? {})) {
    if (!message.startsWith(`${field} `)) out[field] = message;
    else out[field] = message.charAt(field.length + 1).toUpperCase() + message.slice(field.length + 2);
  }
  return out;
}

/** Errors of the tiers ("tiers.1.minLifetime") on the form row they came from (tierName3, tierMin3). */
function tierErrors(errors: FieldErrors | null, rows: number[]): FieldErrors {
  const out: FieldErrors = {};
  for (const [field, message] of Object.entries(errors ?? {})) {
    if (!field.startsWith('tiers.')) {
      Object.assign(out, readable({ [field]: message }));
      continue;
    }
    const [, index, prop] = field.split('.');
    const row = rows[Number(index)];
    const key = prop === 'name' ? `tierName${row}` : `tierMin${row}`;
    out[key] ??= message.replace(/^(name|minLifetime) /, '').replace(/^./, (c) => c.toUpperCase());
  }
  return out;
}
