import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from '../core/errors/problem';
import { Viewer, WebSessionService } from './web-session.service';
import { Views } from './views';

const HEADINGS: Record<number, string> = {
  400: 'That request did not work',
  401: 'Please log in',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'That changed meanwhile',
  413: 'Too large',
  415: 'That request did not work',
  422: 'That did not work',
  429: 'Slow down a little',
};

/**
 * Errors on page routes become HTML pages with the same status and the same message the API would
 * give (problem+json is for API clients): a 404 page for a thread that does not exist or may not
 * be seen, a log-in redirect where one is needed, a plain 500 page for the unexpected (logged).
 */
@Catch()
@Injectable()
export class WebErrorFilter implements ExceptionFilter {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
  ) {}

  async catch(err: unknown, host: ArgumentsHost) {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, headers, unexpected } = toProblem(err);
    if (unexpected) request.log.error({ err, reqId: request.id }, 'unhandled error');
    if (body.status === 401 && request.method === 'GET') {
      await reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
      return;
    }
    let viewer: Viewer = { actor: null, user: null, csrfToken: '' };
    try {
      viewer = await this.sessions.viewer(request, reply);
    } catch {
      // the page still shows, as a guest's
    }
    const heading = HEADINGS[body.status] ?? 'Something went wrong';
    const html = this.views.page(
      'error',
      { title: heading, canonicalPath: request.url.split('?')[0], noindex: true },
      viewer,
      { status: body.status, heading, detail: body.status >= 500 ? 'Something went wrong on our side. Please try again.' : body.detail, requestId: String(request.id) },
    );
    await reply.status(body.status).headers(headers).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  }
}
