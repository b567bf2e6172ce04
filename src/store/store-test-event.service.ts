import { Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { AppError } from '../core/errors/app-error';
import { EventsService } from '../core/events/events.service';
import { DeliveriesRepository } from './deliveries.repository';
import { toDeliveryView } from './deliveries.service';
import { DeliveryView } from './dto/store.dto';
import { StoreErrors } from './store.errors';
import { StoreRepository } from './store.repository';
import { WebhookSender } from './webhook-sender';
import { WebhookSettings } from './webhook-settings';

/**
 * "Send a test event" (issue 24): a `store.test` domain event and, in the same transaction, its
 * delivery row, so the ordinary sender signs and sends it (same signing, retries, delivery log and
 * replay as any other event). It goes to the connection whatever event types it selected; the
 * outbox consumer never sends `store.test` itself (webhook-events.ts: 'never').
 */
@Injectable()
export class StoreTestEventService {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly store: StoreRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly sender: WebhookSender,
    private readonly settings: WebhookSettings,
  ) {}

  async send(actor: Actor, community: CommunityContext): Promise<DeliveryView> {
    const connection = await this.store.connection(community.id);
    if (!connection) throw StoreErrors.notConnected();
    if (connection.disabled_at) {
      throw new AppError('STORE_CONNECTION_DISABLED', 409, 'The connection is disabled (the store answered 410 Gone); save it again to enable it');
    }
    const now = this.settings.now();
    const deliveryId = await this.db.transaction(async () => {
      const data = { communityId: community.id, requestedBy: actor.userId };
      const eventId = await this.events.record('store.test', data, community.id);
      const body = JSON.stringify({ type: 'store.test', timestamp: now.toISOString(), data: { ...data, userId: actor.userId, test: true } });
      await this.deliveries.insert([{ communityId: community.id, eventId, type: 'store.test', body, createdAt: now, now }]);
      const [row] = await this.db.query<{ id: string }>('SELECT id FROM store_deliveries WHERE community_id = $1 AND event_id = $2', [community.id, eventId]);
      this.db.afterCommit(() => this.sender.wake());
      return row.id;
    });
    const row = (await this.deliveries.get(deliveryId))!;
    return toDeliveryView(row, (await this.deliveries.attempts([row.id])).get(row.id) ?? []);
  }
}
