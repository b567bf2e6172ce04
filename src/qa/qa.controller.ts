import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity, OptionalActor } from '../core/auth/decorators';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page, PageQueryDto } from '../core/pagination/pagination';
import { ThreadView } from '../threads/dto/threads.dto';
import { AcceptDto, DuplicateDto, FaqEntryView, FaqPageView, QueueItemView, QueuePageView, QueueQueryDto, ResponseTimesQueryDto, ResponseTimesView, VoteDto, VoteResultView } from './dto/qa.dto';
import { QaService } from './qa.service';
import { GuestCacheEffect } from '../core/http/guest-cache';

const PostId = () => Param('postId', new IdParamPipe('Post'));
const ThreadId = () => Param('threadId', new IdParamPipe('Thread'));

@ApiTags('qa')
@Controller()
export class QaController {
  constructor(private readonly qa: QaService) {}

  @Put('posts/:postId/vote')
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiOkResponse({ type: VoteResultView, description: 'Members, on posts of questions, never their own; 0 withdraws' })
  vote(@CurrentActor() actor: Actor, @PostId() postId: string, @Body() dto: VoteDto): Promise<VoteResultView> {
    return this.qa.vote(actor, postId, dto.value);
  }

  @Post('threads/:threadId/accept')
  @GuestCacheEffect('events') // answer.accepted names the thread and board
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'The asker or a moderator; may be changed later' })
  accept(@CurrentActor() actor: Actor, @ThreadId() threadId: string, @Body() dto: AcceptDto): Promise<ThreadView> {
    return this.qa.accept(actor, threadId, dto.postId);
  }

  @Post('posts/:postId/official')
  @GuestCacheEffect('events') // answer.official names the thread and board
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: "Staff: the brand's official answer" })
  markOfficial(@CurrentActor() actor: Actor, @PostId() postId: string): Promise<ThreadView> {
    return this.qa.setOfficial(actor, postId, true);
  }

  @Delete('posts/:postId/official')
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'Staff: no longer the official answer' })
  unmarkOfficial(@CurrentActor() actor: Actor, @PostId() postId: string): Promise<ThreadView> {
    return this.qa.setOfficial(actor, postId, false);
  }

  @Post('threads/:threadId/close-as-duplicate')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'Moderator: links the question to the original and locks it' })
  duplicate(@CurrentActor() actor: Actor, @ThreadId() threadId: string, @Body() dto: DuplicateDto): Promise<ThreadView> {
    return this.qa.closeAsDuplicate(actor, threadId, dto.threadId);
  }

  @Post('posts/:postId/faq')
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: FaqEntryView, description: 'Staff: promote an accepted or official answer into the FAQ' })
  addToFaq(@CurrentActor() actor: Actor, @PostId() postId: string): Promise<FaqEntryView> {
    return this.qa.addToFaq(actor, postId);
  }

  @Delete('posts/:postId/faq')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Staff: remove from the FAQ' })
  async removeFromFaq(@CurrentActor() actor: Actor, @PostId() postId: string): Promise<void> {
    await this.qa.removeFromFaq(actor, postId);
  }

  @Public()
  @Get('communities/:slug/faq')
  @ApiOkResponse({ type: FaqPageView })
  faq(@OptionalActor() actor: Actor | null, @Param('slug') slug: string, @Query() query: PageQueryDto): Promise<Page<FaqEntryView>> {
    return this.qa.faq(actor, slug, query);
  }

  @Get('communities/:slug/qa/unanswered')
  @CommunityRole('staff')
  @ApiOkResponse({ type: QueuePageView, description: 'Questions with no staff and no accepted answer, oldest first' })
  unanswered(@CurrentCommunity() community: CommunityContext, @Query() query: QueueQueryDto): Promise<Page<QueueItemView>> {
    return this.qa.unanswered(community, query);
  }

  @Get('communities/:slug/qa/response-times')
  @CommunityRole('staff')
  @ApiOkResponse({ type: ResponseTimesView })
  responseTimes(@CurrentCommunity() community: CommunityContext, @Query() query: ResponseTimesQueryDto): Promise<ResponseTimesView> {
    return this.qa.responseTimes(community, query);
  }
}
