import { Controller, Get, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '../../core/errors/app-error';
import { IdentityService } from '../../identity/identity.service';
import { AuditService } from '../../moderation/audit.service';
import { AUDIT_TARGET_TYPES, AuditLogQueryDto } from '../../moderation/dto/moderation.dto';
import { AuditEntryView } from '../../moderation/dto/views.dto';
import { FieldErrors, Page, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { StaffAccess, staffNav } from './staff-access';

const PER_PAGE = 50;

/** The actions the log holds (moderation's own and other modules' staff actions), for the filter. */
export const AUDIT_ACTIONS: Array<{ value: string; label: string }> = [
  { value: 'review.dismiss', label: 'Review: dismissed' },
  { value: 'review.approve', label: 'Review: approved' },
  { value: 'review.hide', label: 'Review: hidden' },
  { value: 'review.delete', label: 'Review: deleted' },
  { value: 'review.sanction', label: 'Review: sanctioned' },
  { value: 'post.auto_hidden', label: 'Post hidden by reports' },
  { value: 'post.hidden', label: 'Post hidden' },
  { value: 'post.restored', label: 'Post restored' },
  { value: 'post.approved', label: 'Post approved' },
  { value: 'post.deleted', label: 'Post deleted' },
  { value: 'thread.deleted', label: 'Thread deleted' },
  { value: 'post.edited', label: 'Post edited by staff' },
  { value: 'sanction.created', label: 'Sanction given' },
  { value: 'sanction.lifted', label: 'Sanction lifted' },
  { value: 'thread.pinned', label: 'Thread pinned' },
  { value: 'thread.unpinned', label: 'Thread unpinned' },
  { value: 'thread.locked', label: 'Thread locked' },
  { value: 'thread.unlocked', label: 'Thread unlocked' },
  { value: 'thread.moved', label: 'Thread moved' },
  { value: 'thread.closed_as_duplicate', label: 'Closed as duplicate' },
  { value: 'answer.official', label: 'Official answer marked' },
  { value: 'answer.unofficial', label: 'Official answer unmarked' },
  { value: 'answer.accepted', label: 'Answer accepted by staff' },
  { value: 'faq.added', label: 'Added to the FAQ' },
  { value: 'faq.removed', label: 'Removed from the FAQ' },
  { value: 'member.role_changed', label: 'Role changed' },
  { value: 'settings.changed', label: 'Settings changed' },
  { value: 'rules.changed', label: 'Automod rules changed' },
];
const ACTION_LABELS = Object.fromEntries(AUDIT_ACTIONS.map((a) => [a.value, a.label]));

const TARGET_TYPE_LABELS: Record<(typeof AUDIT_TARGET_TYPES)[number], string> = {
  post: 'Post',
  thread: 'Thread',
  message: 'Chat message',
  user: 'Member',
  community: 'Community',
};
export const AUDIT_TARGET_TYPE_OPTIONS = AUDIT_TARGET_TYPES.map((value) => ({ value, label: TARGET_TYPE_LABELS[value] }));

const DAY_MS = 86_400_000;

/** A date field's YYYY-MM-DD as the start of that UTC day; null when it is no such date (checked without a regular expression). */
export function utcDay(text: string): Date | null {
  if (text.length !== 10 || text[4] !== '-' || text[7] !== '-') return null;
  const at = new Date(`${text}T00:00:00Z`);
  return Number.isFinite(at.getTime()) && at.getUTCFullYear() >= 1970 && at.toISOString().slice(0, 10) === text ? at : null;
}

/**
 * The audit log for moderators, newest first, with the API's filters: who acted (a username here,
 * the API's user id underneath), the action, the target's type and id, and a range of UTC days
 * (from the start of the first day to the end of the last, the API's [from, to)). The log is
 * append-only: the page only reads.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class AuditPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly identity: IdentityService,
    private readonly audit: AuditService,
  ) {}

  @Get('c/:slug/mod/audit')
  @Page()
  async log(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const { community, context, viewer } = await this.access.require(request, reply, slug, 'moderator');
    const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string).trim() : '');
    const filter = {
      actor: text('actor').replace(/^@/, ''),
      action: text('action'),
      targetType: text('targetType'),
      target: text('target'),
      from: text('from'),
      to: text('to'),
    };
    const fieldErrors: FieldErrors = {};
    let actorId: string | undefined;
    if (filter.actor) {
      actorId = filter.actor.length <= 40 ? (await this.identity.usersByHandle([filter.actor])).get(filter.actor.toLowerCase()) : undefined;
      if (!actorId) fieldErrors.actor = 'Nobody has this username';
    }
    const fromDay = filter.from ? utcDay(filter.from) : null;
    const toDay = filter.to ? utcDay(filter.to) : null;
    if (filter.from && !fromDay) fieldErrors.from = 'Enter a date (YYYY-MM-DD), 1970 or later';
    if (filter.to && !toDay) fieldErrors.to = 'Enter a date (YYYY-MM-DD), 1970 or later';
    if (fromDay && toDay && fromDay > toDay) fieldErrors.to = 'The last day is before the first day';
    const { value, errors } = await validateWith(AuditLogQueryDto, {
      actor: actorId,
      action: filter.action || undefined,
      targetType: filter.targetType || undefined,
      target: filter.target || undefined,
      from: fromDay?.toISOString(),
      // The whole last day: up to the start of the next one (the API's `to` is exclusive).
      to: toDay ? new Date(toDay.getTime() + DAY_MS).toISOString() : undefined,
      cursor: query.cursor,
      limit: PER_PAGE,
    });
    if (errors?.cursor) throw CommonErrors.validation([{ field: 'cursor', message: errors.cursor }], 'The page link is not valid');
    if (errors?.action) fieldErrors.action = 'Choose an action from the list';
    if (errors?.targetType) fieldErrors.targetType = 'Choose a target type from the list';
    if (errors?.target) fieldErrors.target = 'An id is at most 64 characters';
    if (errors?.from) fieldErrors.from ??= 'Enter a date (YYYY-MM-DD), 1970 or later';
    if (errors?.to) fieldErrors.to ??= 'Enter a date (YYYY-MM-DD), 1970 or later';
    const bad = Object.keys(fieldErrors).length > 0;
    const page = bad ? { items: [] as AuditEntryView[], nextCursor: null } : await this.audit.list(context, value);
    const targets = await this.identity.getUsers(page.items.flatMap((e) => (e.targetType === 'user' && e.targetId ? [e.targetId] : [])));
    const base = `/c/${community.slug}/mod/audit`;
    const params = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
    const link = (cursor?: string) => {
      const p = new URLSearchParams(params);
      if (cursor) p.set('cursor', cursor);
      return p.size ? `${base}?${p}` : base;
    };
    const html = this.views.page(
      'staff/audit',
      { title: `Audit log · ${community.name}`, canonicalPath: base, community, noindex: true },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'mod/audit'),
        entries: page.items.map((e) => ({ ...e, label: ACTION_LABELS[e.action] ?? e.action, change: change(e), targetUser: e.targetId ? (targets.get(e.targetId) ?? null) : null })),
        filter,
        errors: fieldErrors,
        actions: AUDIT_ACTIONS,
        targetTypes: AUDIT_TARGET_TYPE_OPTIONS,
        filtered: params.size > 0,
        clearUrl: base,
        nextUrl: page.nextCursor ? link(page.nextCursor) : null,
        firstUrl: value.cursor ? link() : null,
      },
    );
    return sendPage(reply, viewer, html, bad ? 422 : 200);
  }
}

/** Before and after as short text (a role, a board, settings), escaped by the template; null when the entry has neither. */
function change(e: AuditEntryView): string | null {
  const show = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v).slice(0, 400));
  const before = show(e.before);
  const after = show(e.after);
  if (!before && !after) return null;
  return [before && `before ${before}`, after && `after ${after}`].filter(Boolean).join(' · ');
}
