import { Body, Controller, Get, Param, Put, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CommunityContext } from '../core/auth/actor';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity } from '../core/auth/decorators';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page, PageQueryDto } from '../core/pagination/pagination';
import {
  AdjustmentDto,
  AdjustmentResultView,
  LedgerEntryPageView,
  LedgerEntryView,
  LeaderboardQueryDto,
  LeaderboardView,
  LoyaltyReconciliationView,
  LoyaltyRulesView,
  LoyaltySummaryView,
  UpdateLoyaltyRulesDto,
} from './dto/loyalty.dto';
import { LoyaltyService } from './loyalty.service';

const UserId = () => Param('userId', new IdParamPipe('Member'));

@ApiTags('loyalty')
@Controller('communities/:slug/loyalty')
export class LoyaltyController {
  constructor(private readonly loyalty: LoyaltyService) {}

  @Get('me')
  @CommunityRole('member')
  @ApiOkResponse({ type: LoyaltySummaryView, description: "The caller's points (entries past their moderation window are approved first)" })
  me(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext): Promise<LoyaltySummaryView> {
    return this.loyalty.summary(community, actor.userId);
  }

  @Get('me/ledger')
  @CommunityRole('member')
  @ApiOkResponse({ type: LedgerEntryPageView, description: "The caller's ledger entries, newest first" })
  myLedger(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Query() query: PageQueryDto): Promise<Page<LedgerEntryView>> {
    return this.loyalty.entries(community, actor.userId, query);
  }

  @Get('members/:userId')
  @CommunityRole('staff')
  @ApiOkResponse({ type: LoyaltySummaryView, description: "Staff: a member's points" })
  member(@CurrentCommunity() community: CommunityContext, @UserId() userId: string): Promise<LoyaltySummaryView> {
    return this.loyalty.memberSummary(community, userId);
  }

  @Get('members/:userId/ledger')
  @CommunityRole('staff')
  @ApiOkResponse({ type: LedgerEntryPageView, description: "Staff: a member's ledger entries, newest first" })
  memberLedger(@CurrentCommunity() community: CommunityContext, @UserId() userId: string, @Query() query: PageQueryDto): Promise<Page<LedgerEntryView>> {
    return this.loyalty.memberEntries(community, userId, query);
  }

  @Get('rules')
  @CommunityRole('admin')
  @ApiOkResponse({ type: LoyaltyRulesView })
  rules(@CurrentCommunity() community: CommunityContext): Promise<LoyaltyRulesView> {
    return this.loyalty.getRules(community);
  }

  @Put('rules')
  @CommunityRole('admin')
  @ApiOkResponse({ type: LoyaltyRulesView, description: 'Fields left out keep their value' })
  updateRules(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Body() dto: UpdateLoyaltyRulesDto): Promise<LoyaltyRulesView> {
    return this.loyalty.updateRules(actor, community, dto);
  }

  @Post('adjustments')
  @CommunityRole('staff')
  @ApiCreatedResponse({ type: AdjustmentResultView, description: "Staff: add or take points (audited; a negative one takes at most the balance); not one's own" })
  adjust(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Body() dto: AdjustmentDto): Promise<AdjustmentResultView> {
    return this.loyalty.adjust(actor, community, dto);
  }

  @Get('leaderboard')
  @CommunityRole('member')
  @ApiOkResponse({ type: LeaderboardView, description: 'Members: the top 100 by points earned in the period (rolling 7 or 30 days, or all time), and the caller\'s rank' })
  leaderboard(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Query() query: LeaderboardQueryDto): Promise<LeaderboardView> {
    return this.loyalty.leaderboard(actor, community, query.period);
  }

  @Get('reconciliation')
  @CommunityRole('admin')
  @ApiOkResponse({ type: LoyaltyReconciliationView, description: 'Checks every account against its entries; drift lists the accounts that do not add up (none expected)' })
  reconciliation(@CurrentCommunity() community: CommunityContext): Promise<LoyaltyReconciliationView> {
    return this.loyalty.reconcile(community);
  }
}
