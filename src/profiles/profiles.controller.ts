import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Actor } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CurrentActor, OptionalActor } from '../core/auth/decorators';
import { GuestCacheEffect } from '../core/http/guest-cache';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { MemberProfileView, ProfileMeView, ProfileView, UpdateProfileDto } from './dto/profiles.dto';
import { ProfilesService } from './profiles.service';

@ApiTags('profiles')
@Controller()
export class ProfilesController {
  constructor(private readonly profiles: ProfilesService) {}

  @Patch('me')
  // It publishes its own invalidation (every cached page may show the member's name or avatar).
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiOkResponse({ type: ProfileMeView, description: 'The caller after the change, as GET /me answers' })
  @ApiNotFoundResponse({ description: 'UPLOAD_NOT_FOUND: avatarUploadId is not an upload of the caller' })
  @ApiConflictResponse({ description: 'USERNAME_TAKEN, or USERNAME_CHANGE_TOO_SOON (once every 30 days)' })
  @ApiUnprocessableEntityResponse({ description: 'INVALID_USERNAME, USERNAME_RESERVED' })
  update(@CurrentActor() actor: Actor, @Body() dto: UpdateProfileDto): Promise<ProfileMeView> {
    return this.profiles.update(actor, dto);
  }

  @Public()
  @Get('users/:idOrUsername')
  @ApiParam({ name: 'idOrUsername', description: 'A user id, or a username in any letter case (a former username nobody holds now leads to its last holder)' })
  @ApiOkResponse({ type: ProfileView })
  @ApiNotFoundResponse({ description: 'Unknown or deleted account' })
  profile(@Param('idOrUsername') idOrUsername: string): Promise<ProfileView> {
    return this.profiles.profile(idOrUsername);
  }

  @Public()
  @Get('communities/:slug/members/:userId')
  @ApiParam({ name: 'slug', description: 'The community\'s slug' })
  @ApiOkResponse({ type: MemberProfileView, description: 'Visible to whoever may see the community' })
  @ApiNotFoundResponse({ description: 'No such community, or the user is not a member of it' })
  @ApiForbiddenResponse({ description: 'BANNED: the caller is banned from the community' })
  member(@OptionalActor() actor: Actor | null, @Param('slug') slug: string, @Param('userId', new IdParamPipe('Member')) userId: string): Promise<MemberProfileView> {
    return this.profiles.member(actor, slug, userId);
  }
}
