import { Module } from '@nestjs/common';
import { BoardsModule } from '../boards/boards.module';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { AttachmentsService } from './attachments.service';
import { LivePostsService } from './live-posts.service';
import { ModeratedContentService } from './moderated-content.service';
import { PostVisibilityService } from './post-visibility.service';
import { PostingRulesService } from './posting-rules.service';
import { PostsService } from './posts.service';
import { PostMentionsService } from './post-mentions.service';
import { QuestionsService } from './questions.service';
import { SearchSourceService } from './search-source.service';
import { SharedPages } from './shared-pages';
import { ThreadAccessService } from './thread-access.service';
import { ThreadViewsService } from './thread-views.service';
import { ThreadsController } from './threads.controller';
import { ThreadsService } from './threads.service';
import { ReusablePhotosService } from './reusable-photos.service';
import { VerifiedBuyersService } from './verified-buyers.service';
import { RevisionsService } from './revisions.service';
import { ThreadEditsService } from './thread-edits.service';
import { UploadSweeper } from './upload-sweeper';

/**
 * Threads and posts. One job per service: ThreadsService (threads and board lists), PostsService
 * (a thread's posts, replies, edits, deletion, reactions), ThreadAccessService (who may see what),
 * PostingRulesService (cooldowns, link limit, rendering), ThreadViewsService (the read model), SharedPages
 * (the pages members and guests share),
 * SearchSourceService (what the search module reads), QuestionsService (Q&A state, for the qa module) and
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
    SearchSourceService,
    AttachmentsService,
    QuestionsService,
    LivePostsService,
    PostVisibilityService,
    ModeratedContentService,
    VerifiedBuyersService, ReusablePhotosService,
    PostMentionsService,
    ThreadEditsService,
    RevisionsService,
    UploadSweeper,
  ],
  exports: [ThreadsService, AttachmentsService, PostsService, SearchSourceService, QuestionsService, LivePostsService, ModeratedContentService, VerifiedBuyersService, ReusablePhotosService],
})
export class ThreadsModule {}
