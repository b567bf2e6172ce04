import { Module } from '@nestjs/common';
import { ThreadsModule } from '../threads/threads.module';
import { CommunitiesModule } from './communities.module';
import { CommunityLookController } from './community-look.controller';
import { CommunityLookRepository } from './community-look.repository';
import { CommunityLookService } from './community-look.service';

/**
 * The brand look, part of the communities module's data (community_looks) but a module of its own:
 * its logo is made from an upload (threads' AttachmentsService), and threads imports communities,
 * so CommunitiesModule cannot import threads. Exports its service (the pages' layout and admin page).
 */
@Module({
  imports: [CommunitiesModule, ThreadsModule],
  controllers: [CommunityLookController],
  providers: [CommunityLookService, CommunityLookRepository],
  exports: [CommunityLookService],
})
export class CommunityLookModule {}
