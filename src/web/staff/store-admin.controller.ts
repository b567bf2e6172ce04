import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { IdParamPipe } from '../../core/http/id-param.pipe';
import { DeliveriesService } from '../../store/deliveries.service';
import { DeliveriesQueryDto, DeliveryView, PutStoreDto, RetryFailedDto, StoreConnectionView } from '../../store/dto/store.dto';
import { StoreTestEventService } from '../../store/store-test-event.service';
import { StoreService } from '../../store/store.service';
import { DEFAULT_WEBHOOK_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from '../../store/webhook-events';
import { FieldErrors, fieldErrors, Page, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { readAdminForm } from './loyalty-codes-upload';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

const DELIVERIES_PER_PAGE = 20;
const STATUSES = [
  { value: 'pending', label: 'Pending' },
  { value: 'delivered', label: 'Delivered' },
  { value: 'failed', label: 'Failed' },
];
/** "Send the failed ones again" of the last …: RetryFailedDto's `since`. */
const REPLAY_PERIODS: Record<string, { label: string; ms: number }> = {
  hour: { label: 'the last hour', ms: 3_600_000 },
  day: { label: 'the last 24 hours', ms: 24 * 3_600_000 },
  week: { label: 'the last 7 days', ms: 7 * 24 * 3_600_000 },
  month: { label: 'the last 30 days', ms: 30 * 24 * 3_600_000 },
};
const NOTICES: Record<string, string> = {
  saved: 'The store connection is saved.',
  test: 'A test event is on its way: it shows in the delivery log below.',
  retry: 'The delivery is being sent again (same webhook-id, a new signature).',
};

interface PageState {
  form?: { values: { webhookUrl: string; events: string[] }; errors: FieldErrors; message?: string };
  secrets?: StoreConnectionView;
  notice?: string;
  error?: string;
}

/**
 * The admin's store page (issue 24): the connection (webhook URL and event types), its three secrets
 * shown once right after they are made (connect, rotate: in that answer only, never cached), the
 * delivery log with a retry per delivery and a replay of the failed ones, and a test event. Each
 * form calls the service of its API route (PUT /store, POST /store/rotate-secrets, GET
 * /store/deliveries, POST /store/deliveries/:id/retry, POST /store/deliveries/retry-failed,
 * POST /store/test-event).
 */
@Controller()
@UseFilters(WebErrorFilter)
export class StoreAdminController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly store: StoreService,
    private readonly deliveries: DeliveriesService,
    private readonly testEvents: StoreTestEventService,
  ) {}

  @Get('c/:slug/admin/store')
  @Page()
  async page(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const access = await this.access.require(request, reply, slug, 'admin');
    let notice: string | undefined;
    if (typeof query.done === 'string') notice = NOTICES[query.done];
    if (query.done === 'replayed') notice = `${Number(query.n) || 0} failed deliveries are being sent again.`;
    return this.render(reply, access, query, { notice }, 200);
  }

  @Post('c/:slug/admin/store')
  @Page({ guestCacheEffect: 'none' })
  async save(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readAdminForm(request, { maxFields: WEBHOOK_EVENT_TYPES.length + 4 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    const values = { webhookUrl: (form.fields.webhookUrl ?? '').trim(), events: form.lists.events ?? [] };
    const back = (errors: FieldErrors, status: number, message: string) => this.render(reply, access, {}, { form: { values, errors, message } }, status);
    const { value, errors } = await validateWith(PutStoreDto, values);
    if (errors) return back(readable(errors), 400, 'Please correct the fields marked below.');
    let saved: StoreConnectionView;
    try {
      saved = await this.store.put(access.context, value);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return back(readable(fieldErrors(err.errors)), err.status, err.detail);
    }
    if (saved.webhookSecret) return this.render(reply, access, {}, { secrets: saved, notice: 'The store is connected.' }, 200);
    return reply.redirect(`/c/${encodeURIComponent(slug)}/admin/store?done=saved`, 303);
  }

  /** New secrets, shown in this answer only; the previous ones keep working for 24 h. */
  @Post('c/:slug/admin/store/rotate')
  @Page({ guestCacheEffect: 'none' })
  async rotate(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readAdminForm(request, { maxFields: 2 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    const rotated = await this.store.rotate(access.context);
    return this.render(reply, access, {}, { secrets: rotated, notice: 'New secrets are made. The previous ones keep working for 24 hours.' }, 200);
  }

  @Post('c/:slug/admin/store/test-event')
  @Page({ guestCacheEffect: 'none' })
  async testEvent(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readAdminForm(request, { maxFields: 2 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    try {
      await this.testEvents.send(access.viewer.actor, access.context);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      return this.render(reply, access, {}, { error: err.detail }, err.status);
    }
    return reply.redirect(`/c/${encodeURIComponent(slug)}/admin/store?done=test#deliveries`, 303);
  }

  @Post('c/:slug/admin/store/deliveries/:deliveryId/retry')
  @Page({ guestCacheEffect: 'none' })
  async retry(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('deliveryId', new IdParamPipe('Delivery')) deliveryId: string) {
    const form = await readAdminForm(request, { maxFields: 2 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    await this.deliveries.retry(access.viewer.actor, deliveryId);
    return reply.redirect(`/c/${encodeURIComponent(slug)}/admin/store?done=retry#deliveries`, 303);
  }

  @Post('c/:slug/admin/store/deliveries/retry-failed')
  @Page({ guestCacheEffect: 'none' })
  async retryFailed(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readAdminForm(request, { maxFields: 2 });
    const access = await this.access.requireForm(request, reply, slug, 'admin', form.fields[CSRF_FIELD]);
    const period = REPLAY_PERIODS[form.fields.period ?? ''];
    if (!period) return this.render(reply, access, {}, { error: 'Choose how far back to send the failed deliveries again' }, 400);
    const { value, errors } = await validateWith(RetryFailedDto, { since: new Date(Date.now() - period.ms).toISOString() });
    if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })));
    const { replayed } = await this.deliveries.retryFailed(access.context, value.since);
    return reply.redirect(`/c/${encodeURIComponent(slug)}/admin/store?done=replayed&n=${replayed}#deliveries`, 303);
  }

  private async render(reply: FastifyReply, access: StaffPageAccess, query: Record<string, unknown>, state: PageState, status: number) {
    const { viewer, context, community } = access;
    const filter = { status: query.status || undefined, type: query.type || undefined, cursor: query.cursor || undefined };
    const checked = await validateWith(DeliveriesQueryDto, { ...filter, limit: DELIVERIES_PER_PAGE });
    if (checked.errors) throw CommonErrors.validation(Object.entries(checked.errors).map(([field, message]) => ({ field, message })), 'That filter of the delivery log is not valid');
    let connection: StoreConnectionView | null = null;
    try {
      connection = await this.store.get(context);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'STORE_NOT_CONNECTED') throw err;
    }
    const log = connection ? await this.deliveries.list(context, checked.value) : { items: [], nextCursor: null };
    const base = `/c/${community.slug}/admin/store`;
    const filterQuery = (extra: Record<string, string>) => {
      const params = new URLSearchParams();
      if (checked.value.status) params.set('status', checked.value.status);
      if (checked.value.type) params.set('type', checked.value.type);
      for (const [k, v] of Object.entries(extra)) params.set(k, v);
      const s = params.toString();
      return `${base}${s ? `?${s}` : ''}#deliveries`;
    };
    const selected = state.form?.values.events ?? connection?.events ?? [...DEFAULT_WEBHOOK_EVENT_TYPES];
    const html = this.views.page(
      'staff/store',
      { title: `Store · ${community.name}`, canonicalPath: base, community, noindex: true },
      viewer,
      {
        community,
        staffNav: staffNav(community.slug, context.role!, 'admin/store'),
        csrfField: CSRF_FIELD,
        connection,
        secrets: state.secrets ?? null,
        notice: state.notice ?? null,
        error: state.error ?? null,
        form: {
          values: { webhookUrl: state.form?.values.webhookUrl ?? connection?.webhookUrl ?? '' },
          errors: state.form?.errors ?? {},
          message: state.form?.message ?? null,
        },
        eventTypes: WEBHOOK_EVENT_TYPES.map((type) => ({ type, checked: selected.includes(type), byDefault: DEFAULT_WEBHOOK_EVENT_TYPES.includes(type) })),
        statuses: STATUSES,
        filter: { status: checked.value.status ?? '', type: checked.value.type ?? '' },
        deliveries: log.items.map(toRow),
        nextUrl: log.nextCursor ? filterQuery({ cursor: log.nextCursor }) : null,
        firstUrl: checked.value.cursor ? filterQuery({}) : null,
        periods: Object.entries(REPLAY_PERIODS).map(([value, p]) => ({ value, label: p.label })),
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}

/** A delivery as a row of the log: its last attempt's outcome in words. */
function toRow(d: DeliveryView) {
  const last = d.attempts[d.attempts.length - 1];
  let lastResult = 'Not tried yet';
  if (last) {
    const code = last.statusCode === null ? 'No answer' : `HTTP ${last.statusCode}`;
    lastResult = last.error ? `${code}: ${last.error}` : code;
  }
  return { ...d, lastResult, lastAt: last?.at ?? null };
}

function readable(errors: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const [field, message] of Object.entries(errors)) {
    if (!message.startsWith(`${field} `)) out[field] = message;
    else out[field] = message.charAt(field.length + 1).toUpperCase() + message.slice(field.length + 2);
  }
  return out;
}
