import { Module } from '@nestjs/common';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { ThreadsModule } from '../threads/threads.module';
import { ProfilesController } from './profiles.controller';
import { ProfilesService } from './profiles.service';

/** Profiles (issue 20): PATCH /me, public profiles, a community's member profile. Exports its service (the web pages). */
@Module({
  imports: [IdentityModule, CommunitiesModule, ThreadsModule],
  controllers: [ProfilesController],
  providers: [ProfilesService],
  exports: [ProfilesService],
})
export class ProfilesModule {}
