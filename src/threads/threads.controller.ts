import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity, OptionalActor } from '../core/auth/decorators';
import { AppError, CommonErrors } from '../core/errors/app-error';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page } from '../core/pagination/pagination';
import { AttachmentsService } from './attachments.service';
import { fileHeaders } from './file-headers';
import {
  AttachmentView,
  CreatePostDto,
  CreateThreadDto,
  ListPostsQueryDto,
  ListThreadsQueryDto,
  MoveThreadDto,
  PostPageView,
  PostView,
  REACTION_KINDS,
  ReactionKind,
  ThreadPageView,
  ThreadView,
  UpdatePostDto,
} from './dto/threads.dto';
import { IMAGE_LIMITS } from './images';
import { PostsService } from './posts.service';
import { PostRevisionPageView, PostRevisionsQueryDto, PostRevisionView, UpdateThreadDto } from './dto/edits.dto';
import { RevisionsService } from './revisions.service';
import { ThreadEditsService } from './thread-edits.service';
import { ThreadsService } from './threads.service';
import { GuestCacheable, GuestCacheEffect } from '../core/http/guest-cache';

const BoardId = () => Param('boardId', new IdParamPipe('Board'));
const ThreadId = () => Param('threadId', new IdParamPipe('Thread'));
const PostId = () => Param('postId', new IdParamPipe('Post'));

@ApiTags('threads')
@Controller()
export class ThreadsController {
  constructor(
    private readonly threads: ThreadsService,
    private readonly posts: PostsService,
    private readonly attachments: AttachmentsService,
    private readonly edits: ThreadEditsService,
    private readonly revisions: RevisionsService,
  ) {}

  @Post('boards/:boardId/threads')
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: ThreadView, description: 'The thread with its first post' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: the post cooldown has not passed' })
  createThread(@CurrentActor() actor: Actor, @BoardId() boardId: string, @Body() dto: CreateThreadDto): Promise<ThreadView> {
    return this.threads.createThread(actor, boardId, dto);
  }

  @Public()
  @GuestCacheable()
  @Get('boards/:boardId/threads')
  @ApiOkResponse({ type: ThreadPageView })
  @ApiNotFoundResponse({ description: 'No such board, or not visible to the caller' })
  listThreads(@OptionalActor() actor: Actor | null, @BoardId() boardId: string, @Query() query: ListThreadsQueryDto): Promise<Page<ThreadView>> {
    return this.threads.listThreads(actor, boardId, query);
  }

  @Public()
  @GuestCacheable()
  @Get('threads/:threadId')
  @ApiOkResponse({ type: ThreadView })
  getThread(@OptionalActor() actor: Actor | null, @ThreadId() threadId: string): Promise<ThreadView> {
    return this.threads.getThread(actor, threadId);
  }

