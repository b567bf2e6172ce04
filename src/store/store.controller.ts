import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CommunityContext } from '../core/auth/actor';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity } from '../core/auth/decorators';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page } from '../core/pagination/pagination';
import { DeliveriesService } from './deliveries.service';
import {
  DeliveriesQueryDto, DeliveryPageView, DeliveryView, PutStoreDto, RetryFailedDto, RetryFailedView, ReusablePhotoPageView, ReusablePhotosQueryDto,
  ReusablePhotoView, StoreConnectionView, StoreMemberView,
} from './dto/store.dto';
import { StoreService } from './store.service';

const DeliveryId = () => Param('deliveryId', new IdParamPipe('Delivery'));
const UserId = () => Param('userId', new IdParamPipe('Member'));

/** The store connection, the delivery log and replays, reusable photos (admin), and a member's store view. */
@ApiTags('store')
@Controller()
export class StoreController {
  constructor(
    private readonly store: StoreService,
    private readonly deliveries: DeliveriesService,
  ) {}

  @Get('communities/:slug/store')
  @CommunityRole('admin')
  @ApiOkResponse({ type: StoreConnectionView, description: 'Admin: the store connection (never the secrets)' })
  get(@CurrentCommunity() community: CommunityContext): Promise<StoreConnectionView> {
    return this.store.get(community);
  }

  @Put('communities/:slug/store')
  @CommunityRole('admin')
  @ApiOkResponse({ type: StoreConnectionView, description: 'Admin: creates or updates the connection; the first answer carries the three secrets, shown only then' })
  put(@CurrentCommunity() community: CommunityContext, @Body() dto: PutStoreDto): Promise<StoreConnectionView> {
    return this.store.put(community, dto);
  }

  @Post('communities/:slug/store/rotate-secrets')
  @HttpCode(200)
  @CommunityRole('admin')
  @ApiOkResponse({ type: StoreConnectionView, description: 'Admin: new secrets (shown once); the old webhook secret signs alongside for 24 h' })
  rotate(@CurrentCommunity() community: CommunityContext): Promise<StoreConnectionView> {
    return this.store.rotate(community);
  }

  @Get('communities/:slug/store/deliveries')
  @CommunityRole('admin')
  @ApiOkResponse({ type: DeliveryPageView, description: 'Admin: webhook deliveries, newest first, with their attempts' })
  list(@CurrentCommunity() community: CommunityContext, @Query() query: DeliveriesQueryDto): Promise<Page<DeliveryView>> {
    return this.deliveries.list(community, query);
  }

  @Post('store/deliveries/:deliveryId/retry')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: DeliveryView, description: "Admin of the delivery's community: sends it again (same webhook-id and body, new signature)" })
  retry(@CurrentActor() actor: Actor, @DeliveryId() deliveryId: string): Promise<DeliveryView> {
    return this.deliveries.retry(actor, deliveryId);
  }

  @Post('communities/:slug/store/deliveries/retry-failed')
  @HttpCode(200)
  @CommunityRole('admin')
  @ApiOkResponse({ type: RetryFailedView, description: 'Admin: sends the failed deliveries of events since `since` again' })
  retryFailed(@CurrentCommunity() community: CommunityContext, @Body() dto: RetryFailedDto): Promise<RetryFailedView> {
    return this.deliveries.retryFailed(community, dto.since);
  }

  @Get('communities/:slug/store/reusable-photos')
  @CommunityRole('admin')
  @ApiOkResponse({ type: ReusablePhotoPageView, description: 'Admin: showcase photos whose authors consent to reuse (revoked consent drops them)' })
  photos(@CurrentCommunity() community: CommunityContext, @Query() query: ReusablePhotosQueryDto): Promise<Page<ReusablePhotoView>> {
    return this.deliveries.reusablePhotos(community, query);
  }

  @Get('communities/:slug/store/members/:userId')
  @CommunityRole('member')
  @ApiOkResponse({ type: StoreMemberView, description: "A member's store badge (tier) and verified-buyer SKUs; the customer id for staff and the member" })
  member(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @UserId() userId: string): Promise<StoreMemberView> {
    return this.store.member(actor, community, userId);
  }
}
