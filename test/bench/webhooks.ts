/**
 * Store webhooks (issue 16) on PostgreSQL (`npm run bench:webhooks`; DATABASE_URL, default the local
 * server; the server runs as a child process on a scratch database). Three figures:
 *
 *   sustained rate  BENCH_WEBHOOK_BACKLOG (3,000) deliveries made due at once (failed with a 400 first, then
 *                   replayed with retry-failed) to a local receiver that answers 200 at once: deliveries/s.
 *                   Target >= 500/s.
 *   lag             threads created at BENCH_WEBHOOK_RATE (200) per second for BENCH_WEBHOOK_SECONDS (10); lag =
 *                   arrival at the receiver - the event's timestamp (its transaction's time): p50/p99.
 *                   Target p99 < 1 s.
 *   isolation       the same lag run while another community's receiver answers after 2 s (and gets 20
 *                   events/s): the first community's p99 must stay about the same.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createScratchDatabase } from '../support/database';
import { call, startServer } from './harness';

const ADMIN_EMAIL = 'bench-admin@hearth.test';
const ADMIN_PASSWORD = 'bench admin password 1';
const intEnv = (name: string, fallback: number) => (process.env[name] ? Math.max(1, Number(process.env[name])) : fallback);
const BACKLOG = intEnv('BENCH_WEBHOOK_BACKLOG', 3000);
const RATE = intEnv('BENCH_WEBHOOK_RATE', 200);
const SECONDS = intEnv('BENCH_WEBHOOK_SECONDS', 10);

class Sink {
  arrivals: Array<{ at: number; timestamp: number; type: string }> = [];
  status = 200;
  delayMs = 0;
  server!: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        const body = JSON.parse(Buffer.concat(chunks).toString());
        const reply = () => {
          res.writeHead(this.status);
          res.end();
        };
        if (this.status === 200) this.arrivals.push({ at, timestamp: Date.parse(body.timestamp), type: body.type });
        if (this.delayMs) setTimeout(reply, this.delayMs);
        else reply();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const base = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = await createScratchDatabase(base, 'hearth_bench_webhooks');
  const fast = await new Sink().start();
  const slow = await new Sink().start();
  slow.delayMs = 2000;
  const server = await startServer({
    databaseUrl: db.url,
    env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', ADMIN_EMAIL, ADMIN_PASSWORD, REGISTRATIONS_PER_IP_PER_HOUR: '100000', LOGINS_PER_IP_PER_MINUTE: '100000', LOG_LEVEL: 'warn' },
  });
  try {
    const url = server.baseUrl;
    const token = (await call(url, 'POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).accessToken as string;
    const setup = async (slug: string, sink: Sink) => {
      await call(url, 'POST', '/api/v1/communities', { token, body: { slug, name: slug } });
      await call(url, 'PATCH', `/api/v1/communities/${slug}/settings`, { token, body: { postCooldownSeconds: 0 } });
      await call(url, 'PUT', `/api/v1/communities/${slug}/store`, { token, body: { webhookUrl: sink.url, events: ['thread.created'] } });
      return (await call(url, 'POST', `/api/v1/communities/${slug}/boards`, { token, body: { slug: 'b', name: 'B', kind: 'discussion', visibility: 'public' } })).id as string;
    };
    const fastBoard = await setup('fast', fast);
    const slowBoard = await setup('slow', slow);
    const post = (boardId: string, i: number) => call(url, 'POST', `/api/v1/boards/${boardId}/threads`, { token, body: { title: `Bench ${i}`, body: 'x' } });

    // 1. Sustained rate: a backlog made due at once.
    fast.status = 400;
    let n = 0;
    await Promise.all(Array.from({ length: 16 }, async () => { while (n < BACKLOG) await post(fastBoard, n++); }));
    for (;;) {
      const failed = await call(url, 'GET', `/api/v1/communities/fast/store/deliveries?status=pending&limit=1`, { token });
      if (!failed.items.length) break;
      await sleep(200);
    }
    fast.status = 200;
    const t0 = performance.now();
    const started = Date.now();
    await call(url, 'POST', '/api/v1/communities/fast/store/deliveries/retry-failed', { token, body: { since: new Date(Date.now() - 3_600_000).toISOString() } });
    while (fast.arrivals.length < BACKLOG) await sleep(20);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`sustained delivery: ${BACKLOG} deliveries in ${seconds.toFixed(2)} s = ${Math.round(BACKLOG / seconds)} deliveries/s (first at +${fast.arrivals[0].at - started} ms)`);

    // 2 and 3. Lag at RATE events/s, alone and beside a slow receiver.
    const lagRun = async (label: string, withSlow: boolean) => {
      fast.arrivals = [];
      const total = RATE * SECONDS;
      const begin = performance.now();
      const pending: Promise<unknown>[] = [];
      let slowSent = 0;
      for (let i = 0; i < total; i++) {
        const due = begin + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        pending.push(post(fastBoard, i));
        if (withSlow && i % Math.max(1, Math.round(RATE / 20)) === 0) {
          pending.push(post(slowBoard, i));
          slowSent++;
        }
      }
      await Promise.all(pending);
      const achieved = total / ((performance.now() - begin) / 1000);
      const deadline = Date.now() + 30_000;
      while (fast.arrivals.length < total && Date.now() < deadline) await sleep(50);
      const lags = fast.arrivals.map((a) => a.at - a.timestamp);
      console.log(
        `lag ${label}: ${fast.arrivals.length}/${total} delivered (${achieved.toFixed(0)} events/s offered${withSlow ? `, ${slowSent} to the 2 s receiver` : ''}): ` +
          `p50 ${pct(lags, 50)} ms, p90 ${pct(lags, 90)} ms, p99 ${pct(lags, 99)} ms, max ${Math.max(...lags)} ms`,
      );
    };
    await lagRun('alone', false);
    await lagRun('beside a 2 s receiver', true);
    console.log(`slow receiver got ${slow.arrivals.length} so far (2 s each, at most 32 in flight for its community)`);
  } finally {
    await server.stop();
    fast.server.closeAllConnections();
    slow.server.closeAllConnections();
    fast.server.close();
    slow.server.close();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
