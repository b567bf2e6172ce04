import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, CommunityContext } from '../core/auth/actor';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity } from '../core/auth/decorators';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { DashboardService } from './dashboard.service';
import { DashboardView, EngagementView, ExportQueryDto, InsightsQueryDto, RateDto, RatingView } from './dto/insights.dto';
import { engagementExport } from './export-stream';
import { ProfilesService } from './profiles.service';
import { SatisfactionService } from './satisfaction.service';

@ApiTags('insights')
@Controller('communities/:slug')
export class InsightsController {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly dashboards: DashboardService,
    private readonly satisfaction: SatisfactionService,
  ) {}

  @Get('members/:userId/engagement')
  @CommunityRole('member')
  @ApiOkResponse({ type: EngagementView, description: 'Staff, or the member themself' })
  @ApiNotFoundResponse({ description: 'No such member, or the caller is another member' })
  engagement(
    @CurrentActor() actor: Actor,
    @CurrentCommunity() community: CommunityContext,
    @Param('userId', new IdParamPipe('Member')) userId: string,
  ): Promise<EngagementView> {
    return this.profiles.engagement(actor, community, userId);
  }

  @Get('engagement/export')
  @CommunityRole('admin')
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({ description: 'One row per member (streamed): NDJSON objects, or RFC 4180 CSV with a header row. `email` only when the community has a store connection' })
  async export(@CurrentCommunity() community: CommunityContext, @Query() query: ExportQueryDto, @Res() reply: FastifyReply): Promise<void> {
    const { headers, body } = engagementExport(this.profiles, community, query);
    await reply.headers(headers).send(body);
  }

  @Get('insights')
  @CommunityRole('staff')
  @ApiOkResponse({ type: DashboardView })
  dashboard(@CurrentCommunity() community: CommunityContext, @Query() query: InsightsQueryDto): Promise<DashboardView> {
    return this.dashboards.dashboard(community, query);
  }

  @Post('satisfaction')
  @CommunityRole('member')
  @ApiCreatedResponse({ type: RatingView, description: 'The asker of an answered question, or the customer of a closed support chat; once (409 ALREADY_RATED)' })
  rate(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Body() dto: RateDto): Promise<RatingView> {
    return this.satisfaction.rate(actor, community, dto);
  }
}
