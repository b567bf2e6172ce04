import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Actor } from '../core/auth/actor';
import { CurrentActor } from '../core/auth/decorators';
import { MeUserView } from '../identity/dto/auth.dto';
import { IdentityService } from '../identity/identity.service';
import { CommunitiesService } from './communities.service';
import { MyMembershipView } from './dto/communities.dto';

class MeView {
  @ApiProperty({ type: MeUserView }) user: MeUserView;
  @ApiProperty({ type: [MyMembershipView] }) memberships: MyMembershipView[];
}

/** `/me` joins the account (identity) with its memberships (communities), so it lives with the module that knows both. */
@ApiTags('auth')
@Controller('me')
export class MeController {
  constructor(
    private readonly identity: IdentityService,
    private readonly communities: CommunitiesService,
  ) {}

  @Get()
  @ApiBearerAuth()
  @ApiOkResponse({ type: MeView })
  async me(@CurrentActor() actor: Actor): Promise<MeView> {
    const [user, memberships] = await Promise.all([this.identity.getMe(actor.userId), this.communities.myMemberships(actor.userId)]);
    return { user, memberships };
  }
}
