import { Module } from '@nestjs/common';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { ThreadsModule } from '../threads/threads.module';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveriesService } from './deliveries.service';
import { InboundService } from './inbound.service';
import { RawBodyCapture } from './raw-body';
import { SsoService } from './sso.service';
import { StoreInboundController } from './store-inbound.controller';
import { StoreController } from './store.controller';
import { StoreRepository } from './store.repository';
import { StoreService } from './store.service';
import { StoreTestEventController } from './store-test-event.controller';
import { StoreTestEventService } from './store-test-event.service';
import { WebhookConsumer } from './webhook.consumer';
import { WebhookSender } from './webhook-sender';
import { WebhookSettings } from './webhook-settings';

/**
 * The bridge to the store (issue 16): signed webhooks out (an outbox consumer records deliveries, a
 * sender sends them), signed events in, single sign-on, verified buyers (through threads'
 * VerifiedBuyersService) and reusable photos.
 */
@Module({
  imports: [CommunitiesModule, IdentityModule, ThreadsModule],
  controllers: [StoreController, StoreInboundController, StoreTestEventController],
  providers: [
    WebhookSettings, StoreRepository, DeliveriesRepository, StoreService, DeliveriesService, InboundService, SsoService,
    WebhookSender, WebhookConsumer, RawBodyCapture, StoreTestEventService,
  ],
  // The delivery log and the test event also for the admin's store page (issue 24).
  exports: [StoreService, DeliveriesService, StoreTestEventService, SsoService],
})
export class StoreModule {}
