import { Module } from '@nestjs/common';
import { BoardsModule } from '../../boards/boards.module';
import { ChatModule } from '../../chat/chat.module';
import { CommunitiesModule } from '../../communities/communities.module';
import { CommunityLookModule } from '../../communities/community-look.module';
import { IdentityModule } from '../../identity/identity.module';
import { SearchModule } from '../../search/search.module';
import { InsightsModule } from '../../insights/insights.module';
import { LoyaltyModule } from '../../loyalty/loyalty.module';
import { ModerationModule } from '../../moderation/moderation.module';
import { QaModule } from '../../qa/qa.module';
import { StoreModule } from '../../store/store.module';
import { ThreadsModule } from '../../threads/threads.module';
import { WebModule } from '../web.module';
import { AuditPageController } from './audit-page.controller';
import { AutomodPageController } from './automod-page.controller';
import { BoardsPageController } from './boards-page.controller';
import { DashboardPageController } from './dashboard-page.controller';
import { ExportPageController } from './export-page.controller';
import { LookPageController } from './look-page.controller';
import { LoyaltyAdminController } from './loyalty-admin.controller';
import { MemberPageController } from './member-page.controller';
import { PlatformAdminController } from './platform-admin.controller';
import { QueuesPageController } from './queues-page.controller';
import { ReviewPageController } from './review-page.controller';
import { RolesPageController } from './roles-page.controller';
import { SanctionsPageController } from './sanctions-page.controller';
import { SettingsPageController } from './settings-page.controller';
import { StaffAccess } from './staff-access';
import { StoreAdminController } from './store-admin.controller';
import { ThreadToolsController } from './thread-tools.controller';

/**
 * The pages of brand staff, moderators and admins (issue 24): the dashboard, the work queues, the
 * moderator pages and the admin pages. Same sessions, views and error pages as the customers'
 * pages (WebModule); every page checks its role on the server (StaffAccess).
 */
@Module({
  imports: [WebModule, CommunitiesModule, BoardsModule, IdentityModule, ModerationModule, QaModule, ThreadsModule, InsightsModule, SearchModule, ChatModule, LoyaltyModule, StoreModule, CommunityLookModule],
  controllers: [
    // staff
    DashboardPageController,
    QueuesPageController,
    MemberPageController,
    // moderators
    ReviewPageController,
    SanctionsPageController,
    AuditPageController,
    ThreadToolsController,
    // admins
    BoardsPageController,
    RolesPageController,
    SettingsPageController,
    AutomodPageController,
    LookPageController,
    LoyaltyAdminController,
    StoreAdminController,
    ExportPageController,
    PlatformAdminController,
  ],
  providers: [StaffAccess],
})
export class StaffPagesModule {}
