import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CommunityContext } from '../core/auth/actor';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity } from '../core/auth/decorators';
import { DeliveryView } from './dto/store.dto';
import { StoreTestEventService } from './store-test-event.service';

@ApiTags('store')
@Controller()
export class StoreTestEventController {
  constructor(private readonly testEvents: StoreTestEventService) {}

  @Post('communities/:slug/store/test-event')
  @HttpCode(202)
  @CommunityRole('admin')
  @ApiAcceptedResponse({
    type: DeliveryView,
    description: 'Admin: queues a signed `store.test` webhook {type, timestamp, data: {communityId, requestedBy, userId, test: true}} to the connection, whatever its event types; it shows in the delivery log. 404 STORE_NOT_CONNECTED',
  })
  @ApiConflictResponse({ description: 'STORE_CONNECTION_DISABLED: the store answered 410 Gone; save the connection again first' })
  send(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext): Promise<DeliveryView> {
    return this.testEvents.send(actor, community);
  }
}
