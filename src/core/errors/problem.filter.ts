import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from './problem';

/** Turns every error raised in a Nest handler into problem+json. See also installFastifyErrorHandlers. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') throw err;
    const http = host.switchToHttp();
    sendProblem(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), err);
  }
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: unknown) {
  const { body, headers, unexpected } = toProblem(err);
  body.requestId = String(request.id);
  if (unexpected) request.log.error({ err, reqId: request.id }, 'unhandled error');
  else if (body.status >= 500) request.log.error({ err }, body.detail);
  void reply.status(body.status).headers(headers).type('application/problem+json').send(body);
}
