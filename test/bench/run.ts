/**
 * `npm run bench`: HTTP throughput of selected routes against PostgreSQL.
 *
 * The server runs in a child process (node dist/src/main.js) on a scratch database, so autocannon and the
 * server do not share an event loop. Each route gets a warm-up then a measured run; the table compares
 * every route with the baseline (GET /health/ready, one `SELECT 1`) from the same run, which is what is
 * comparable across machines. Any non-2xx answer or socket error makes the exit code 1.
 *
 * The seed: an admin, a community, a member, a public discussion board (over HTTP), then BENCH_THREADS
 * threads and BENCH_POSTS posts bulk-inserted with SQL (test/support/seed.ts). After the first table the
 * board is grown to BENCH_LARGE_POSTS posts (same posts per thread) and the read routes are measured
 * again, each compared with its small-board figure. Last, the targets next to the figures.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *   BENCH_DURATION (s, default 10)  BENCH_CONNECTIONS (default 50)  BENCH_WARMUP (s, default 2)
 *   BENCH_THREADS (default 1000)  BENCH_POSTS (default 20000)  BENCH_LARGE_POSTS (default 1000000; 0 skips)
 */
import { Client } from 'pg';
import { analyzeTables } from '../support/seed';
import { createScratchDatabase } from '../support/database';
import { BenchRoute, BenchSettings, formatMs, printTable, readSettings, RouteResult, RunningServer, runRoute, startServer } from './harness';
import { ADMIN, ROUTE, routes, seed, SeededContext, seedWithProgress } from './routes';

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
  return { threads, posts, largePosts: intEnv('BENCH_LARGE_POSTS', 1_000_000, 0) };
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

