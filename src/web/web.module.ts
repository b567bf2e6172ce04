import { Module } from '@nestjs/common';
import { AccountDataModule } from '../account-data/account-data.module';
import { BoardsModule } from '../boards/boards.module';
import { ChatModule } from '../chat/chat.module';
import { CommunitiesModule } from '../communities/communities.module';
import { CommunityLookModule } from '../communities/community-look.module';
import { IdentityModule } from '../identity/identity.module';
import { LoyaltyModule } from '../loyalty/loyalty.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { QaModule } from '../qa/qa.module';
import { SearchModule } from '../search/search.module';
import { StoreModule } from '../store/store.module';
import { ThreadsModule } from '../threads/threads.module';
import { AccountController } from './account.controller';
import { AccountPagesController } from './account-pages.controller';
import { AskController } from './ask.controller';
import { AssetsController } from './assets.controller';
import { ChatPagesController } from './chat-pages.controller';
import { ChatPages } from './chat-pages';
import { LookCssController } from './look-css.controller';
import { MediaController } from './media.controller';
import { NotificationPagesController } from './notification-pages.controller';
import { PagesController } from './pages.controller';
import { PhotoUploadController } from './photo-upload.controller';
import { PointsPagesController } from './points-pages.controller';
import { PostingController } from './posting.controller';
import { SettingsPagesController } from './settings-pages.controller';
import { SsoPageController } from './sso-page.controller';
import { ThreadPages } from './thread-pages';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';
import { WebSessionService } from './web-session.service';

/**
 * The customers' web pages (issue 23): server-rendered HTML from the same app, calling the same
 * services as the API. See docs/readme/web.md.
 */
@Module({
  imports: [IdentityModule, CommunitiesModule, BoardsModule, ThreadsModule, SearchModule, LoyaltyModule, NotificationsModule, ProfilesModule, AccountDataModule, QaModule, ChatModule, CommunityLookModule, StoreModule],
  controllers: [PagesController, AccountController, PostingController, AssetsController, PointsPagesController, NotificationPagesController, AccountPagesController, SettingsPagesController, AskController, PhotoUploadController, ChatPagesController, LookCssController, SsoPageController, MediaController],
  providers: [Views, WebSessionService, ThreadPages, WebErrorFilter, ChatPages],
  // The staff pages (web/staff) use the same views, sessions and error pages.
  exports: [Views, WebSessionService, WebErrorFilter, ThreadPages],
})
export class WebModule {}
