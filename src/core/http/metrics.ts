import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { bearerToken } from '../auth/auth.guard';

export interface MetricsOptions {
  /** METRICS_TOKEN: when set, the public listener also serves `/metrics`, to this bearer token only. */
  token: string | null;
}

/**
 * Prometheus metrics: request counts and latency per route pattern (never per raw URL), plus process
 * metrics, counted on the public instance. Reading them is not public: on the public listener
 * `/metrics` answers 404 (like any unknown route) unless METRICS_TOKEN is set and presented; the
 * metrics listener (startMetricsListener, METRICS_PORT) serves them to whoever reaches its port.
 */
export function installMetrics(fastify: FastifyInstance, options: MetricsOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, seconds);
  });
  const token = options.token;
  if (token) {
    fastify.get('/metrics', { logLevel: 'warn' }, async (request, reply) => {
      // A missing or wrong token gets the same 404 as a server without the route: nothing to probe.
      if (!tokenMatches(request, token)) return reply.callNotFound();
      reply.header('cache-control', 'no-store').type(registry.contentType);
      return registry.metrics();
    });
  }
  return registry;
}

/** Compares SHA-256 digests, so the comparison takes the same time whatever the presented token's length or content. */
function tokenMatches(request: FastifyRequest, expected: string): boolean {
  const presented = bearerToken(request);
  if (!presented) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The metrics listener (METRICS_PORT): a plain HTTP server serving only `GET /metrics`, on its own
 * port, for a scraper on the private network. Port 0 picks a free port. Resolves with its URL once
 * it listens, and a function that closes it.
 */
export async function startMetricsListener(registry: Registry, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${urlHost(host)}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a scraper's keep-alive connection would hold close() open
      }),
  };
}

/** The host to reach a listener bound to `host` at: loopback for the wildcard addresses, IPv6 in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