  @Patch('threads/:threadId')
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'Title, tags and product SKUs: the author within editWindowMinutes, or a moderator; the values replaced are kept as a revision' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: not the author nor a moderator; EDIT_WINDOW_CLOSED: the author\'s edit window has passed' })
  editThread(@CurrentActor() actor: Actor, @ThreadId() threadId: string, @Body() dto: UpdateThreadDto): Promise<ThreadView> {
    return this.edits.editThread(actor, threadId, dto);
  }

  @Public()
  @GuestCacheable()
  @Get('threads/:threadId/posts')
  @ApiOkResponse({ type: PostPageView, description: 'Oldest first, or sort=score: the question, then answers by score' })
  listPosts(@OptionalActor() actor: Actor | null, @ThreadId() threadId: string, @Query() query: ListPostsQueryDto): Promise<Page<PostView>> {
    return this.posts.listPosts(actor, threadId, query);
  }

  @Post('threads/:threadId/posts')
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: PostView })
  reply(@CurrentActor() actor: Actor, @ThreadId() threadId: string, @Body() dto: CreatePostDto): Promise<PostView> {
    return this.posts.reply(actor, threadId, dto);
  }

  @Patch('posts/:postId')
  @GuestCacheEffect('events')
  @ApiBearerAuth()
  @ApiOkResponse({ type: PostView, description: 'The author or a moderator; the previous body is kept as a revision' })
  edit(@CurrentActor() actor: Actor, @PostId() postId: string, @Body() dto: UpdatePostDto): Promise<PostView> {
    return this.posts.editPost(actor, postId, dto.body);
  }

  @Get('posts/:postId/revisions')
  @ApiBearerAuth()
  @ApiOkResponse({ type: PostRevisionPageView, description: 'The author or a moderator: every version of the body, oldest first (revision 1 as posted, the last one current)' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: the caller sees the post but is neither its author nor a moderator' })
  @ApiNotFoundResponse({ description: 'No such post, or not visible to the caller' })
  postRevisions(@CurrentActor() actor: Actor, @PostId() postId: string, @Query() query: PostRevisionsQueryDto): Promise<Page<PostRevisionView>> {
    return this.revisions.postRevisions(actor, postId, query);
  }

  @Delete('posts/:postId')
  @GuestCacheEffect('events')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Soft-deleted; deleting the first post deletes the thread' })
  async remove(@CurrentActor() actor: Actor, @PostId() postId: string): Promise<void> {
    await this.posts.deletePost(actor, postId);
  }

  @Put('posts/:postId/reactions/:kind')
  @GuestCacheEffect('events')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiParam({ name: 'kind', enum: REACTION_KINDS })
  @ApiNoContentResponse({ description: 'Idempotent' })
  async react(@CurrentActor() actor: Actor, @PostId() postId: string, @Param('kind') kind: string): Promise<void> {
    await this.posts.react(actor, postId, reactionKind(kind), true);
  }

  @Delete('posts/:postId/reactions/:kind')
  @GuestCacheEffect('events')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiParam({ name: 'kind', enum: REACTION_KINDS })
  @ApiNoContentResponse({ description: 'Idempotent' })
  async unreact(@CurrentActor() actor: Actor, @PostId() postId: string, @Param('kind') kind: string): Promise<void> {
    await this.posts.react(actor, postId, reactionKind(kind), false);
  }

  @Post('threads/:threadId/pin')
  @GuestCacheEffect('events')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'Moderator' })
  pin(@CurrentActor() actor: Actor, @ThreadId() threadId: string): Promise<ThreadView> {
    return this.threads.setPinned(actor, threadId, true);
  }

  @Post('threads/:threadId/unpin')
  @GuestCacheEffect('events')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'Moderator' })
  unpin(@CurrentActor() actor: Actor, @ThreadId() threadId: string): Promise<ThreadView> {
    return this.threads.setPinned(actor, threadId, false);
  }

  @Post('threads/:threadId/lock')
  @GuestCacheEffect('events')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'Moderator; members can no longer reply' })
  lock(@CurrentActor() actor: Actor, @ThreadId() threadId: string): Promise<ThreadView> {
    return this.threads.setLocked(actor, threadId, true);
  }

  @Post('threads/:threadId/unlock')
  @GuestCacheEffect('events')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'Moderator' })
  unlock(@CurrentActor() actor: Actor, @ThreadId() threadId: string): Promise<ThreadView> {
    return this.threads.setLocked(actor, threadId, false);
  }

  @Post('threads/:threadId/move')
  @GuestCacheEffect('events')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ThreadView, description: 'Moderator; to another board of the same community' })
  move(@CurrentActor() actor: Actor, @ThreadId() threadId: string, @Body() dto: MoveThreadDto): Promise<ThreadView> {
    return this.threads.move(actor, threadId, dto.boardId);
  }

  @Post('communities/:slug/uploads')
  @GuestCacheEffect('none')
  @CommunityRole('member')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } })
  @ApiCreatedResponse({ type: AttachmentView, description: 'JPEG, PNG, WebP or GIF up to 10 MiB and 40 Mpx; re-encoded without metadata' })
  async upload(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Req() request: FastifyRequest): Promise<AttachmentView> {
    return this.attachments.upload(actor, community.id, await readImagePart(request));
  }

  @Put('attachments/:attachmentId/reuse-consent')
  @ApiBearerAuth()
  @ApiOkResponse({ type: AttachmentView, description: 'The uploader lets the brand reuse the photo' })
  grant(@CurrentActor() actor: Actor, @Param('attachmentId', new IdParamPipe('Attachment')) id: string): Promise<AttachmentView> {
    return this.attachments.setReuseConsent(actor, id, true);
  }

  @Delete('attachments/:attachmentId/reuse-consent')
  @ApiBearerAuth()
  @ApiOkResponse({ type: AttachmentView, description: 'Revokes the consent (the time of revocation is kept)' })
  revoke(@CurrentActor() actor: Actor, @Param('attachmentId', new IdParamPipe('Attachment')) id: string): Promise<AttachmentView> {
    return this.attachments.setReuseConsent(actor, id, false);
  }

  @Public()
  @Get('uploads/:fileName')
  @ApiBearerAuth()
  @ApiOkResponse({
    description:
      'The image, to whoever may read its post (a photo of a public board: anyone, cached publicly; of another board, a hidden post ' +
      'or an unattached upload: only those allowed, with the access token, never cached), with headers that keep browsers from treating it as anything else',
  })
  @ApiNotFoundResponse({ description: 'No such file, its post is deleted, or the caller may not see it' })
  async file(@OptionalActor() actor: Actor | null, @Param('fileName') fileName: string, @Res() reply: FastifyReply): Promise<void> {
    const file = await this.attachments.readFile(actor, fileName);
    if (!file) throw CommonErrors.notFound('File');
    await reply
      .headers(fileHeaders(file.contentType, file.access))
      .send(file.data);
  }
}

function reactionKind(kind: string): ReactionKind {
  if (!(REACTION_KINDS as readonly string[]).includes(kind)) {
    throw CommonErrors.validation([{ field: 'kind', message: `kind must be one of ${REACTION_KINDS.join(', ')}` }]);
  }
  return kind as ReactionKind;
}

/**
 * The one image of a multipart upload, read whole (at most IMAGE_LIMITS.maxBytes). A body that is
 * not multipart is 415; a malformed one (no boundary, cut off before its end) 400
 * MALFORMED_MULTIPART; a file over the limit 413.
 */
async function readImagePart(request: FastifyRequest): Promise<Buffer> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'Send the image as multipart/form-data in the field "file"');
  const tooLarge = () =>
    new AppError('IMAGE_TOO_LARGE', 413, `Images may be at most ${IMAGE_LIMITS.maxBytes / 1024 / 1024} MiB`, {}, [{ field: 'file', message: 'too large' }]);
  try {
    const file = await request.file({ limits: { fileSize: IMAGE_LIMITS.maxBytes, files: 1 } });
    if (!file) throw CommonErrors.validation([{ field: 'file', message: 'file is required' }]);
    const data = await file.toBuffer();
    if (file.file.truncated) throw tooLarge();
    return data;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if ((err as { statusCode?: number })?.statusCode === 413) throw tooLarge();
    throw new AppError('MALFORMED_MULTIPART', 400, 'The multipart body is malformed (no boundary, or cut off before its end)', {}, [
      { field: 'file', message: 'could not be read' },
    ]);
  }
}
