import { SharedPages } from './shared-pages';
import { Module } from '@nestjs/common';
import { BoardsModule } from '../boards/boards.module';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { AttachmentsService } from './attachments.service';
import { PostingRulesService } from './posting-rules.service';
import { PostsService } from './posts.service';
import { QuestionsService } from './questions.service';
import { SearchRecentPruner } from './search-recent.pruner';
import { ThreadAccessService } from './thread-access.service';
import { ThreadSearchService } from './thread-search.service';
import { ThreadViewsService } from './thread-views.service';
import { ThreadsController } from './threads.controller';
import { ThreadsService } from './threads.service';

/**
 * Threads and posts. One job per service: ThreadsService (threads and board lists), PostsService
 * (a thread's posts, replies, edits, deletion, reactions), ThreadAccessService (who may see what),
 * PostingRulesService (cooldowns, link limit, rendering), ThreadViewsService (the read model),
 * ThreadSearchService (the full-text index), QuestionsService (Q&A state, for the qa module) and
 * AttachmentsService (photos). Other modules use the exported ones.
 */
@Module({
  imports: [IdentityModule, CommunitiesModule, BoardsModule],
  controllers: [ThreadsController],
  providers: [
    ThreadsService,
    PostsService,
    ThreadAccessService,
    PostingRulesService,
    ThreadViewsService,
    SharedPages,
    ThreadSearchService,
    AttachmentsService,
    QuestionsService,
    SearchRecentPruner,
  ],
  exports: [ThreadsService, ThreadSearchService, QuestionsService],
})
export class ThreadsModule {}
