import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { IdParamPipe } from '../../core/http/id-param.pipe';
import { CommunityPolicy } from '../../core/policy/community-policy';
import { UserView } from '../../identity/dto/auth.dto';
import { AuditService } from '../../moderation/audit.service';
import { ITEM_TYPES, ResolveDto, ReviewQueueQueryDto } from '../../moderation/dto/moderation.dto';
import { ReviewItemView } from '../../moderation/dto/views.dto';
import { ModerationClock } from '../../moderation/moderation-clock';
import { ReviewService } from '../../moderation/review.service';
import { FieldErrors, Page, readForm, threadPath, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { sanctionChoices, sanctionInput, SanctionFormValues } from './sanctions-page.controller';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

const itemIds = new IdParamPipe('Review item');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const ITEM_TYPE_LABELS: Record<string, string> = {
  flagged_post: 'Reported post',
  queued_post: 'Post held for approval',
  flagged_user: 'Reported member',
  flagged_message: 'Reported chat message',
};
export const RESOLUTION_LABELS: Record<string, string> = {
  dismiss: 'dismiss',
  approve: 'approve',
  hide: 'hide',
  delete: 'delete',
  sanction: 'sanction',
  target_deleted: 'the content was deleted',
};
export const STATUS_LABELS: Record<string, string> = { pending: 'Waiting for review', approved: 'Upheld', rejected: 'Dismissed', ignored: 'Closed' };
const REASON_LABELS: Record<string, string> = { spam: 'Spam', abuse: 'Abuse', off_topic: 'Off topic', other: 'Other' };
const TRUST_LABELS: Record<string, string> = { new: 'new member', member: 'member', staff: 'staff' };

/** What the page shows when someone else resolved the item first (the service's 409 REVIEW_ITEM_CHANGED). */
interface Conflict {
  itemId: string;
  item: ReviewItemView | null;
  by: UserView | null;
  at: string | null;
  action: string | null;
}

/** A resolve form that failed validation or was refused: its item, the errors by field, the values typed. */
interface ItemFormState {
  itemId: string;
  errors: FieldErrors;
  values: SanctionFormValues;
  message?: string;
}

type Which = 'review' | 'queued';

/**
 * The review queue (`/mod/review`, every pending item, highest score first) and the posts held for
 * approval (`/mod/queued`, the queue's queued_post items): the API's queue and resolve
 * (ReviewService), each action a form carrying the item's version. A resolve that loses the race
 * shows who resolved the item first and its state now, on the same page.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class ReviewPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly review: ReviewService,
    private readonly audit: AuditService,
    private readonly policy: CommunityPolicy,
    private readonly clock: ModerationClock,
  ) {}

  @Get('c/:slug/mod/review')
  @Page()
  async reviewPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const access = await this.access.require(request, reply, slug, 'moderator');
    return this.render(reply, access, 'review', query);
  }

  @Get('c/:slug/mod/queued')
  @Page()
  async queuedPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const access = await this.access.require(request, reply, slug, 'moderator');
    return this.render(reply, access, 'queued', { cursor: query.cursor, resolved: query.resolved });
  }

  /** One action on one item: the API's resolve with the version the moderator saw. */
  @Post('c/:slug/mod/review/:itemId/resolve')
  @Page({ guestCacheEffect: 'events' })
  async resolve(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('itemId') rawId: string) {
    const form = await readForm(request);
    const access = await this.access.requireForm(request, reply, slug, 'moderator', form[CSRF_FIELD]);
    const itemId = itemIds.transform(rawId);
    const which: Which = form.from === 'queued' ? 'queued' : 'review';
    const back = { type: which === 'review' ? form.type : undefined, cursor: form.cursor };
    const sanction = form.action === 'sanction' ? await sanctionInput(form, this.clock.now()) : null;
    const note = form.action === 'sanction' ? sanction?.values.reason : form.note?.trim();
    const version = form.version && /^\d{1,9}$/.test(form.version) ? Number(form.version) : form.version;
    const { value, errors } = await validateWith(ResolveDto, { action: form.action, note: note || undefined, version });
    const state: ItemFormState = { itemId, errors: { ...errors, ...sanction?.errors }, values: sanction?.values ?? { kind: '', duration: '', reason: '' } };
    if (errors?.action) state.errors.action = 'Choose one of the actions';
    if (errors?.version) throw CommonErrors.validation([{ field: 'version', message: errors.version }], 'The form is out of date: reload the page');
    if (Object.keys(state.errors).length) {
      const message = state.errors.action ?? 'Check the fields marked below';
      return this.render(reply, access, which, back, { form: { ...state, message } }, 422);
    }
    try {
      await this.review.resolve(access.viewer.actor, itemId, { ...value, sanction: sanction?.value ?? undefined });
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      if (err.code === 'REVIEW_ITEM_CHANGED') return this.render(reply, access, which, back, { conflict: await this.conflict(access, itemId) }, 409);
      if (err.status === 404) throw err;
      for (const f of err.errors) state.errors[f.field === 'until' ? 'duration' : f.field] = f.message;
      return this.render(reply, access, which, back, { form: { ...state, message: err.detail } }, err.status);
    }
    const params = new URLSearchParams({ resolved: itemId });
    if (back.type && (ITEM_TYPES as readonly string[]).includes(back.type)) params.set('type', back.type);
    return reply.redirect(`/c/${encodeURIComponent(access.community.slug)}/mod/${which}?${params}`, 303);
  }

  /** The item as it is now and, from the audit log, who resolved it and when. */
  private async conflict(access: StaffPageAccess, itemId: string): Promise<Conflict> {
    const item = await this.review.item(access.context, itemId);
    if (!item || item.status === 'pending') return { itemId, item, by: null, at: null, action: null };
    const log = await this.audit.list(access.context, { target: item.targetId, limit: 20 });
    const entry =
      log.items.find((e) => e.action.startsWith('review.') && (e.after as { itemId?: string } | null)?.itemId === itemId) ??
      (item.resolution === 'target_deleted' ? log.items.find((e) => e.action === 'post.deleted' || e.action === 'thread.deleted') : undefined);
    return {
      itemId,
      item,
      by: entry?.actor ?? null,
      at: item.resolvedAt ?? entry?.createdAt ?? null,
      action: item.resolution ? (RESOLUTION_LABELS[item.resolution] ?? item.resolution) : null,
    };
  }

  private async render(
    reply: FastifyReply,
    access: StaffPageAccess,
    which: Which,
    query: Record<string, unknown>,
    extra: { conflict?: Conflict; form?: ItemFormState } = {},
    status = 200,
  ) {
    const input = which === 'queued' ? { cursor: query.cursor, type: 'queued_post' } : { cursor: query.cursor, type: query.type || undefined, status: query.status || undefined };
    const { value, errors } = await validateWith(ReviewQueueQueryDto, input);
    if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })), 'The page link is not valid');
    const { community, context, viewer } = access;
    const page = await this.review.queue(context, value);
    const shown = extra.conflict?.item ? [...page.items, extra.conflict.item] : page.items;
    const reporters = shown.flatMap((i) => i.reports.map((r) => r.reporter.id));
    const trust = (await this.policy.trustOf(context.id, reporters)) ?? new Map();
    const resolvedId = typeof query.resolved === 'string' && UUID.test(query.resolved) ? query.resolved : null;
    const resolved = resolvedId && !extra.conflict ? await this.review.item(context, resolvedId) : null;
    const base = `/c/${community.slug}/mod/${which}`;
    const filters = new URLSearchParams();
    if (which === 'review' && value.type) filters.set('type', value.type);
    if (which === 'review' && value.status) filters.set('status', value.status);
    const link = (cursor?: string) => {
      const params = new URLSearchParams(filters);
      if (cursor) params.set('cursor', cursor);
      const q = params.toString();
      return q ? `${base}?${q}` : base;
    };
    const html = this.views.page(
      `staff/${which}`,
      { title: `${which === 'review' ? 'Review queue' : 'Queued posts'} · ${community.name}`, canonicalPath: base, community, noindex: true },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, `mod/${which}`),
        items: page.items,
        nextUrl: page.nextCursor ? link(page.nextCursor) : null,
        firstUrl: value.cursor ? link() : null,
        filter: { type: value.type ?? '', status: value.status ?? 'open', cursor: value.cursor ?? '' },
        types: ITEM_TYPES.map((t) => ({ value: t, label: ITEM_TYPE_LABELS[t] })),
        resolved,
        conflict: extra.conflict ?? null,
        form: extra.form ?? null,
        csrfField: CSRF_FIELD,
        trustOf: (userId: string) => TRUST_LABELS[trust.get(userId) ?? ''] ?? 'unknown',
        typeLabels: ITEM_TYPE_LABELS,
        statusLabels: STATUS_LABELS,
        reasonLabels: REASON_LABELS,
        resolutionLabels: RESOLUTION_LABELS,
        postUrl: (target: ReviewItemView['target']) => (target.thread && target.post ? `${threadPath(target.thread)}#post-${target.post.id}` : null),
        ...sanctionChoices(),
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}
