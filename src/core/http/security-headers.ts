import type { FastifyInstance } from 'fastify';
import helmet, { HelmetOptions } from 'helmet';

/**
 * Helmet's response headers, computed once. They depend only on the options (the API uses no CSP
 * nonces), while @fastify/helmet builds Helmet's middleware again for every request, parsing the CSP
 * directives each time (about 6% of the CPU of a cheap request in the benchmark's profile).
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as never, response as never, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/**
 * Sets Helmet's headers on every answer (errors and cached pages included). Routes marked as web
 * pages (route config `page: true`, see src/web) get `pageOptions` instead: their own CSP.
 */
export function installSecurityHeaders(fastify: FastifyInstance, options: HelmetOptions, pageOptions?: HelmetOptions): void {
  const headers = securityHeaders(options);
  const pageHeaders = pageOptions ? securityHeaders(pageOptions) : headers;
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers((request.routeOptions.config as { page?: boolean } | undefined)?.page ? pageHeaders : headers);
    done();
  });
}

/**
 * The web pages' Content-Security-Policy: scripts and styles from our own origin only (no inline
 * script or style, no eval), images from our origin and data: URLs, socket.io to our own origin,
 * forms posting to our own origin, no framing.
 */
export const PAGE_SECURITY_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
};
