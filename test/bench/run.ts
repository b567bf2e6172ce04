/**
 * `npm run bench`: HTTP throughput of selected routes against PostgreSQL.
 *
 * The server runs in a child process (node dist/src/main.js) on a scratch database, so autocannon and the
 * server do not share an event loop. Each route gets a warm-up then a measured run; the table compares
 * every route with the baseline (GET /health/ready, one `SELECT 1`) from the same run, which is what is
 * comparable across machines. Any non-2xx answer or socket error, or a run with no response at all, makes
 * the exit code 1. After each warm-up and each run the bench waits until the scratch database is idle:
 * what autocannon leaves in flight still runs on the server and would slow the next run down.
 *
 * The seed: an admin, a community, a member, a public discussion board (over HTTP), then BENCH_THREADS
 * threads and BENCH_POSTS posts bulk-inserted with SQL (test/support/seed.ts). Routes with a latency
 * target (p95) are measured a second time at BENCH_LATENCY_CONNECTIONS: 50 connections on a small machine
 * mostly measure queueing, and the targets are about a realistic load.
 *
 * Then Q&A: a qa board and a staff account (over HTTP), BENCH_QUESTIONS questions bulk-inserted with SQL
 * (about 75% answered by staff), and the staff reports (response times over the last 30 days, the
 * unanswered queue; each also filtered by one SKU) measured at both concurrencies. Their rows join the
 * first table; the low-concurrency runs make the latency table, judged on p97.5 (autocannon has no p95).
 *
 * After that the discussion board is grown to BENCH_LARGE_POSTS posts (same posts per thread) and the read
 * routes are measured again, each compared with its small-board figure (search then also covers the
 * questions and answers). Then the mixed phase (mixed.ts): reads of thread pages while members reply.
 * Last, the issue's targets next to the figures, and the server's memory after each phase (memory.ts:
 * the server runs with METRICS_PORT, and its RSS and V8 heap are read from there and from /proc).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *   BENCH_DURATION (s, default 10)  BENCH_CONNECTIONS (default 50)  BENCH_WARMUP (s, default 2)
 *   BENCH_LATENCY_CONNECTIONS (default 4)
 *   BENCH_THREADS (default 1000)  BENCH_POSTS (default 20000)  BENCH_QUESTIONS (default 100000; 0 skips Q&A)
 *   BENCH_LARGE_POSTS (default 1000000; 0 skips)  BENCH_KEEP=1 keeps the scratch database (URL on stderr)
 *   BENCH_MIXED_THREADS (default 200)  BENCH_MIXED_COMMUNITIES (default 10)  BENCH_MIXED_WRITE_RATE (default 20)  BENCH_MIXED_RUNS (default 1)  BENCH_MIXED_SETTLE (default 10 s idle before memory is sampled again)
 */
import { Client } from 'pg';
import { analyzeTables } from '../support/seed';
import { createScratchDatabase } from '../support/database';
import {
  BenchRoute,
  BenchSettings,
  call,
  failedRun,
  findFreePort,
  printLatencyTable,
  printTable,
  readSettings,
  RouteResult,
  RunningServer,
  runRoute,
  startServer,
  waitForDatabaseIdle,
  waitForWriteback,
} from './harness';
import { MemoryProbe } from './memory';
import { mixedFailed, readMixedSettings, runMixedPhase } from './mixed';
import { runSearchPhase, SearchPhase, searchReport, searchWritesFailed } from './search';
import { LoyaltyPhase, readLoyaltySettings, runLoyaltyPhase } from './loyalty';
import { scaleRatios, targetsReport } from './targets';
import { ADMIN, QA_SKU, QaSeeded, qaRoutes, ROUTE, routes, seed, SeededContext, seedQa, seedWithProgress } from './routes';

type Cleanup = () => Promise<void>;
const cleanups: Cleanup[] = [];
let cleaningUp: Promise<void> | null = null;

/** Runs the cleanups in reverse order, each once, reporting (not throwing) their failures. */
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`cleanup failed: ${err?.message ?? err}\n`);
      }
    }
  })();
  return cleaningUp;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

// ---------------------------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------------------------

interface SeedSettings {
  threads: number;
  posts: number;
  /** Posts in the board for the large run; 0 skips it. */
  largePosts: number;
  /** Questions in the Q&A board; 0 skips the Q&A routes. */
  questions: number;
}

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return Number(raw);
}

