import { Module } from '@nestjs/common';
import { COMMUNITY_ROLE_RESOLVER } from '../core/auth/actor';
import { IdentityModule } from '../identity/identity.module';
import { CommunitiesController } from './communities.controller';
import { CommunitiesService } from './communities.service';
import { MeController } from './me.controller';

@Module({
  imports: [IdentityModule],
  controllers: [CommunitiesController, MeController],
  providers: [CommunitiesService, { provide: COMMUNITY_ROLE_RESOLVER, useExisting: CommunitiesService }],
  exports: [CommunitiesService, COMMUNITY_ROLE_RESOLVER],
})
export class CommunitiesModule {}
