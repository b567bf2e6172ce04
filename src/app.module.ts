import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CommunitiesModule } from './communities/communities.module';
import { CommunityLookModule } from './communities/community-look.module';
import { AuthGuard } from './core/auth/auth.guard';
import { CoreModule, CoreRuntime } from './core/core.module';
import { IdentityModule } from './identity/identity.module';
import { LoyaltyModule } from './loyalty/loyalty.module';
import { BoardsModule } from './boards/boards.module';
import { ChatModule } from './chat/chat.module';
import { QaModule } from './qa/qa.module';
import { SearchModule } from './search/search.module';
import { ThreadsModule } from './threads/threads.module';
import { ModerationModule } from './moderation/moderation.module';
import { StoreModule } from './store/store.module';
import { NotificationsModule } from './notifications/notifications.module';
import { AccountDataModule } from './account-data/account-data.module';
import { ProfilesModule } from './profiles/profiles.module';
import { InsightsModule } from './insights/insights.module';
import { StaffPagesModule } from './web/staff/staff-pages.module';
import { WebModule } from './web/web.module';

@Module({})
export class AppModule {
  static forRoot(runtime: CoreRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(runtime),
        IdentityModule,
        CommunitiesModule,
        CommunityLookModule,
        BoardsModule,
        ThreadsModule,
        SearchModule,
        QaModule,
        ChatModule,
        ModerationModule,
        LoyaltyModule,
        StoreModule,
        NotificationsModule,
        AccountDataModule,
        ProfilesModule,
        InsightsModule,
        WebModule,
        StaffPagesModule,
      ],
      providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
    };
  }
}
