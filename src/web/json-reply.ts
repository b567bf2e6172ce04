import type { FastifyReply } from 'fastify';
import { AppError } from '../core/errors/app-error';

/** A small JSON answer for a page's script (never cached). */
export function sendJson(reply: FastifyReply, status: number, body: unknown) {
  return reply.status(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}

/**
 * An expected error as JSON for a page's script: its status, code and the API's message (the
 * script shows the message). Anything else is thrown on to the page error filter (a 500, logged).
 */
export function sendJsonError(reply: FastifyReply, err: unknown) {
  if (!(err instanceof AppError) || err.status >= 500) throw err;
  void reply.headers(err.headers);
  return sendJson(reply, err.status, { status: err.status, code: err.code, detail: err.detail });
}
