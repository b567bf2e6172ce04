import type { FastifyReply } from 'fastify';
import { Viewer } from './web-session.service';

/** Sends a page. A member's pages are theirs alone (never stored by shared caches); a guest's are the same for every guest. */
export function sendPage(reply: FastifyReply, viewer: Viewer, html: string, status = 200) {
  return reply
    .status(status)
    .header('cache-control', viewer.actor ? 'private, no-store' : 'no-cache')
    .header('vary', 'cookie')
    .type('text/html; charset=utf-8')
    .send(html);
}
