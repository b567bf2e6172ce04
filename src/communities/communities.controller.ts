import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity } from '../core/auth/decorators';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page } from '../core/pagination/pagination';
import { CommunitiesService } from './communities.service';
import { CommunitySettings, CommunitySettingsView, UpdateCommunitySettingsDto } from './community-settings';
import { CommunityView, CreateCommunityDto, ListMembersQueryDto, MembershipPageView, MembershipView, SetRoleDto } from './dto/communities.dto';
import { GuestCacheable, GuestCacheEffect } from '../core/http/guest-cache';

@ApiTags('communities')
@Controller('communities')
export class CommunitiesController {
  constructor(private readonly communities: CommunitiesService) {}

  @Post()
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: CommunityView })
  @ApiForbiddenResponse({ description: 'Only a platform admin can create communities' })
  @ApiConflictResponse({ description: 'SLUG_TAKEN' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateCommunityDto): Promise<CommunityView> {
    return this.communities.create(actor, dto);
  }

  @Public()
  @GuestCacheable()
  @Get(':slug')
  @ApiOkResponse({ type: CommunityView })
  get(@Param('slug') slug: string): Promise<CommunityView> {
    return this.communities.getBySlug(slug);
  }

  @Post(':slug/join')
  @GuestCacheEffect('none')
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: MembershipView, description: 'Joined as a member' })
  @ApiOkResponse({ type: MembershipView, description: 'Already a member: the existing membership' })
  async join(@CurrentActor() actor: Actor, @Param('slug') slug: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<MembershipView> {
    const { membership, created } = await this.communities.join(actor, slug);
    reply.status(created ? 201 : 200);
    return membership;
  }

  @Get(':slug/members')
  @CommunityRole('member')
  @ApiOkResponse({ type: MembershipPageView, description: 'Members in order of joining; visible to the community\'s members' })
  members(@CurrentCommunity() community: CommunityContext, @Query() query: ListMembersQueryDto): Promise<Page<MembershipView>> {
    return this.communities.listMembers(community, query);
  }

  @Put(':slug/members/:userId/role')
  @GuestCacheEffect('none')
  @CommunityRole('admin')
  @ApiOkResponse({ type: MembershipView })
  @ApiConflictResponse({ description: 'LAST_ADMIN: the last admin cannot be demoted' })
  setRole(
    @CurrentActor() actor: Actor,
    @CurrentCommunity() community: CommunityContext,
    @Param('userId', new IdParamPipe('User')) userId: string,
    @Body() dto: SetRoleDto,
  ): Promise<MembershipView> {
    return this.communities.setRole(actor, community, userId, dto.role);
  }

  @Get(':slug/settings')
  @CommunityRole('admin')
  @ApiOkResponse({ type: CommunitySettingsView })
  settings(@CurrentCommunity() community: CommunityContext): Promise<CommunitySettings> {
    return this.communities.getSettings(community.id);
  }

  @Patch(':slug/settings')
  @HttpCode(200)
  @CommunityRole('admin')
  @ApiOkResponse({ type: CommunitySettingsView, description: 'All settings after the change' })
  updateSettings(
    @CurrentActor() actor: Actor,
    @CurrentCommunity() community: CommunityContext,
    @Body() dto: UpdateCommunitySettingsDto,
  ): Promise<CommunitySettings> {
    return this.communities.updateSettings(community.id, dto, actor.userId);
  }
}
