import { Injectable, OnModuleInit } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { DomainEvent, DomainEventType } from '../core/events/event-types';
import { EventsService } from '../core/events/events.service';
import { DeliveriesRepository } from './deliveries.repository';
import { StoreRepository } from './store.repository';
import { isSendable, memberOf, WEBHOOK_EVENT_TYPES } from './webhook-events';
import { WebhookSender } from './webhook-sender';
import { WebhookSettings } from './webhook-settings';

/**
 * The outbox consumer: each committed event of a selected type becomes a delivery row, in the
 * consumer's own transaction (the outbox hands each event over once), and nothing else: the sender
 * does the network work after that transaction commits. The body is fixed here, so every attempt
 * and replay sends the same bytes under the same webhook-id.
 */
@Injectable()
export class WebhookConsumer implements OnModuleInit {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly store: StoreRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly sender: WebhookSender,
    private readonly settings: WebhookSettings,
  ) {}

  /**
   * The event types a store may select (webhook-events.ts: a new type is placed there, nothing else),
   * and user.deleted (its store customer ids are forgotten): other events get no delivery row for it.
   */
  onModuleInit() {
    const types = [...WEBHOOK_EVENT_TYPES, 'user.deleted'] as DomainEventType[];
    this.events.register({ name: 'store-webhooks', types, handle: (event) => this.handleBatch([event]), handleBatch: (events) => this.handleBatch(events) });
  }

  /** A batch of events: one lookup of the connections, one of the members' store ids, one insert. */
  async handleBatch(events: DomainEvent[]): Promise<void> {
    // A deleted account (issue 20): the store customer ids linked to it are forgotten.
    for (const e of events) if (e.type === 'user.deleted') await this.store.unlinkUser((e as DomainEvent<'user.deleted'>).data.userId);
    const sendable = events.filter((e) => e.communityId && isSendable(e.type));
    if (!sendable.length) return;
    const connections = await this.store.connections([...new Set(sendable.map((e) => e.communityId!))]);
    const wanted = sendable.filter((e) => {
      const c = connections.get(e.communityId!);
      return c && !c.disabled_at && c.events.includes(e.type);
    });
    if (!wanted.length) return;
    const members = wanted.map((e) => ({ event: e, member: memberOf(e) }));
    const customers = await this.store.customersOfUsers(
      members.filter((m) => m.member).map((m) => ({ communityId: m.event.communityId!, userId: m.member! })),
    );
    await this.deliveries.insert(
      members.map(({ event, member }) => {
        const storeCustomerId = member ? customers.get(`${event.communityId}:${member}`) : undefined;
        const data: Record<string, unknown> = { ...(event.data as object) };
        if (member) data.userId = member;
        if (storeCustomerId) data.storeCustomerId = storeCustomerId;
        const body = JSON.stringify({ type: event.type, timestamp: event.createdAt.toISOString(), data });
        return { communityId: event.communityId!, eventId: event.id, type: event.type, body, createdAt: event.createdAt, now: event.createdAt };
      }),
    );
    this.db.afterCommit(() => this.sender.wake());
  }
}
