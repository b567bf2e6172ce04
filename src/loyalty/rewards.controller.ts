import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, CommunityContext } from '../core/auth/actor';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity } from '../core/auth/decorators';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page } from '../core/pagination/pagination';
import {
  AddCodesDto, CodesAddedView, CreateRewardDto, RedeemDto, RedemptionPageView, RedemptionQueryDto, RedemptionResultView, RedemptionView, RewardListQueryDto, RewardPageView, RewardView,
  UpdateRewardDto,
} from './dto/rewards.dto';
import { RewardsService } from './rewards.service';

@ApiTags('loyalty')
@Controller()
export class RewardsController {
  constructor(private readonly rewards: RewardsService) {}

  @Get('communities/:slug/loyalty/rewards')
  @CommunityRole('member')
  @ApiOkResponse({ type: RewardPageView, description: 'Enabled rewards; admins may add ?includeDisabled=true' })
  list(@CurrentCommunity() community: CommunityContext, @Query() query: RewardListQueryDto): Promise<Page<RewardView>> {
    return this.rewards.list(community, query);
  }

  @Patch('communities/:slug/loyalty/rewards/:rewardId')
  @CommunityRole('admin')
  @ApiOkResponse({ type: RewardView, description: 'Admin: changes the name, cost or description, or disables (enabled: false) or enables a reward; fields left out keep their value' })
  update(@CurrentCommunity() community: CommunityContext, @Param('rewardId', new IdParamPipe('Reward')) rewardId: string, @Body() dto: UpdateRewardDto): Promise<RewardView> {
    return this.rewards.update(community, rewardId, dto);
  }

  @Post('communities/:slug/loyalty/rewards')
  @CommunityRole('admin')
  @ApiCreatedResponse({ type: RewardView, description: 'Admin: a reward; its coupon codes come from the store (POST /loyalty/rewards/:rewardId/codes)' })
  create(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Body() dto: CreateRewardDto): Promise<RewardView> {
    return this.rewards.create(actor, community, dto);
  }

  @Post('loyalty/rewards/:rewardId/codes')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: CodesAddedView, description: "Admin of the reward's community: up to 10,000 coupon codes per call; codes it already has are ignored" })
  addCodes(@CurrentActor() actor: Actor, @Param('rewardId', new IdParamPipe('Reward')) rewardId: string, @Body() dto: AddCodesDto): Promise<CodesAddedView> {
    return this.rewards.addCodes(actor, rewardId, dto.codes);
  }

  @Post('communities/:slug/loyalty/redemptions')
  @CommunityRole('member')
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Required (1 to 200 visible ASCII characters), per member, kept 48 h: a repeat answers the first status and body; another body is 422 IDEMPOTENCY_KEY_REUSED' })
  @ApiCreatedResponse({ type: RedemptionResultView, description: 'One coupon code, its cost debited; 409 INSUFFICIENT_POINTS or REWARD_OUT_OF_STOCK' })
  async redeem(
    @CurrentActor() actor: Actor,
    @CurrentCommunity() community: CommunityContext,
    @Body() dto: RedeemDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RedemptionResultView> {
    const answer = await this.rewards.redeem(actor, community, dto.rewardId, key);
    if (answer.replayed) void reply.header('idempotent-replayed', 'true');
    return answer.body as RedemptionResultView;
  }

  @Get('communities/:slug/loyalty/redemptions')
  @CommunityRole('member')
  @ApiOkResponse({ type: RedemptionPageView, description: "The caller's redemptions with their codes, newest first; staff see everyone's (or ?userId=)" })
  redemptions(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Query() query: RedemptionQueryDto): Promise<Page<RedemptionView>> {
    return this.rewards.redemptions(actor, community, query);
  }
}
