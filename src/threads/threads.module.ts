import { Module } from '@nestjs/common';
import { BoardsModule } from '../boards/boards.module';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { AttachmentsService } from './attachments.service';
import { QuestionsService } from './questions.service';
import { SearchRecentPruner } from './search-recent.pruner';
import { ThreadsController } from './threads.controller';
import { ThreadsService } from './threads.service';

@Module({
  imports: [IdentityModule, CommunitiesModule, BoardsModule],
  controllers: [ThreadsController],
  providers: [ThreadsService, AttachmentsService, QuestionsService, SearchRecentPruner],
  exports: [ThreadsService, QuestionsService],
})
export class ThreadsModule {}
