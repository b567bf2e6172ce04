import { Controller, Get, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '../../core/errors/app-error';
import { IdentityService } from '../../identity/identity.service';
import { AuditService } from '../../moderation/audit.service';
import { AuditLogQueryDto } from '../../moderation/dto/moderation.dto';
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

/**
 * The audit log for moderators, newest first, with the API's filters: who acted (a username here,
 * the API's user id underneath), the action and the target's id. The log is append-only: the page
 * only reads.
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
    const filter = { actor: text('actor').replace(/^@/, ''), action: text('action'), target: text('target') };
    const fieldErrors: FieldErrors = {};
    let actorId: string | undefined;
    if (filter.actor) {
      actorId = filter.actor.length <= 40 ? (await this.identity.usersByHandle([filter.actor])).get(filter.actor.toLowerCase()) : undefined;
      if (!actorId) fieldErrors.actor = 'Nobody has this username';
    }
    const { value, errors } = await validateWith(AuditLogQueryDto, {
      actor: actorId,
      action: filter.action || undefined,
      target: filter.target || undefined,
      cursor: query.cursor,
      limit: PER_PAGE,
    });
    if (errors?.cursor) throw CommonErrors.validation([{ field: 'cursor', message: errors.cursor }], 'The page link is not valid');
    if (errors?.action) fieldErrors.action = 'Choose an action from the list';
    if (errors?.target) fieldErrors.target = 'An id is at most 64 characters';
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
