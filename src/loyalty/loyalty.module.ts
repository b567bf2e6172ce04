import { Module } from '@nestjs/common';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { LoyaltyClock } from './loyalty.clock';
import { LoyaltyConsumer } from './loyalty.consumer';
import { LoyaltyController } from './loyalty.controller';
import { LoyaltyScheduler } from './loyalty.scheduler';
import { LoyaltyService } from './loyalty.service';
import { RewardsController } from './rewards.controller';
import { RewardsRepository } from './rewards.repository';
import { RewardsService } from './rewards.service';
import { RulesService } from './rules.service';

/** Loyalty points (issue 15): an outbox consumer of content events, the ledger, rewards and redemptions. */
@Module({
  imports: [CommunitiesModule, IdentityModule],
  controllers: [LoyaltyController, RewardsController],
  providers: [LoyaltyClock, LedgerRepository, LedgerService, RulesService, RewardsRepository, RewardsService, LoyaltyService, LoyaltyConsumer, LoyaltyScheduler],
  exports: [LoyaltyService, RewardsService],
})
export class LoyaltyModule {}