async function measure(baseUrl: string, list: BenchRoute[], ctx: SeededContext, settings: BenchSettings, label = ''): Promise<RouteResult[]> {
  const results: RouteResult[] = [];
  for (const route of list) {
    process.stderr.write(`${label}${route.name}: ${settings.warmup} s warm-up + ${settings.duration} s...\n`);
    results.push(await runRoute(baseUrl, route, ctx, settings));
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Targets (the issue's)
// ---------------------------------------------------------------------------------------------

const verdict = (ok: boolean | null) => (ok === null ? 'UNSURE' : ok ? 'ok' : 'MISS');

function targetsReport(small: RouteResult[], large: RouteResult[] | null, largeLabel: string): string[] {
  const find = (rs: RouteResult[] | null, name: string) => rs?.find((r) => r.name === name);
  const ratio = (rs: RouteResult[] | null, name: string) => {
    const r = find(rs, name);
    const base = rs?.find((x) => x.baseline);
    return r && base && base.reqPerSec > 0 ? r.reqPerSec / base.reqPerSec : null;
  };
  const rows: [string, string, string, string][] = [];

  for (const name of [ROUTE.threadPosts, ROUTE.boardThreads]) {
    const sizes = [
      ['small', ratio(small, name)],
      ['large', ratio(large, name)],
    ].filter(([, v]) => v !== null) as [string, number][];
    rows.push([name, '>= 0.50x baseline req/s', sizes.map(([s, v]) => `${s} ${v.toFixed(2)}x`).join(', '), verdict(sizes.length ? sizes.every(([, v]) => v >= 0.5) : null)]);
  }

  const reply = find(small, ROUTE.reply);
  if (reply) {
    rows.push([
      ROUTE.reply,
      '>= 1,000 req/s and p99 < 100 ms',
      `${reply.reqPerSec.toFixed(1)} req/s, p99 ${formatMs(reply.p99)} ms`,
      verdict(reply.reqPerSec >= 1000 && reply.p99 < 100 && reply.errors === 0),
    ]);
  }

  // autocannon has no p95: it lies between p90 and p97.5, so the verdict is sure only outside that range.
  const searchRuns = [
    ['small', find(small, ROUTE.search)],
    ['large', find(large, ROUTE.search)],
  ].filter(([, r]) => r) as [string, RouteResult][];
  if (searchRuns.length) {
    const sure = searchRuns.map(([, r]) => (r.p97_5 < 50 ? true : r.p90 >= 50 ? false : null));
    rows.push([
      ROUTE.search,
      'p95 < 50 ms (shown: p90 / p97.5)',
      searchRuns.map(([s, r]) => `${s} ${formatMs(r.p90)} / ${formatMs(r.p97_5)} ms`).join(', '),
      verdict(sure.includes(false) ? false : sure.includes(null) ? null : true),
    ]);
  }

  if (large) {
    const pcts = large
      .filter((r) => !r.baseline)
      .map((r) => {
        const s = find(small, r.name);
        return s && s.reqPerSec > 0 ? ([r.name, r.reqPerSec / s.reqPerSec] as const) : null;
      })
      .filter((x): x is readonly [string, number] => x !== null);
    rows.push([`${largeLabel}/small`, '>= 80% of small req/s', pcts.map(([name, p]) => `${name} ${(p * 100).toFixed(0)}%`).join(', '), verdict(pcts.every(([, p]) => p >= 0.8))]);
  }

  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return ['targets (from the issue; informational, they do not change the exit code):', ...rows.map((r) => `  ${r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join('   ')}`)];
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
  const runStarted = Date.now();

  const scratch = await createScratchDatabase(baseDatabaseUrl, 'hearth_bench');
  cleanups.push(() => scratch.drop());
  process.stderr.write(`scratch database ${describeDatabase(scratch.url)}\n`);

  const server: RunningServer = await startServer({
    databaseUrl: scratch.url,
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
      LOGINS_PER_IP_PER_MINUTE: '1000000',
    },
  });
  cleanups.push(() => server.stop());
  process.stderr.write(`server pid ${server.pid} ready at ${server.baseUrl}\n`);

  const ctx = await seed(server.baseUrl, scratch.url, { threads: sizes.threads, posts: sizes.posts });

  const small = await measure(server.baseUrl, routes, ctx, settings);
  const smallTitle =
    `board with ${n(sizes.posts)} seeded posts in ${n(sizes.threads)} threads ` +
    `(${n(sizes.posts)} posts in ${ctx.seedSeconds.toFixed(1)} s, VACUUM ANALYZE + CHECKPOINT ${ctx.vacuumSeconds.toFixed(1)} s)`;
  printTable(small, settings, { title: smallTitle });

  let large: RouteResult[] | null = null;
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
      seedNote = `+${n(extraPosts)} posts in ${seconds.toFixed(1)} s (${n(Math.round(extraPosts / seconds))} posts/s), VACUUM ANALYZE + CHECKPOINT ${vacuumSeconds.toFixed(1)} s`;
      process.stderr.write(`${seedNote}\n`);
    }
    const after = await boardCounts(scratch.url, ctx.boardId);
    largeLabel = after.posts >= 1_000_000 && after.posts % 1_000_000 === 0 ? `${(after.posts / 1_000_000).toFixed(0)}M` : n(after.posts);
    const again = routes.filter((r) => r.baseline || r.rerunAtScale);
    large = await measure(server.baseUrl, again, ctx, settings, `[${largeLabel}] `);
    printTable(large, settings, {
      title: `board with ${n(after.posts)} posts in ${n(after.threads)} threads (${seedNote})`,
      omitMachine: true,
    });
    const lines = ['', `${largeLabel} posts vs ${n(sizes.posts)} posts (req/s, target >= 80%):`];
    for (const r of large.filter((x) => !x.baseline)) {
      const s = small.find((x) => x.name === r.name);
      if (!s || s.reqPerSec <= 0) continue;
      const pct = (r.reqPerSec / s.reqPerSec) * 100;
      lines.push(`  ${r.name.padEnd(14)} ${r.reqPerSec.toFixed(1).padStart(9)} / ${s.reqPerSec.toFixed(1).padStart(9)} req/s = ${pct.toFixed(1).padStart(5)}%  ${pct >= 80 ? 'ok' : 'MISS'}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  }

  const report = ['', ...targetsReport(small, large, largeLabel), '', `total run time ${((Date.now() - runStarted) / 1000).toFixed(0)} s`];
  process.stdout.write(report.join('\n') + '\n');

  const failed = [...small, ...(large ?? [])].filter((r) => r.errors > 0);
  if (failed.length) process.stderr.write(`FAILED: ${[...new Set(failed.map((r) => r.name))].join(', ')} had errors\n`);
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
