import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, CommunityContext } from '../core/auth/actor';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity } from '../core/auth/decorators';
import { GuestCacheEffect } from '../core/http/guest-cache';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page } from '../core/pagination/pagination';
import { PostView } from '../threads/dto/threads.dto';
import { AuditService } from './audit.service';
import { ContentActionsService } from './content-actions.service';
import { CreateReportDto, CreateSanctionDto, AuditLogQueryDto, ReviewQueueQueryDto, ResolveDto, ModerationRulesDto } from './dto/moderation.dto';
import { AuditEntryView, AuditPageView, ReportView, ReviewItemPageView, ReviewItemView, ModerationRulesView, SanctionPageView, SanctionView } from './dto/views.dto';
import { ReportsService } from './reports.service';
import { ReviewService } from './review.service';
import { RulesService } from './rules.service';
import { SanctionsService } from './sanctions.service';

const PostId = () => Param('postId', new IdParamPipe('Post'));

@ApiTags('moderation')
@Controller()
export class ModerationController {
  constructor(
    private readonly reports: ReportsService,
    private readonly review: ReviewService,
    private readonly sanctions: SanctionsService,
    private readonly rules: RulesService,
    private readonly audit: AuditService,
    private readonly actions: ContentActionsService,
  ) {}

  @Post('reports')
  @GuestCacheEffect('events') // an auto-hide records post.hidden, which names the thread and board
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: ReportView, description: 'Reported' })
  @ApiOkResponse({ type: ReportView, description: 'The caller already has an open report on this target: that one' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: at most 20 reports a day' })
  async report(@CurrentActor() actor: Actor, @Body() dto: CreateReportDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<ReportView> {
    const { report, created } = await this.reports.create(actor, dto);
    reply.status(created ? 201 : 200);
    return report;
  }

  @Get('communities/:slug/moderation/queue')
  @CommunityRole('moderator')
  @ApiOkResponse({ type: ReviewItemPageView, description: 'Highest score first' })
  queue(@CurrentCommunity() community: CommunityContext, @Query() query: ReviewQueueQueryDto): Promise<Page<ReviewItemView>> {
    return this.review.queue(community, query);
  }

  @Post('moderation/items/:itemId/resolve')
  @GuestCacheEffect('events') // hiding, restoring, approving and deleting record events that name the thread and board
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ReviewItemView, description: 'Moderators of the item\'s community' })
  @ApiConflictResponse({ description: 'REVIEW_ITEM_CHANGED: resolved already, or changed since the version sent' })
  resolve(@CurrentActor() actor: Actor, @Param('itemId', new IdParamPipe('Review item')) itemId: string, @Body() dto: ResolveDto): Promise<ReviewItemView> {
    return this.review.resolve(actor, itemId, dto);
  }

  @Post('communities/:slug/sanctions')
  @GuestCacheEffect('none')
  @CommunityRole('moderator')
  @ApiCreatedResponse({ type: SanctionView })
  sanction(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Body() dto: CreateSanctionDto): Promise<SanctionView> {
    const { userId, ...input } = dto;
    return this.sanctions.create(actor, community, userId, input);
  }

  @Get('communities/:slug/members/:userId/sanctions')
  @CommunityRole('moderator')
  @ApiOkResponse({ type: SanctionPageView, description: "The member's sanctions here, newest first (at most 100)" })
  async memberSanctions(
    @CurrentCommunity() community: CommunityContext,
    @Param('userId', new IdParamPipe('User')) userId: string,
  ): Promise<{ items: SanctionView[]; nextCursor: null }> {
    return { items: await this.sanctions.listFor(community, userId), nextCursor: null };
  }

  @Delete('sanctions/:sanctionId')
  @GuestCacheEffect('none')
  @ApiBearerAuth()
  @ApiOkResponse({ type: SanctionView, description: 'Lifted early (moderators of its community)' })
  @ApiConflictResponse({ description: 'SANCTION_NOT_ACTIVE' })
  lift(@CurrentActor() actor: Actor, @Param('sanctionId', new IdParamPipe('Sanction')) sanctionId: string): Promise<SanctionView> {
    return this.sanctions.lift(actor, sanctionId);
  }

  @Get('communities/:slug/moderation/log')
  @CommunityRole('moderator')
  @ApiOkResponse({ type: AuditPageView, description: 'Newest first; append-only' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: a bad filter (unknown targetType, a time that is no ISO 8601 instant, from after to); INVALID_CURSOR' })
  log(@CurrentCommunity() community: CommunityContext, @Query() query: AuditLogQueryDto): Promise<Page<AuditEntryView>> {
    return this.audit.list(community, query);
  }

  @Get('communities/:slug/moderation/rules')
  @CommunityRole('admin')
  @ApiOkResponse({ type: ModerationRulesView })
  getRules(@CurrentCommunity() community: CommunityContext): Promise<ModerationRulesView> {
    return this.rules.get(community.id);
  }

  @Put('communities/:slug/moderation/rules')
  @GuestCacheEffect('none')
  @CommunityRole('admin')
  @ApiOkResponse({ type: ModerationRulesView, description: 'Replaces the rules' })
  putRules(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Body() dto: ModerationRulesDto): Promise<ModerationRulesView> {
    return this.rules.put(actor, community, dto);
  }

  @Put('posts/:postId/hidden')
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiOkResponse({ type: PostView, description: 'Moderator: hides the post from everyone but its author and moderators' })
  hide(@CurrentActor() actor: Actor, @PostId() postId: string): Promise<PostView> {
    return this.actions.setHidden(actor, postId, true);
  }

  @Delete('posts/:postId/hidden')
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiOkResponse({ type: PostView, description: 'Moderator: shows the post again (a post held for review is approved)' })
  restore(@CurrentActor() actor: Actor, @PostId() postId: string): Promise<PostView> {
    return this.actions.setHidden(actor, postId, false);
  }
}
