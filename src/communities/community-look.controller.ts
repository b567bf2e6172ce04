import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity, OptionalActor } from '../core/auth/decorators';
import { GuestCacheable, GuestCacheEffect } from '../core/http/guest-cache';
import { CommunityLookService } from './community-look.service';
import { LookView, UpdateLookDto } from './dto/community-look.dto';

/** The brand look: anyone who may see the community reads it; its admin changes it. */
@ApiTags('communities')
@Controller('communities')
export class CommunityLookController {
  constructor(private readonly looks: CommunityLookService) {}

  @Public()
  @GuestCacheable()
  @Get(':slug/look')
  @ApiParam({ name: 'slug', description: 'The community\'s slug' })
  @ApiOkResponse({ type: LookView, description: 'The logo, primary colour and custom CSS (defaults: nulls, "" and version 0)' })
  @ApiNotFoundResponse({ description: 'No such community' })
  get(@OptionalActor() actor: Actor | null, @Param('slug') slug: string): Promise<LookView> {
    return this.looks.get(actor, slug);
  }

  // The service announces the change itself (an Invalidation that clears every guest page).
  @Put(':slug/look')
  @GuestCacheEffect('events')
  @CommunityRole('admin')
  @ApiOkResponse({ type: LookView, description: 'The look after the change' })
  @ApiUnprocessableEntityResponse({ description: 'LOOK_REFUSED: a primary colour too light for white text, or custom CSS outside the rules (each problem by field, with its line)' })
  update(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Body() dto: UpdateLookDto): Promise<LookView> {
    return this.looks.update(actor, community, dto);
  }
}
