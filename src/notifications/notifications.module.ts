import { Module } from '@nestjs/common';
import { BoardsModule } from '../boards/boards.module';
import { ChatModule } from '../chat/chat.module';
import { CommunitiesModule } from '../communities/communities.module';
import { Db } from '../core/database/db.service';
import { IdentityModule } from '../identity/identity.module';
import { ThreadsModule } from '../threads/threads.module';
import { DigestRepository } from './digest.repository';
import { DigestScheduler } from './digest.scheduler';
import { EmailQueueRepository } from './email-queue.repository';
import { EmailSender } from './email-sender';
import { NotificationsClock } from './notifications.clock';
import { NotificationsConsumer } from './notifications.consumer';
import { NotificationsController } from './notifications.controller';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { loadUnsubscribeKey, UnsubscribeTokens } from './unsubscribe-tokens';

/**
 * Notifications (issue 18): an outbox consumer driven by a table of rules (notification-rules.ts),
 * the in-app list and read state, watch levels, preferences, realtime through chat's Realtime,
 * immediate and digest emails through the core Mailer from a leased queue.
 */
@Module({
  imports: [IdentityModule, CommunitiesModule, BoardsModule, ThreadsModule, ChatModule],
  controllers: [NotificationsController],
  providers: [
    NotificationsClock,
    NotificationsRepository,
    EmailQueueRepository,
    DigestRepository,
    { provide: UnsubscribeTokens, inject: [Db], useFactory: async (db: Db) => new UnsubscribeTokens(await loadUnsubscribeKey(db)) },
    NotificationsService,
    NotificationsConsumer,
    EmailSender,
    DigestScheduler,
  ],
  exports: [NotificationsService],
})
export class NotificationsModule {}