function readSeedSettings(): SeedSettings {
  const threads = intEnv('BENCH_THREADS', 1000, 1);
  const posts = intEnv('BENCH_POSTS', 20_000, 1);
  if (posts < threads) throw new Error(`BENCH_POSTS (${posts}) must be at least BENCH_THREADS (${threads}): every thread has a first post`);
  return { threads, posts, largePosts: intEnv('BENCH_LARGE_POSTS', 1_000_000, 0), questions: intEnv('BENCH_QUESTIONS', 100_000, 0) };
}

const n = (x: number) => x.toLocaleString('en-US');

async function boardCounts(databaseUrl: string, boardId: string): Promise<{ threads: number; posts: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ threads: number; posts: number }>(
      `SELECT (SELECT count(*) FROM threads WHERE board_id = $1)::int AS threads, (SELECT count(*) FROM posts WHERE board_id = $1)::int AS posts`,
      [boardId],
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

/** BENCH_ONLY: a regular expression over route names; the baseline always runs. */
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const selected = (route: BenchRoute) => route.baseline || !only || only.test(route.name);

async function measure(baseUrl: string, list: BenchRoute[], ctx: SeededContext, settings: BenchSettings, label = ''): Promise<RouteResult[]> {
  const results: RouteResult[] = [];
  for (const route of list.filter(selected)) {
    process.stderr.write(`${label}${route.name}: ${settings.warmup} s warm-up + ${settings.duration} s...\n`);
    // Between runs, let the server finish what autocannon left in flight, so no run measures the previous one's tail.
    const settle = async () => {
      const waited = await waitForDatabaseIdle(ctx.databaseUrl);
      if (waited >= 1) process.stderr.write(`  waited ${waited.toFixed(1)} s for the requests still running on the server\n`);
    };
    results.push(await runRoute(baseUrl, route, ctx, settings, { settle }));
  }
  return results;
}

/**
 * Fetches each Q&A route once as the staff account before it is measured, and prints what it answers:
 * the whole response-times body (the figures are over the seeded questions), a summary of the others.
 */
async function probeQa(baseUrl: string, ctx: SeededContext, qa: QaSeeded): Promise<void> {
  const lines = [
    '',
    `Q&A board with ${n(qa.questions)} seeded questions (${n(qa.staffAnswered)} answered by staff, ${n(qa.memberAccepted)} with an accepted member answer): ` +
      `seeded in ${qa.seedSeconds.toFixed(1)} s (${n(Math.round(qa.questions / qa.seedSeconds))} questions/s), VACUUM ANALYZE + CHECKPOINT ${qa.vacuumSeconds.toFixed(1)} s`,
  ];
  let printedBody = false;
  for (const route of qaRoutes) {
    const path = typeof route.path === 'function' ? route.path(ctx) : route.path;
    const body = await call<any>(baseUrl, 'GET', path, { token: qa.staffToken, expect: 200 });
    if (route.name === ROUTE.responseTimes || route.name === ROUTE.responseTimesSku) {
      if (!printedBody) {
        lines.push(`GET ${path} (staff) answered:`, JSON.stringify(body));
        printedBody = true;
      } else {
        const p = body.firstResponseSeconds ?? {};
        lines.push(`GET ${path}: questions ${n(body.questions)}, answered ${n(body.answered)}, p50 ${p.p50?.toFixed(0)} s, p90 ${p.p90?.toFixed(0)} s`);
      }
    } else {
      const items: { ageSeconds: number; productSkus: string[] }[] = body.items ?? [];
      const oldest = items[0] ? `${(items[0].ageSeconds / 86_400).toFixed(1)} days` : 'n/a';
      lines.push(`GET ${path}: ${items.length} items (oldest ${oldest}), next page: ${body.nextCursor ? 'yes' : 'no'}`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const baseDatabaseUrl = process.env.DATABASE_URL;
  if (!baseDatabaseUrl || !/^postgres(ql)?:\/\//.test(baseDatabaseUrl)) {
    process.stderr.write('set DATABASE_URL=postgres://... ; the benchmark runs against PostgreSQL\n');
    return 1;
  }
  const settings = readSettings();
  const sizes = readSeedSettings();
  const mixedSettings = readMixedSettings();
  const runStarted = Date.now();

  const scratch = await createScratchDatabase(baseDatabaseUrl, 'hearth_bench');
  // BENCH_KEEP=1 keeps the scratch database (its URL on stderr) to look at plans afterwards; drop it yourself.
  if (process.env.BENCH_KEEP === '1') process.stderr.write(`scratch database kept: ${scratch.url}\n`);
  else cleanups.push(() => scratch.drop());
  process.stderr.write(`scratch database ${describeDatabase(scratch.url)}\n`);

  const metricsPort = await findFreePort();
  const server: RunningServer = await startServer({
    databaseUrl: scratch.url,
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
      LOGINS_PER_IP_PER_MINUTE: '1000000',
      SEARCHES_PER_IP_PER_MINUTE: '1000000', // autocannon searches from one IP
      METRICS_PORT: String(metricsPort), // the server's memory, read after each phase
    },
  });
  cleanups.push(() => server.stop());
  process.stderr.write(`server pid ${server.pid} ready at ${server.baseUrl}\n`);
  const memory = new MemoryProbe(`http://127.0.0.1:${metricsPort}/metrics`, server.pid);
  await memory.sample('start-up (idle)');

  const ctx = await seed(server.baseUrl, scratch.url, { threads: sizes.threads, posts: sizes.posts });
  await memory.sample('seeding (idle)');

  const small = await measure(server.baseUrl, routes, ctx, settings);
  await memory.sample(`the routes, ${settings.connections} connections`);
  // The latency targets again at low concurrency, with the baseline for the floor; before the questions
  // are seeded, so search covers the same posts as in the row above.
  const lowSettings: BenchSettings = { ...settings, connections: settings.latencyConnections };
  const lowLabel = `[${lowSettings.connections} connections] `;
  const low = await measure(server.baseUrl, routes.filter((r) => r.baseline || r.p95TargetMs !== undefined), ctx, lowSettings, lowLabel);
  await memory.sample(`the routes, ${lowSettings.connections} connections`);
  const searchSmall = await runSearchPhase(ctx, settings, (name) => !only || only.test(name), 'small');

  let qa: QaSeeded | null = null;
  if (sizes.questions > 0) {
    process.stderr.write(`Q&A: a qa board, a staff account and ${n(sizes.questions)} questions\n`);
    qa = await seedQa(ctx, sizes.questions);
    await probeQa(server.baseUrl, ctx, qa);
    small.push(...(await measure(server.baseUrl, qaRoutes, ctx, settings)));
    low.push(...(await measure(server.baseUrl, qaRoutes, ctx, lowSettings, lowLabel)));
    await memory.sample('Q&A');
  }

  const smallTitle = [
    `board with ${n(sizes.posts)} seeded posts in ${n(sizes.threads)} threads ` +
      `(${n(sizes.posts)} posts in ${ctx.seedSeconds.toFixed(1)} s, VACUUM ANALYZE + CHECKPOINT ${ctx.vacuumSeconds.toFixed(1)} s)`,
    ...(qa
      ? [
          `Q&A rows (staff): qa board with ${n(qa.questions)} seeded questions ` +
            `(${n(qa.questions)} questions in ${qa.seedSeconds.toFixed(1)} s, VACUUM ANALYZE + CHECKPOINT ${qa.vacuumSeconds.toFixed(1)} s)`,
        ]
      : []),
  ].join('\n');
  printTable(small, settings, { title: smallTitle });

  const latencyTargets: Record<string, number | undefined> = Object.fromEntries(
    [...routes, ...qaRoutes].filter((r) => r.p95TargetMs !== undefined).map((r) => [r.name, r.p95TargetMs]),
  );
  const measuredTargets = low.filter((r) => latencyTargets[r.name] !== undefined);
  const targetNames = [...new Set(measuredTargets.map((r) => r.name.replace(/ sku$/, '')))];
  printLatencyTable(low, latencyTargets, {
    title: `latency at low concurrency: ${lowSettings.connections} connections (BENCH_LATENCY_CONNECTIONS), ${settings.duration} s per route, same data as above`,
    legend: [
      '',
      `targets (p95, from the issue): ${targetNames.map((name) => `${name} p95 < ${latencyTargets[name]} ms`).join(', ')}` +
        `${qa ? ` (also with ?sku=${QA_SKU})` : ''}.`,
      'autocannon reports no p95: it lies between p90 and p97.5, so ok/MISS is judged on p97.5 (conservative).',
    ],
  });

  let large: RouteResult[] | null = null;
  let searchLarge: SearchPhase | null = null;
  let largeLabel = '';
  if (sizes.largePosts > 0) {
    const before = await boardCounts(scratch.url, ctx.boardId);
    const extraPosts = sizes.largePosts - before.posts;
    const perThread = sizes.posts / sizes.threads;
    let seedNote = 'nothing to add';
    if (extraPosts > 0) {
      const extraThreads = Math.min(extraPosts, Math.max(1, Math.round(extraPosts / perThread)));
      process.stderr.write(`growing the board from ${n(before.posts)} to ${n(sizes.largePosts)} posts: +${n(extraThreads)} threads, +${n(extraPosts)} posts\n`);
      const { seconds } = await seedWithProgress(scratch.url, {
        communityId: ctx.communityId,
        boardId: ctx.boardId,
        authorIds: ctx.authorIds,
        threads: extraThreads,
        posts: extraPosts,
        label: 'seeding (large)',
      });
      const vacuumStarted = Date.now();
      await analyzeTables(scratch.url, { vacuum: true, checkpoint: true });
      const vacuumSeconds = (Date.now() - vacuumStarted) / 1000;
      const settled = await waitForWriteback();
      if (settled >= 1) process.stderr.write(`waited ${settled.toFixed(1)} s for the seed's writes to reach the disk\n`);
      seedNote = `+${n(extraPosts)} posts in ${seconds.toFixed(1)} s (${n(Math.round(extraPosts / seconds))} posts/s), VACUUM ANALYZE + CHECKPOINT ${vacuumSeconds.toFixed(1)} s`;
      process.stderr.write(`${seedNote}\n`);
    }
    const after = await boardCounts(scratch.url, ctx.boardId);
    largeLabel = after.posts >= 1_000_000 && after.posts % 1_000_000 === 0 ? `${(after.posts / 1_000_000).toFixed(0)}M` : n(after.posts);
    const again = routes.filter((r) => r.baseline || r.rerunAtScale);
    large = await measure(server.baseUrl, again, ctx, settings, `[${largeLabel}] `);
    await memory.sample(`${largeLabel} posts`);
    searchLarge = await runSearchPhase(ctx, settings, (name) => !only || only.test(name), largeLabel);
    printTable(large, settings, {
      title: `board with ${n(after.posts)} posts in ${n(after.threads)} threads (${seedNote})`,
      omitMachine: true,
    });
    const lines = [
      '',
      `${largeLabel} posts vs ${n(sizes.posts)} posts (target >= 80%). The machine's speed drifts between the two phases (the baseline: ` +
        `${large.find((r) => r.baseline)?.reqPerSec.toFixed(0)} vs ${small.find((r) => r.baseline)?.reqPerSec.toFixed(0)} req/s), so routes are ` +
        'compared by their ratio to the baseline of their own phase; raw req/s are shown too:',
    ];
    for (const p of scaleRatios(small, large)) {
      lines.push(
        `  ${p.name.padEnd(22)} ${p.largeRatio.toFixed(2)}x / ${p.smallRatio.toFixed(2)}x of baseline = ${(p.normalized * 100).toFixed(1).padStart(5)}%  ${p.normalized >= 0.8 ? 'ok  ' : 'MISS'}` +
          `   (raw ${p.large.toFixed(1)} / ${p.small.toFixed(1)} req/s = ${(p.raw * 100).toFixed(1)}%)`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  }

  const mixed = await runMixedPhase(ctx, settings, mixedSettings, (name) => !only || only.test(name), memory);
  // Loyalty (issue 15): its own community; BENCH_ONLY=loyalty selects it (see loyalty.ts).
  const loyalty: LoyaltyPhase | null = !only || only.test('loyalty') ? await runLoyaltyPhase(server.baseUrl, scratch.url, settings, readLoyaltySettings()) : null;

  const report = [
    ...memory.table(),
    '',
    ...targetsReport(small, large, largeLabel, low, latencyTargets, lowSettings.connections),
    ...searchReport(searchSmall, searchLarge),
    ...(loyalty?.lines ?? []),
    '',
    `total run time ${((Date.now() - runStarted) / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(report.join('\n') + '\n');

  const searchRuns = [searchSmall, searchLarge].flatMap((p) => p?.results ?? []);
  const failed = [...[...small, ...low, ...(large ?? []), ...searchRuns].filter(failedRun), ...mixed.filter(mixedFailed)];
  if (loyalty?.failed) failed.push({ name: 'loyalty' } as RouteResult);
  for (const phase of [searchSmall, searchLarge]) if (phase?.writes && searchWritesFailed(phase.writes)) failed.push({ name: 'search writes' } as RouteResult);
  if (failed.length) process.stderr.write(`FAILED: ${[...new Set(failed.map((r) => r.name))].join(', ')} had errors or no response\n`);
  return failed.length ? 1 : 0;
}

main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  });
