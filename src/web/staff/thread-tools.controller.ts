import { Controller, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { IdParamPipe } from '../../core/http/id-param.pipe';
import { QaService } from '../../qa/qa.service';
import { MoveThreadDto, ThreadView } from '../../threads/dto/threads.dto';
import { ThreadsService } from '../../threads/threads.service';
import { FieldErrors, Page, readForm, threadPath, titleSlug, validateWith } from '../forms';
import { ThreadPages, ThreadToolsState } from '../thread-pages';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { StaffAccess, StaffPageAccess } from './staff-access';

const threadIds = new IdParamPipe('Thread');
const THREAD_ID_IN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
export const THREAD_TOOL_ACTIONS = ['pin', 'unpin', 'lock', 'unlock', 'move', 'duplicate'] as const;
type ToolAction = (typeof THREAD_TOOL_ACTIONS)[number];

/**
 * The moderators' thread tools on the thread page (partials/thread-tools.eta): pin, lock, move to
 * another board, close a question as a duplicate. Each is the API's service call (ThreadsService,
 * QaService: they check the moderator role again and record the events the audit log reads); then
 * back to the thread, or the thread page again with the error next to the field.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class ThreadToolsController {
  constructor(
    private readonly access: StaffAccess,
    private readonly threads: ThreadsService,
    private readonly qa: QaService,
    private readonly threadPages: ThreadPages,
  ) {}

  @Post('c/:slug/mod/threads/:threadId/:action')
  @Page({ guestCacheEffect: 'events' })
  async act(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('slug') slug: string,
    @Param('threadId') rawThreadId: string,
    @Param('action') rawAction: string,
  ) {
    const form = await readForm(request);
    const access = await this.access.requireForm(request, reply, slug, 'moderator', form[CSRF_FIELD]);
    const action = THREAD_TOOL_ACTIONS.find((a) => a === rawAction);
    if (!action) throw CommonErrors.notFound('Page');
    const threadId = threadIds.transform(rawThreadId);
    const thread = await this.threads.getThread(access.viewer.actor, threadId);
    if (thread.communityId !== access.community.id) throw CommonErrors.notFound('Thread');
    const values = { boardId: form.boardId ?? '', original: (form.original ?? '').trim() };
    try {
      const done = await this.run(access, thread, action, values);
      if ('errors' in done) return this.again(request, reply, thread, { errors: done.errors, values, message: 'Check the field marked below' }, 422);
      return reply.redirect(`${threadPath(done.thread)}#thread-tools`, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const errors: FieldErrors = {};
      for (const f of err.errors) errors[f.field === 'threadId' ? 'original' : f.field] = f.message;
      // The original question not found (or not visible): said next to its field, not as a 404 page.
      if (err.status === 404 && action !== 'duplicate') throw err;
      if (err.status === 404) errors.original = 'No question of this community has this address';
      return this.again(request, reply, thread, { errors, values, message: err.detail }, err.status === 404 ? 422 : err.status);
    }
  }

  private async run(access: StaffPageAccess, thread: ThreadView, action: ToolAction, values: { boardId: string; original: string }): Promise<{ thread: ThreadView } | { errors: FieldErrors }> {
    const actor = access.viewer.actor;
    switch (action) {
      case 'pin':
      case 'unpin':
        return { thread: await this.threads.setPinned(actor, thread.id, action === 'pin') };
      case 'lock':
      case 'unlock':
        return { thread: await this.threads.setLocked(actor, thread.id, action === 'lock') };
      case 'move': {
        const { value, errors } = await validateWith(MoveThreadDto, { boardId: values.boardId });
        if (errors) return { errors: { boardId: 'Choose a board from the list' } };
        return { thread: await this.threads.move(actor, thread.id, value.boardId.toLowerCase()) };
      }
      case 'duplicate': {
        const original = THREAD_ID_IN.exec(values.original)?.[0]?.toLowerCase();
        if (!original) return { errors: { original: "Paste the original question's address or id" } };
        return { thread: await this.qa.closeAsDuplicate(actor, thread.id, original) };
      }
    }
  }

  /** The thread page again, with the tools' errors (the reply form as it comes). */
  private again(request: FastifyRequest, reply: FastifyReply, thread: ThreadView, tools: ThreadToolsState, status: number) {
    return this.threadPages.show(request, reply, thread.id, titleSlug(thread.title), undefined, status, tools);
  }
}
