import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { LoyaltyModule } from '../loyalty/loyalty.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ThreadsModule } from '../threads/threads.module';
import { AccountDataController } from './account-data.controller';
import { AccountDataService } from './account-data.service';

/** The member's own data (issue 20): export and account deletion, through the owning modules' services. */
@Module({
  imports: [IdentityModule, CommunitiesModule, ThreadsModule, ChatModule, LoyaltyModule, NotificationsModule],
  controllers: [AccountDataController],
  providers: [AccountDataService],
  exports: [AccountDataService],
})
export class AccountDataModule {}
