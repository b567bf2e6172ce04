import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Db } from '../core/database/db.service';
import { flattenValidationErrors } from '../core/errors/problem';
import { EventsService } from '../core/events/events.service';
import { VerifiedBuyersService } from '../threads/verified-buyers.service';
import { InboundEventType, InboundResultView, OrderPaidData, OrderRefundedData, TierChangedData } from './dto/store.dto';
import { verifySignature } from './signing';
import { StoreErrors } from './store.errors';
import { ConnectionRow, StoreRepository } from './store.repository';
import { WebhookSettings } from './webhook-settings';

export interface InboundHeaders {
  id?: string;
  timestamp?: string;
  signature?: string;
}

const DATA_CLASSES = { 'order.paid': OrderPaidData, 'order.refunded': OrderRefundedData, 'customer.tier_changed': TierChangedData } as const;

/** Secrets that verify now: the current one, and the previous one during a rotation's overlap. */
export function liveSecrets(current: string, previous: string | null, until: Date | null, now: Date): string[] {
  return previous && until && new Date(until) > now ? [current, previous] : [current];
}

/**
 * Events from the store, verified by Standard Webhooks with the inbound secret on the raw body.
 * Each webhook-id takes effect once: its row is written in the same transaction as the effect, so a
 * replay (or a concurrent duplicate) finds it and changes nothing. An event about a customer who has
 * not signed in through the store yet is kept and applied at their first sign-in (`applyPending`).
 */
@Injectable()
export class InboundService {
  constructor(
    private readonly db: Db,
    private readonly repo: StoreRepository,
    private readonly events: EventsService,
    private readonly verifiedBuyers: VerifiedBuyersService,
    private readonly settings: WebhookSettings,
  ) {}

  async receive(communityId: string, headers: InboundHeaders, rawBody: Buffer | undefined, envelope: { type: InboundEventType; data: Record<string, unknown> }): Promise<InboundResultView> {
    const connection = await this.repo.connection(communityId);
    if (!connection) throw StoreErrors.notConnected();
    const webhookId = this.verify(connection, headers, rawBody);
    const data = this.validate(envelope.type, envelope.data);
    return this.db.transaction(async () => {
      const now = this.settings.now();
      if (!(await this.repo.claimInboundId(communityId, webhookId, envelope.type, now))) throw StoreErrors.replayed(webhookId);
      const userId = await this.repo.userOfCustomer(communityId, data.customerId);
      if (!userId) {
        await this.repo.keepPending(communityId, data.customerId, webhookId, envelope.type, data, now);
        return { status: 'pending', webhookId };
      }
      await this.apply(communityId, userId, envelope.type, data);
      return { status: 'applied', webhookId };
    });
  }

  /** Applies the events kept for a customer who just linked (in the sign-in transaction), oldest first. */
  async applyPending(communityId: string, customerId: string, userId: string): Promise<number> {
    const pending = await this.repo.takePending(communityId, customerId);
    for (const p of pending) {
      try {
        await this.db.transaction(() => this.apply(communityId, userId, p.type as InboundEventType, this.validate(p.type as InboundEventType, p.data)));
      } catch {
        // A kept event that no longer applies (a refund of an order never paid here) is dropped, not fatal to the sign-in.
      }
    }
    return pending.length;
  }

  private verify(connection: ConnectionRow, headers: InboundHeaders, rawBody: Buffer | undefined): string {
    const { id, timestamp, signature } = headers;
    if (!id || !timestamp || !signature || id.length > 200 || signature.length > 4000 || !rawBody) throw StoreErrors.missingSignature();
    const now = this.settings.now();
    const secrets = liveSecrets(connection.inbound_secret, connection.previous_inbound_secret, connection.previous_until, now);
    const outcome = verifySignature(secrets, { id, timestamp, signature }, rawBody, Math.floor(now.getTime() / 1000));
    if (outcome === 'bad_signature') throw StoreErrors.badSignature();
    if (outcome === 'stale') throw StoreErrors.staleTimestamp();
    return id;
  }

  private validate(type: InboundEventType, raw: unknown): OrderPaidData & OrderRefundedData & TierChangedData {
    const cls = DATA_CLASSES[type];
    const instance = plainToInstance(cls as new () => object, raw ?? {});
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) throw StoreErrors.badEventData(type, flattenValidationErrors(errors));
    return instance as OrderPaidData & OrderRefundedData & TierChangedData;
  }

  private async apply(communityId: string, userId: string, type: InboundEventType, data: OrderPaidData & OrderRefundedData & TierChangedData): Promise<void> {
    const now = this.settings.now();
    switch (type) {
      case 'order.paid': {
        const items = data.items.map((i) => ({ sku: i.sku, quantity: i.quantity }));
        const inserted = await this.repo.insertOrder(communityId, { orderId: data.orderId, customerId: data.customerId, userId, total: data.total, currency: data.currency, items }, now);
        if (!inserted) return; // the same order sent again under another webhook-id: already counted
        await this.verifiedBuyers.mark(communityId, userId, [...new Set(items.map((i) => i.sku))]);
        await this.events.record('order.paid', { communityId, userId, orderId: data.orderId, total: data.total, currency: data.currency }, communityId);
        return;
      }
      case 'order.refunded': {
        const order = await this.repo.orderForUpdate(communityId, data.orderId);
        if (!order) throw StoreErrors.orderNotFound(data.orderId);
        if (order.customer_id !== data.customerId) throw StoreErrors.orderOfAnotherCustomer(data.orderId);
        if (order.status === 'refunded') return;
        await this.repo.markRefunded(communityId, data.orderId, now);
        const kept = await this.repo.paidSkus(communityId, order.user_id);
        const lost = order.skus.filter((s) => !kept.includes(s));
        await this.verifiedBuyers.unmark(communityId, order.user_id, lost, kept);
        await this.events.record('order.refunded', { communityId, userId: order.user_id, orderId: order.order_id, total: Number(order.total), currency: order.currency }, communityId);
        return;
      }
      case 'customer.tier_changed':
        await this.repo.setTier(communityId, data.customerId, data.tier, now);
        return;
    }
  }
}
