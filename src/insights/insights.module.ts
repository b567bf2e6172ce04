import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { QaModule } from '../qa/qa.module';
import { StoreModule } from '../store/store.module';
import { ApplyRepository } from './apply.repository';
import { DashboardService } from './dashboard.service';
import { InsightsClock } from './insights.clock';
import { InsightsConsumer } from './insights.consumer';
import { InsightsController } from './insights.controller';
import { InsightsRepository } from './insights.repository';
import { ProfilesService } from './profiles.service';
import { RebuildService } from './rebuild.service';
import { SatisfactionService } from './satisfaction.service';
import { SegmentsService } from './segments.service';

/**
 * Insights (issue 17): engagement profiles, segments and churn risk, the community dashboard,
 * satisfaction ratings. Everything but the ratings is derived from outbox events (rebuildable);
 * the other modules' numbers (Q&A and support response times, store links) come from their services.
 */
@Module({
  imports: [CommunitiesModule, IdentityModule, QaModule, ChatModule, StoreModule],
  controllers: [InsightsController],
  providers: [InsightsClock, ApplyRepository, InsightsRepository, InsightsConsumer, SegmentsService, ProfilesService, DashboardService, SatisfactionService, RebuildService],
  // The staff dashboard page (web/staff) shows what GET .../insights answers.
  exports: [ProfilesService, DashboardService],
})
export class InsightsModule {}
