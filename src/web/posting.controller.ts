import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BoardsService } from '../boards/boards.service';
import { BoardView } from '../boards/dto/boards.dto';
import { CommunitiesService } from '../communities/communities.service';
import { Actor } from '../core/auth/actor';
import { AppError, CommonErrors } from '../core/errors/app-error';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { BODY_MAX, CreatePostDto, CreateThreadDto, REACTION_KINDS, ReactionKind } from '../threads/dto/threads.dto';
import { LivePostsService } from '../threads/live-posts.service';
import { PostsService } from '../threads/posts.service';
import { AttachmentsService } from '../threads/attachments.service';
import { ThreadsService } from '../threads/threads.service';
import { BOARD_KIND_LABELS } from './board-kinds';
import { FieldErrors, fieldErrors, listField, Page, readForm, threadPath, validateWith } from './forms';
import { PHOTO_MAX, PostForm, readPostForm } from './post-form';
import { sendPage } from './send-page';
import { ReplyFormState, ThreadPages } from './thread-pages';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';
import { CSRF_FIELD, Viewer, WebSessionService } from './web-session.service';
import { WebErrors } from './web.errors';

type ThreadForm = { values: Record<string, string>; errors: FieldErrors; message?: string; attachmentIds?: string[] };

/** Posting from the pages: the new-thread form, replies, and the markdown preview the forms' script asks for. */
@Controller()
@UseFilters(WebErrorFilter)
export class PostingController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly boards: BoardsService,
    private readonly threads: ThreadsService,
    private readonly posts: PostsService,
    private readonly live: LivePostsService,
    private readonly threadPages: ThreadPages,
    private readonly attachments: AttachmentsService,
  ) {}

  @Get('c/:slug/b/:boardSlug/new')
  @Page()
  async newThreadPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('boardSlug') boardSlug: string) {
    const viewer = await this.sessions.viewer(request, reply);
    if (!viewer.actor) throw WebErrors.signInRequired();
    return this.threadForm(reply, viewer, slug, boardSlug, { values: {}, errors: {} });
  }

  @Post('c/:slug/b/:boardSlug/new')
  @Page({ guestCacheEffect: 'events' })
  async createThread(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('boardSlug') boardSlug: string) {
    const posted = await readPostForm(request);
    const form = posted.fields;
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    const viewer = await this.sessions.viewer(request, reply);
    const values = { title: form.title ?? '', body: form.body ?? '', tags: form.tags ?? '', productSkus: form.productSkus ?? '' };
    const { value, errors } = await validateWith(CreateThreadDto, {
      title: form.title,
      body: form.body,
      tags: listField(form.tags),
      productSkus: listField(form.productSkus),
      attachmentIds: posted.attachmentIds.length ? posted.attachmentIds : undefined,
    });
    const again = (form: Omit<ThreadForm, 'values'>, status: number, headers?: Record<string, string>) =>
      this.threadForm(reply, viewer, slug, boardSlug, { values, ...form }, status, headers);
    if (errors || posted.photoError) {
      return again({ errors: withPhotoError(errors, posted.photoError), message: 'Please correct the fields marked below.', attachmentIds: keptIds(errors, posted) }, posted.photoError && !errors ? 413 : 400);
    }
    const board = await this.findBoard(actor, slug, boardSlug);
    const photos = await this.uploadPhotos(actor, board.communityId, posted);
    if (photos.error) return again({ errors: { photos: photos.error.detail }, message: 'Please correct the fields marked below.', attachmentIds: photos.ids }, photos.error.status, photos.error.headers);
    try {
      const thread = await this.threads.createThread(actor, board.id, { ...value, attachmentIds: photos.ids.length ? photos.ids : undefined });
      return reply.redirect(threadPath(thread), 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      return again({ errors: photoFieldErrors(err), message: err.detail, attachmentIds: photos.ids }, err.status, err.headers);
    }
  }

  /** A reply; on success back to the thread at the new post, on failure the thread again with the text and the error. */
  @Post('t/:threadId/reply')
  @Page({ guestCacheEffect: 'events' })
  async reply(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('threadId', new IdParamPipe('Thread')) threadId: string) {
    const posted = await readPostForm(request);
    const form = posted.fields;
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    const body = form.body ?? '';
    const again = (state: Omit<ReplyFormState, 'body'>, attachmentIds: string[], status: number) => {
      const replyForm: ReplyFormState & { attachmentIds: string[] } = { body, ...state, attachmentIds };
      return this.threadPages.show(request, reply, threadId, null, replyForm, status);
    };
    const { value, errors } = await validateWith(CreatePostDto, { body: form.body, attachmentIds: posted.attachmentIds.length ? posted.attachmentIds : undefined });
    if (errors) {
      const message = errors.body ? 'Please write your reply first.' : 'Please correct the fields marked below.';
      return again({ errors: withPhotoError(errors, posted.photoError), message }, keptIds(errors, posted), 400);
    }
    if (posted.photoError) return again({ errors: { photos: posted.photoError }, message: 'Please correct the fields marked below.' }, posted.attachmentIds, 413);
    const photos = posted.photos.length ? await this.uploadPhotos(actor, (await this.threads.getThread(actor, threadId)).communityId, posted) : { ids: posted.attachmentIds };
    if (photos.error) {
      void reply.headers(photos.error.headers);
      return again({ errors: { photos: photos.error.detail }, message: 'Please correct the fields marked below.' }, photos.ids, photos.error.status);
    }
    try {
      const post = await this.posts.reply(actor, threadId, { ...value, attachmentIds: photos.ids.length ? photos.ids : undefined });
      const thread = await this.threads.getThread(actor, threadId);
      return reply.redirect(`${threadPath(thread)}#post-${post.id}`, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
      void reply.headers(err.headers);
      return again({ errors: photoFieldErrors(err), message: err.detail }, photos.ids, err.status);
    }
  }

  /** Adds or takes back one of the member's reactions (the button says which), then back to the post. */
  @Post('t/:threadId/posts/:postId/react')
  @Page({ guestCacheEffect: 'events' })
  async react(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('threadId', new IdParamPipe('Thread')) threadId: string,
    @Param('postId', new IdParamPipe('Post')) postId: string,
  ) {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    const [kind, state] = (form.reaction ?? '').split(':');
    if (!(REACTION_KINDS as readonly string[]).includes(kind) || (state !== 'on' && state !== 'off')) {
      throw CommonErrors.validation([{ field: 'reaction', message: `reaction must be one of ${REACTION_KINDS.join(', ')}, on or off` }]);
    }
    await this.posts.react(actor, postId, kind as ReactionKind, state === 'on');
    const thread = await this.threads.getThread(actor, threadId);
    return reply.redirect(`${threadPath(thread)}#post-${postId}`, 303);
  }

  /** The markdown preview: the same rendering and sanitizing as a post's (members of the community; JSON for the forms' script). */
  @Post('c/:slug/preview')
  @Page({ guestCacheEffect: 'none' })
  async preview(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    const community = await this.communities.resolve(slug, actor);
    if (!community) throw CommonErrors.notFound('Community');
    if (!community.role) throw CommonErrors.forbidden('You are not a member of this community');
    const body = (form.body ?? '').slice(0, BODY_MAX);
    const rendered = await this.live.render(community.id, body);
    return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send({ html: rendered.html });
  }

  private async threadForm(reply: FastifyReply, viewer: Viewer, slug: string, boardSlug: string, form: ThreadForm, status = 200, headers: Record<string, string> = {}) {
    const actor = viewer.actor as Actor;
    const community = await this.communities.getBySlug(slug);
    const board = await this.findBoard(actor, slug, boardSlug);
    const context = await this.communities.resolve(slug, actor);
    const html = this.views.page(
      'new-thread',
      {
        title: `New thread in ${board.name} · ${community.name}`,
        canonicalPath: `/c/${community.slug}/b/${board.slug}/new`,
        community,
        noindex: true,
        scripts: board.kind === 'qa' ? ['photos.js', 'ask.js'] : ['photos.js'],
        bodyData: { communitySlug: community.slug, boardId: board.id },
      },
      viewer,
      { community, board, photoMax: PHOTO_MAX, kindLabel: BOARD_KIND_LABELS[board.kind] ?? board.kind, form, csrfField: CSRF_FIELD, isMember: Boolean(context?.role) },
    );
    void reply.headers(headers);
    return sendPage(reply, viewer, html, status);
  }

  /**
   * The form's own photo files (JavaScript off) go through the upload pipeline, after the photos the
   * drop zone already uploaded; an upload refused stops there, keeping the ones that went through.
   */
  private async uploadPhotos(actor: Actor, communityId: string, posted: PostForm): Promise<{ ids: string[]; error?: AppError }> {
    const ids = [...posted.attachmentIds];
    for (const photo of posted.photos.slice(0, PHOTO_MAX - ids.length)) {
      try {
        ids.push((await this.attachments.upload(actor, communityId, photo)).id);
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        return { ids, error: err };
      }
    }
    return { ids };
  }

  private async findBoard(actor: Actor, slug: string, boardSlug: string): Promise<BoardView> {
    const boards = await this.boards.listVisible(slug, actor, { limit: 100 });
    const board = boards.items.find((b) => b.slug === boardSlug);
    if (!board) throw CommonErrors.notFound('Board');
    return board;
  }
}

/** The API's field errors by form field; an attachment's (attachmentIds, file) belongs to the photo field. */
function photoFieldErrors(err: AppError): FieldErrors {
  const out = fieldErrors(err.errors);
  const photo = out.attachmentIds ?? out.file;
  if (photo) out.photos = err.errors.length === 1 ? err.detail : photo;
  return out;
}

/** The form's errors with the photo field's: a file problem, or attachment ids the API's DTO refused. */
function withPhotoError(errors: FieldErrors | null, photoError: string | undefined): FieldErrors {
  const out = { ...errors };
  const photos = photoError ?? (out.attachmentIds ? 'A photo of this form could not be used: please choose it again' : undefined);
  if (photos) out.photos = photos;
  return out;
}

/** Uploaded photos to keep in the form shown again (none when their ids were what was wrong). */
function keptIds(errors: FieldErrors | null, posted: PostForm): string[] {
  return errors?.attachmentIds ? [] : posted.attachmentIds;
}
