import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommonErrors } from '../core/errors/app-error';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { AcceptDto } from '../qa/dto/qa.dto';
import { QaService } from '../qa/qa.service';
import { SuggestQueryDto } from '../search/dto/search.dto';
import { SearchService } from '../search/search.service';
import { Page, readForm, threadPath, validateWith } from './forms';
import { sendJson, sendJsonError } from './json-reply';
import { WebErrorFilter } from './web-error.filter';
import { CSRF_FIELD, WebSessionService } from './web-session.service';
import { WebErrors } from './web.errors';

/** The typeahead shows at most this many similar questions; it asks from this many characters on. */
export const SIMILAR_MAX = 5;
export const SIMILAR_MIN_CHARS = 3;

/**
 * "Ask a question": the similar questions the new-thread form's script shows while the member
 * types the title (the search suggestions of `GET /communities/:slug/search/suggest`, as the viewer
 * may see them), and accepting an answer from the thread page (`POST /threads/:id/accept`'s work).
 */
@Controller()
@UseFilters(WebErrorFilter)
export class AskController {
  constructor(
    private readonly sessions: WebSessionService,
    private readonly search: SearchService,
    private readonly qa: QaService,
  ) {}

  /** JSON `{ items: [{ title, url }] }`: up to 5 existing threads whose titles match what was typed (fewer than 3 characters: none). */
  @Get('c/:slug/similar')
  @Page()
  async similar(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    try {
      const q = typeof query.q === 'string' ? query.q.trim() : '';
      if (q.length < SIMILAR_MIN_CHARS) return sendJson(reply, 200, { items: [] });
      const { value, errors } = await validateWith(SuggestQueryDto, { q: q.slice(0, 100), board: query.board || undefined });
      if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })), Object.values(errors).join('; '));
      const actor = await this.sessions.actor(request, reply);
      const found = await this.search.suggest(actor, request.ip, slug, value);
      const items = found.items.slice(0, SIMILAR_MAX).map((s) => ({ title: s.title, url: threadPath({ id: s.threadId, title: s.title }) }));
      return sendJson(reply, 200, { items });
    } catch (err) {
      return sendJsonError(reply, err);
    }
  }

  /** The asker (or a moderator) accepts an answer; back to it on the thread page. */
  @Post('t/:threadId/accept')
  @Page({ guestCacheEffect: 'events' })
  async accept(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('threadId', new IdParamPipe('Thread')) threadId: string) {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    const { value, errors } = await validateWith(AcceptDto, { postId: form.postId });
    if (errors) throw CommonErrors.validation([{ field: 'postId', message: errors.postId ?? 'postId is invalid' }], 'Choose the answer to accept');
    const thread = await this.qa.accept(actor, threadId, value.postId);
    return reply.redirect(`${threadPath(thread)}#post-${value.postId}`, 303);
  }
}
