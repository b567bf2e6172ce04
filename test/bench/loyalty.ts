/**
 * Loyalty (issue 15) on PostgreSQL, three measurements in their own community:
 *
 *   redemptions   BENCH_LOYALTY_MEMBERS (1,000) members, each able to afford BENCH_LOYALTY_AFFORD (2)
 *                 redemptions, each sending BENCH_LOYALTY_TRIES (3) at once (unique Idempotency-Keys), with
 *                 BENCH_LOYALTY_CONCURRENCY (200) requests in flight: throughput, p50/p99, and afterwards a
 *                 check that every count adds up (successes, refusals, codes handed out once, balances,
 *                 reconciliation with no drift).
 *   ledger page   one member with BENCH_LOYALTY_ENTRIES (100,000) entries (bulk-inserted with SQL, the account
 *                 kept consistent), GET /loyalty/me/ledger?limit=20 at BENCH_LATENCY_CONNECTIONS (4), each
 *                 request a page at a random depth (cursors signed with the server's key): target p99 < 20 ms.
 *   consumer lag  reactions (PUT /posts/:id/reactions/:kind, members in turn, spread over 20 threads) paced at BENCH_LOYALTY_EVENT_RATE
 *                 (500) per second for BENCH_LOYALTY_EVENT_SECONDS (10); each records reaction.added, which the
 *                 loyalty consumer turns into points: lag = delivery done_at - event created_at: target p99 < 1 s.
 *
 * Runs on its own (`npm run build && DATABASE_URL=postgres://... node dist/test/bench/loyalty.js`, it starts
 * the server on a scratch database) or as the `loyalty` phase of `npm run bench` (BENCH_ONLY=loyalty
 * selects it; add BENCH_QUESTIONS=0 BENCH_LARGE_POSTS=0 to skip the big seeds of the other phases).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Cursors } from '../../src/core/pagination/cursors';
import { LEDGER_CURSOR } from '../../src/loyalty/loyalty.service';
import { createScratchDatabase } from '../support/database';
import { ensureAuthors } from '../support/seed';
import { BenchSettings, call, formatMs, readSettings, runRoute, startServer, waitForDatabaseIdle } from './harness';
import { mintTokens, percentile, withClient } from './seeded-db';
import { ADMIN, NO_LIMITS } from './routes';

export interface LoyaltyBenchSettings {
  members: number;
  afford: number;
  tries: number;
  concurrency: number;
  entries: number;
  eventRate: number;
  eventSeconds: number;
}

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return Number(raw);
}

export function readLoyaltySettings(): LoyaltyBenchSettings {
  return {
    members: intEnv('BENCH_LOYALTY_MEMBERS', 1000, 2),
    afford: intEnv('BENCH_LOYALTY_AFFORD', 2, 0),
    tries: intEnv('BENCH_LOYALTY_TRIES', 3, 1),
    concurrency: intEnv('BENCH_LOYALTY_CONCURRENCY', 200, 1),
    entries: intEnv('BENCH_LOYALTY_ENTRIES', 100_000, 100),
    eventRate: intEnv('BENCH_LOYALTY_EVENT_RATE', 500, 1),
    eventSeconds: intEnv('BENCH_LOYALTY_EVENT_SECONDS', 10, 1),
  };
}

const COST = 10;
const KINDS = ['like', 'helpful', 'love', 'insightful'];
const n = (x: number) => x.toLocaleString('en-US');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `tasks` with at most `limit` at once; returns their latencies (ms) and results. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<{ results: T[]; latencies: number[]; seconds: number }> {
  const results: T[] = new Array(tasks.length);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        const t0 = performance.now();
        results[i] = await tasks[i]();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { results, latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

async function send(baseUrl: string, method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, json: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}

export interface LoyaltyPhase {
  lines: string[];
  failed: boolean;
}

export async function runLoyaltyPhase(baseUrl: string, databaseUrl: string, settings: BenchSettings, ls: LoyaltyBenchSettings): Promise<LoyaltyPhase> {
  const lines: string[] = ['', `loyalty (issue 15): ${n(ls.members)} members, ${n(ls.entries)} ledger entries, ${ls.eventRate} events/s for ${ls.eventSeconds} s`];
  const problems: string[] = [];
  const admin = (await call<any>(baseUrl, 'POST', '/api/v1/auth/login', { body: ADMIN })).accessToken as string;
  const slug = `loyalty-${randomBytes(3).toString('hex')}`;
  const community = await call<any>(baseUrl, 'POST', '/api/v1/communities', { token: admin, body: { slug, name: 'Loyalty bench' } });
  await call(baseUrl, 'PATCH', `/api/v1/communities/${slug}/settings`, { token: admin, body: { ...NO_LIMITS, dailyPointsCap: 0 } });
  const base = `/api/v1/communities/${slug}/loyalty`;

  process.stderr.write(`loyalty: ${n(ls.members)} members, tokens, points and a reward with codes\n`);
  const memberIds = await ensureAuthors(databaseUrl, community.id, ls.members, `loyalty-${slug}`);
  const tokens = await mintTokens(databaseUrl, memberIds);
  const reward = await call<any>(baseUrl, 'POST', `${base}/rewards`, { token: admin, body: { name: 'Bench coupon', cost: COST } });
  const codeCount = ls.members * ls.afford + 100;
  for (let from = 0; from < codeCount; from += 10_000) {
    const codes = Array.from({ length: Math.min(10_000, codeCount - from) }, (_, i) => `BENCH-${from + i}`);
    await call(baseUrl, 'POST', `/api/v1/loyalty/rewards/${reward.id}/codes`, { token: admin, body: { codes } });
  }
  const grant = COST * ls.afford + 5;
  const granted = await pool(memberIds.map((id) => () => send(baseUrl, 'POST', `${base}/adjustments`, admin, { userId: id, points: grant, reason: 'bench' })), 32);
  if (granted.results.some((r) => r.status !== 201)) throw new Error(`adjustments failed: ${JSON.stringify(granted.results.find((r) => r.status !== 201))}`);

  // 1. Every member redeems `tries` times at once.
  await waitForDatabaseIdle(databaseUrl);
  const tasks = memberIds.flatMap((_, m) => Array.from({ length: ls.tries }, (_, k) => () =>
    send(baseUrl, 'POST', `${base}/redemptions`, tokens[m], { rewardId: reward.id }, { 'idempotency-key': `bench-${m}-${k}` })));
  for (let i = tasks.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [tasks[i], tasks[j]] = [tasks[j], tasks[i]];
  }
  process.stderr.write(`loyalty: ${n(tasks.length)} redemptions, ${ls.concurrency} in flight\n`);
  const storm = await pool(tasks, ls.concurrency);
  const statuses: Record<string, number> = {};
  for (const r of storm.results) {
    const key = `${r.status}${r.status >= 400 ? ` ${r.json?.code}` : ''}`;
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const expectOk = ls.members * Math.min(ls.afford, ls.tries);
  const counts = await withClient(databaseUrl, async (c) => {
    const { rows } = await c.query(
      `SELECT (SELECT count(*)::int FROM loyalty_redemptions WHERE reward_id = $1) AS redemptions,
              (SELECT count(DISTINCT code)::int FROM loyalty_redemptions WHERE reward_id = $1) AS distinct_codes,
              (SELECT count(*)::int FROM loyalty_reward_codes WHERE reward_id = $1 AND redemption_id IS NOT NULL) AS codes_used,
              (SELECT COALESCE(sum(balance), 0)::int FROM loyalty_accounts WHERE community_id = $2) AS balances,
              (SELECT COALESCE(sum(spent), 0)::int FROM loyalty_accounts WHERE community_id = $2) AS spent`,
      [reward.id, community.id],
    );
    return rows[0];
  });
  const rec = await call<any>(baseUrl, 'GET', `${base}/reconciliation`, { token: admin });
  const checks: [string, boolean][] = [
    [`${n(expectOk)} successes`, (statuses['201'] ?? 0) === expectOk],
    [`${n(tasks.length - expectOk)} INSUFFICIENT_POINTS`, (statuses['409 INSUFFICIENT_POINTS'] ?? 0) === tasks.length - expectOk],
    ['one redemption row and one code per success, no code twice', counts.redemptions === expectOk && counts.distinct_codes === expectOk && counts.codes_used === expectOk],
    ['balances and spent add up', counts.balances === ls.members * grant - expectOk * COST && counts.spent === expectOk * COST],
    [`reconciliation: ${rec.accountsChecked} accounts, no drift`, rec.driftFound === 0 && rec.accountsChecked >= ls.members],
  ];
  lines.push(
    `  redemptions: ${n(tasks.length)} requests in ${storm.seconds.toFixed(1)} s = ${(tasks.length / storm.seconds).toFixed(0)} req/s, ` +
      `p50 ${formatMs(percentile(storm.latencies, 50))} ms, p99 ${formatMs(percentile(storm.latencies, 99))} ms (${ls.concurrency} in flight); answers ${JSON.stringify(statuses)}`,
    ...checks.map(([what, ok]) => `    ${ok ? 'ok  ' : 'FAIL'} ${what}`),
  );
  for (const [what, ok] of checks) if (!ok) problems.push(`redemptions: ${what}`);

  // 2. A ledger page of a member with `entries` entries, at a random depth.
  process.stderr.write(`loyalty: ${n(ls.entries)} entries for one member\n`);
  const deep = memberIds[0];
  const seqs = await withClient(databaseUrl, async (c) => {
    await c.query('BEGIN');
    await c.query(
      `INSERT INTO loyalty_entries (community_id, user_id, kind, rule, source_key, reason, points, status, created_at)
       SELECT $1, $2, 'earn', 'reply_created', 'bench:' || i, 'Reply posted', 2, 'approved', now() - make_interval(secs => $3 - i)
         FROM generate_series(1, $3) AS i`,
      [community.id, deep, ls.entries],
    );
    await c.query('UPDATE loyalty_accounts SET balance = balance + $3, lifetime_earned = lifetime_earned + $3 WHERE community_id = $1 AND user_id = $2', [community.id, deep, 2 * ls.entries]);
    await c.query('COMMIT');
    await c.query('ANALYZE loyalty_entries');
    const { rows } = await c.query<{ seq: string }>('SELECT seq FROM loyalty_entries WHERE community_id = $1 AND user_id = $2 ORDER BY random() LIMIT 500', [community.id, deep]);
    const [{ secret }] = (await c.query<{ secret: string }>(`SELECT secret FROM server_secrets WHERE name = 'cursor'`)).rows;
    return { seqs: rows.map((r) => Number(r.seq)), key: Buffer.from(secret, 'hex') };
  });
  const cursors = new Cursors(seqs.key);
  const low: BenchSettings = { ...settings, connections: settings.latencyConnections };
  await waitForDatabaseIdle(databaseUrl);
  const page = await runRoute(
    baseUrl,
    {
      name: 'loyalty ledger page',
      method: 'GET',
      path: `${base}/me/ledger?limit=20`,
      headers: { authorization: `Bearer ${tokens[0]}` },
      rotate: () => seqs.seqs.map((s) => ({ path: `${base}/me/ledger?limit=20&cursor=${encodeURIComponent(cursors.encode(LEDGER_CURSOR, [s]))}` })),
    },
    { baseUrl },
    low,
    { settle: () => waitForDatabaseIdle(databaseUrl) },
  );
  const pageOk = page.errors === 0 && page.totalRequests > 0 && page.p99 < 20;
  lines.push(
    `  ledger page (${n(ls.entries)} entries, random depth, ${low.connections} connections, ${settings.duration} s): ${page.reqPerSec.toFixed(0)} req/s, ` +
      `p50 ${formatMs(page.p50)} / p90 ${formatMs(page.p90)} / p97.5 ${formatMs(page.p97_5)} / p99 ${formatMs(page.p99)} ms, errors ${page.errors}  target p99 < 20 ms: ${pageOk ? 'ok' : 'MISS'}`,
  );
  if (page.errors > 0 || page.totalRequests === 0) problems.push('ledger page: errors');

  // 3. The consumer under a paced stream of content events (reactions).
  process.stderr.write(`loyalty: ${ls.eventRate} reactions/s for ${ls.eventSeconds} s\n`);
  const authors = Math.min(20, ls.members);
  const board = await call<any>(baseUrl, 'POST', `/api/v1/communities/${slug}/boards`, { token: admin, body: { slug: 'talk', name: 'Talk', kind: 'discussion', visibility: 'public' } });
  const postIds: string[] = [];
  for (let a = 0; a < authors; a++) {
    const thread = (await send(baseUrl, 'POST', `/api/v1/boards/${board.id}/threads`, tokens[a], { title: `Bench thread ${a}`, body: 'Tell us about it' })).json;
    postIds.push(thread.firstPost.id);
  }
  await waitForDatabaseIdle(databaseUrl);
  const startId = await withClient(databaseUrl, async (c) => Number((await c.query(`SELECT COALESCE(max(id), 0) AS id FROM events`)).rows[0].id));
  const total = ls.eventRate * ls.eventSeconds;
  const writeLatencies: number[] = [];
  let writeErrors = 0;
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    const wait = t0 + (k * 1000) / ls.eventRate - performance.now();
    if (wait > 0) await sleep(wait);
    const reactor = k % ls.members;
    const j = Math.floor(k / ls.members);
    // Consecutive reactions go to different posts (20 authors' threads), as in a busy community; one
    // member never reacts twice alike to one post. (Before: a thousand in a row on one post, which
    // measured that post row's lock queue, about 300 writes/s, rather than the consumer.)
    const path = `/api/v1/posts/${postIds[(reactor + j) % postIds.length]}/reactions/${KINDS[Math.floor(j / postIds.length) % KINDS.length]}`;
    const started = performance.now();
    const p: Promise<void> = send(baseUrl, 'PUT', path, tokens[reactor])
      .then((r) => {
        if (r.status !== 204) writeErrors++;
        else writeLatencies.push(performance.now() - started);
      }, () => void writeErrors++)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all([...inFlight]);
  const sentSeconds = (performance.now() - t0) / 1000;
  const deadline = Date.now() + 120_000;
  const lag = await withClient(databaseUrl, async (c) => {
    for (;;) {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'loyalty' AND status = 'pending' AND event_id > $1`, [startId]);
      if (rows[0].n === 0 || Date.now() > deadline) break;
      await sleep(200);
    }
    const { rows } = await c.query(
      `SELECT count(*)::int AS events, count(*) FILTER (WHERE d.status = 'done')::int AS done,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.done_at - e.created_at)) * 1000 AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.done_at - e.created_at)) * 1000 AS p99,
              max(extract(epoch FROM d.done_at - e.created_at)) * 1000 AS max,
              extract(epoch FROM max(e.created_at) - min(e.created_at)) AS span
         FROM event_deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.consumer = 'loyalty' AND d.event_id > $1`,
      [startId],
    );
    return rows[0];
  });
  writeLatencies.sort((a, b) => a - b);
  const lagOk = lag.done === lag.events && lag.events > 0 && Number(lag.p99) < 1000;
  lines.push(
    `  consumer: ${n(lag.events)} reaction.added events in ${Number(lag.span).toFixed(1)} s = ${(lag.events / Math.max(Number(lag.span), 0.001)).toFixed(0)} events/s ` +
      `(writes sent over ${sentSeconds.toFixed(1)} s, p99 ${formatMs(percentile(writeLatencies, 99))} ms, ${writeErrors} errors); handled ${n(lag.done)}; ` +
      `lag p50 ${formatMs(Number(lag.p50))} / p99 ${formatMs(Number(lag.p99))} / max ${formatMs(Number(lag.max))} ms  target p99 < 1 s: ${lagOk ? 'ok' : 'MISS'}`,
  );
  if (writeErrors > 0 || lag.done !== lag.events) problems.push('consumer: errors or events left unhandled');
  // 3b. The consumer's own capacity: a backlog of reaction.added events recorded with SQL in one commit
  // (as another instance would), handled by this server's dispatcher (found by its poll, <= 1 s).
  await waitForDatabaseIdle(databaseUrl);
  const backlog = await withClient(databaseUrl, async (c) => {
    await c.query('BEGIN');
    const { rows } = await c.query<{ id: string }>(
      `INSERT INTO events (type, community_id, data)
       SELECT 'reaction.added', $1::uuid, jsonb_build_object('communityId', $1::text, 'boardId', $2::text, 'threadId', gen_random_uuid()::text,
              'postId', gen_random_uuid()::text, 'authorId', ($3::uuid[])[1 + i % array_length($3::uuid[], 1)]::text,
              'userId', ($3::uuid[])[1 + (i + 1) % array_length($3::uuid[], 1)]::text, 'kind', 'like')
         FROM generate_series(1, $4) AS i
       RETURNING id`,
      [community.id, board.id, memberIds, total],
    );
    await c.query(`INSERT INTO event_deliveries (event_id, consumer) SELECT unnest($1::bigint[]), 'loyalty'`, [rows.map((r) => r.id)]);
    await c.query('COMMIT');
    const ids = rows.map((r) => Number(r.id));
    const from = Math.min(...ids);
    const until = Date.now() + 300_000;
    for (;;) {
      const { rows: left } = await c.query(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'loyalty' AND status = 'pending' AND event_id >= $1`, [from]);
      if (left[0].n === 0 || Date.now() > until) break;
      await sleep(200);
    }
    const { rows: stats } = await c.query(
      `SELECT count(*) FILTER (WHERE status = 'done')::int AS done, extract(epoch FROM max(done_at) - min(done_at)) AS seconds
         FROM event_deliveries WHERE consumer = 'loyalty' AND event_id >= $1 AND event_id <= $2`,
      [from, Math.max(...ids)],
    );
    return { events: ids.length, done: stats[0].done as number, seconds: Number(stats[0].seconds) };
  });
  const capacity = backlog.done / Math.max(backlog.seconds, 0.001);
  lines.push(
    `  consumer capacity: a backlog of ${n(backlog.events)} reaction.added events (SQL, one commit) handled in ${backlog.seconds.toFixed(1)} s = ${capacity.toFixed(0)} events/s ` +
      `(${n(backlog.done)} done)  needed: >= ${ls.eventRate} events/s: ${capacity >= ls.eventRate ? 'ok' : 'MISS'}`,
  );
  if (backlog.done !== backlog.events) problems.push('consumer capacity: events left unhandled');
  const finalRec = await call<any>(baseUrl, 'GET', `${base}/reconciliation`, { token: admin });
  lines.push(`  reconciliation at the end: ${finalRec.accountsChecked} accounts, drift ${finalRec.driftFound}`);
  if (finalRec.driftFound !== 0) problems.push('reconciliation: drift');
  if (problems.length) lines.push(`  PROBLEMS: ${problems.join('; ')}`);
  return { lines, failed: problems.length > 0 };
}

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//.test(url)) {
    process.stderr.write('set DATABASE_URL=postgres://... ; the benchmark runs against PostgreSQL\n');
    return 1;
  }
  const scratch = await createScratchDatabase(url, 'hearth_bench');
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    server = await startServer({ databaseUrl: scratch.url, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, REGISTRATIONS_PER_IP_PER_HOUR: '1000000', LOGINS_PER_IP_PER_MINUTE: '1000000' } });
    const phase = await runLoyaltyPhase(server.baseUrl, scratch.url, readSettings(), readLoyaltySettings());
    process.stdout.write(phase.lines.join('\n') + '\n');
    return phase.failed ? 1 : 0;
  } finally {
    await server?.stop();
    await scratch.drop();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`loyalty bench failed: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
