/**
 * The mixed phase (issue 21, item 3): reads of a community that is being written to.
 *
 * A board of BENCH_MIXED_THREADS threads of 20 posts in the bench community (community 1) is read at
 * BENCH_CONNECTIONS: each request the first page (`GET /api/v1/threads/:id/posts?limit=20`, the page the
 * thread-posts rows read) of a random one of those threads, as a guest (the guest cache may answer) or as
 * one of 10 reader members in turn (never cached). Each is measured three ways: with no writes; while 10
 * members reply at BENCH_MIXED_WRITE_RATE replies per second in total to random threads of that board
 * (a paced writer, see writer.ts); and while the same writes are spread over BENCH_MIXED_COMMUNITIES
 * communities (community 1 and others, each with a board like it: write k goes to community k mod N, so
 * community 1 gets 1/N of them). The phase has its own baseline (GET /health/ready), measured first.
 *
 * Printed: req/s, p50 and p99 of the reads, the guest cache's hit rate (the `x-cache: HIT`/`MISS` headers
 * the readers got in the measured run), the achieved write rate and the writes' p99 over the same window,
 * each row's ratio to the phase's baseline, then the issue's targets. Rows are named `mixed ...`, so
 * BENCH_ONLY selects them like any other row; seeding is skipped when none is selected, and the other
 * communities when no spread row is.
 */
import autocannon from 'autocannon';
import { analyzeTables, ensureAuthors, sampleBody, seededRandom } from '../support/seed';
import { BenchSettings, call, failedRun, formatMs, RouteResult, runRoute, toRouteResult, waitForDatabaseIdle, waitForWriteback } from './harness';
import { MemoryProbe, RSS_TARGET_MB } from './memory';
import { ADMIN, COMMUNITY, NO_LIMITS, SeededContext, seedWithProgress } from './routes';
import { PacedWriter, Write, WriteWindow } from './writer';

export interface MixedSettings {
  threads: number;
  /** Communities the spread writes go to (community 1 included). */
  communities: number;
  /** Replies per second, all writers together. */
  writeRate: number;
  /** How many times the whole phase runs (memory after each: does it grow?). */
  runs: number;
  /** Seconds idle after each run before memory is sampled again. */
  settleSeconds: number;
}

export const MIXED_POSTS_PER_THREAD = 20;
export const MIXED_WRITERS = 10;
export const MIXED_READERS = 10;
const PAGE = (threadId: string) => `/api/v1/threads/${threadId}/posts?limit=20`;

function intEnv(env: Record<string, string | undefined>, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return Number(raw);
}

export function readMixedSettings(env: Record<string, string | undefined> = process.env): MixedSettings {
  return {
    threads: intEnv(env, 'BENCH_MIXED_THREADS', 200, 1),
    communities: intEnv(env, 'BENCH_MIXED_COMMUNITIES', 10, 2),
    writeRate: intEnv(env, 'BENCH_MIXED_WRITE_RATE', 20, 1),
    runs: intEnv(env, 'BENCH_MIXED_RUNS', 1, 1),
    settleSeconds: intEnv(env, 'BENCH_MIXED_SETTLE', 10, 0),
  };
}

type Reader = 'guest' | 'member';
type Writes = 'none' | 'one' | 'spread';
interface Row {
  name: string;
  reader: Reader;
  writes: Writes;
}

/** The rows, in the order they run: without writes first (the comparison), then under writes. */
export function mixedRows(s: MixedSettings): Row[] {
  const suffix: Record<Writes, string> = { none: '', one: ', writes', spread: `, writes in ${s.communities} communities` };
  const rows: Row[] = [];
  for (const writes of ['none', 'one', 'spread'] as Writes[]) {
    for (const reader of ['guest', 'member'] as Reader[]) rows.push({ name: `mixed ${reader}${suffix[writes]}`, reader, writes });
  }
  return rows;
}

interface World {
  /** [0] is community 1 (the one read); the others only get writes. */
  communities: Array<{ slug: string; id: string; threadIds: string[] }>;
  readers: Account[];
  writers: Account[];
  seedSeconds: number;
  /** VACUUM ANALYZE + CHECKPOINT, and the wait for the disk's writeback. */
  vacuumSeconds: number;
}

interface Account {
  email: string;
  password: string;
  token: string;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function register(baseUrl: string, email: string, name: string, communitySlugs: string[]): Promise<Account> {
  const password = `${email} password`;
  const { accessToken } = await call<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/register', { body: { email, password, displayName: name }, expect: 201 });
  for (const slug of communitySlugs) await call(baseUrl, 'POST', `/api/v1/communities/${slug}/join`, { token: accessToken, expect: 201 });
  return { email, password, token: accessToken };
}

/** Fresh access tokens (they last 15 minutes) for a run after the first. */
async function logIn(baseUrl: string, accounts: Account[]): Promise<void> {
  for (const a of accounts) {
    a.token = (await call<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: a.password }, expect: 200 })).accessToken;
  }
}

/**
 * Over HTTP: a public board `mixed` in community 1, and with `spread` communities 2..N (each with a board
 * and cooldown-free settings); the writers (members of all of them) and the readers (of community 1).
 * Then the threads and posts of each board with SQL, and VACUUM ANALYZE + CHECKPOINT.
 */
async function seedWorld(ctx: SeededContext, s: MixedSettings, spread: boolean): Promise<World> {
  const { baseUrl, databaseUrl } = ctx;
  const admin = (await call<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/login', { body: ADMIN, expect: 200 })).accessToken;
  const board = { slug: 'mixed', name: 'Mixed', kind: 'discussion', visibility: 'public' };
  const places: Array<{ slug: string; id: string; boardId: string }> = [];
  const first = await call<{ id: string }>(baseUrl, 'POST', `/api/v1/communities/${COMMUNITY.slug}/boards`, { body: board, token: admin, expect: 201 });
  places.push({ slug: COMMUNITY.slug, id: ctx.communityId, boardId: first.id });
  for (let i = 2; spread && i <= s.communities; i++) {
    const slug = `${COMMUNITY.slug}-${i}`;
    const community = await call<{ id: string }>(baseUrl, 'POST', '/api/v1/communities', { body: { slug, name: `${COMMUNITY.name} ${i}` }, token: admin, expect: 201 });
    const b = await call<{ id: string }>(baseUrl, 'POST', `/api/v1/communities/${slug}/boards`, { body: board, token: admin, expect: 201 });
    await call(baseUrl, 'PATCH', `/api/v1/communities/${slug}/settings`, { body: NO_LIMITS, token: admin, expect: 200 });
    places.push({ slug, id: community.id, boardId: b.id });
  }
  const started = Date.now();
  const communities: World['communities'] = [];
  for (const p of places) {
    const authorIds = await ensureAuthors(databaseUrl, p.id, 20);
    const { threadIds } = await seedWithProgress(databaseUrl, {
      communityId: p.id,
      boardId: p.boardId,
      authorIds,
      threads: s.threads,
      posts: s.threads * MIXED_POSTS_PER_THREAD,
      label: `seeding ${p.slug}/mixed`,
    });
    communities.push({ slug: p.slug, id: p.id, threadIds });
  }
  const seedSeconds = (Date.now() - started) / 1000;
  const vacuumStarted = Date.now();
  await analyzeTables(databaseUrl, { vacuum: true, checkpoint: true });
  await waitForWriteback();
  const vacuumSeconds = (Date.now() - vacuumStarted) / 1000;
  const slugs = communities.map((c) => c.slug);
  const writers: Account[] = [];
  for (let i = 0; i < MIXED_WRITERS; i++) writers.push(await register(baseUrl, `bench-writer-${i}@hearth.test`, `Writer ${i}`, slugs));
  const readers: Account[] = [];
  for (let i = 0; i < MIXED_READERS; i++) readers.push(await register(baseUrl, `bench-reader-${i}@hearth.test`, `Reader ${i}`, [COMMUNITY.slug]));
  return { communities, readers, writers, seedSeconds, vacuumSeconds };
}

/** Write k: with `one`, writer k mod 10 to a random thread of community 1; spread, community k mod N and writer (k div N) mod 10. */
function writes(world: World, mode: Exclude<Writes, 'none'>, seed: number): (k: number) => Write {
  const random = seededRandom(seed);
  const n = mode === 'one' ? 1 : world.communities.length;
  return (k) => {
    const community = world.communities[k % n];
    const writer = world.writers[Math.floor(k / n) % world.writers.length];
    const t = Math.floor(random() * community.threadIds.length);
    return { path: `/api/v1/threads/${community.threadIds[t]}/posts`, token: writer.token, body: { body: sampleBody(t, random) } };
  };
}

export interface MixedResult extends RouteResult {
  hits: number;
  misses: number;
  writes: WriteWindow | null;
  writeProblems: string[];
}

/** One row: a warm-up and a measured run of random thread pages, with the writer running throughout when the row has writes. */
async function runRow(world: World, row: Row, s: MixedSettings, settings: BenchSettings, ctx: SeededContext, seed: number): Promise<MixedResult> {
  const threads = world.communities[0].threadIds;
  const random = seededRandom(seed);
  const page = () => PAGE(threads[Math.floor(random() * threads.length)]);
  let turn = 0;
  const headers = () => (row.reader === 'member' ? bearer(world.readers[turn++ % world.readers.length].token) : {});
  const counts = { hits: 0, misses: 0 };
  const options: autocannon.Options = {
    url: ctx.baseUrl + page(),
    method: 'GET',
    connections: settings.connections,
    title: row.name,
    requests: [
      {
        setupRequest: (req) => ({ ...req, path: page(), headers: headers() }),
        onResponse: (_status, _body, _context, h) => {
          const cache = h['x-cache'] ?? h['X-Cache'];
          if (cache === 'HIT') counts.hits++;
          else if (cache === 'MISS') counts.misses++;
        },
      },
    ],
  };
  // One plain request first, so a failing row shows why.
  const probe = await fetch(ctx.baseUrl + page(), { headers: headers() });
  if (probe.status !== 200) process.stderr.write(`! ${row.name}: answered ${probe.status}: ${(await probe.text()).slice(0, 300)}\n`);
  else await probe.arrayBuffer();

  const writer = row.writes === 'none' ? null : new PacedWriter(ctx.baseUrl, writes(world, row.writes, seed + 1), s.writeRate);
  writer?.start();
  let window: WriteWindow | null = null;
  let r: autocannon.Result;
  try {
    if (settings.warmup > 0) await autocannon({ ...options, duration: settings.warmup });
    counts.hits = counts.misses = 0;
    const from = writer?.mark();
    r = await autocannon({ ...options, duration: settings.duration });
    if (writer && from) window = writer.window(from, writer.mark());
  } finally {
    await writer?.stop();
  }
  await waitForDatabaseIdle(ctx.databaseUrl);
  return {
    ...toRouteResult({ name: row.name, method: 'GET', path: PAGE(':id'), baseline: false }, r),
    ...counts,
    writes: window,
    writeProblems: writer?.problems ?? [],
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function formatMixedTable(results: MixedResult[]): string[] {
  const base = results.find((r) => r.baseline);
  const header = ['name', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'x-cache HIT', 'writes/s', 'write p99 ms', 'write errors', 'vs baseline'];
  const rows = results.map((r) => [
    r.name,
    r.reqPerSec.toFixed(1),
    formatMs(r.p50),
    formatMs(r.p99),
    String(r.errors),
    r.hits + r.misses > 0 ? `${pct(r.hits / (r.hits + r.misses))} of ${(r.hits + r.misses).toLocaleString('en-US')}` : '-',
    r.writes ? r.writes.ratePerSec.toFixed(1) : '-',
    r.writes ? formatMs(Math.round(r.writes.p99)) : '-',
    r.writes ? String(r.writes.failed + r.writes.skipped) : '-',
    base && base.reqPerSec > 0 ? `${(r.reqPerSec / base.reqPerSec).toFixed(2)}x` : 'n/a',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'ok' : 'MISS');

function targetLines(results: MixedResult[], rows: Row[], rssAfter: number | null): string[] {
  const get = (reader: Reader, w: Writes) => results.find((r) => r.name === rows.find((x) => x.reader === reader && x.writes === w)?.name);
  const base = results.find((r) => r.baseline);
  const out: [string, string, string, string][] = [];
  const quiet = get('guest', 'none');
  for (const w of ['one', 'spread'] as Writes[]) {
    const busy = get('guest', w);
    if (!busy) continue;
    const share = quiet && quiet.reqPerSec > 0 ? busy.reqPerSec / quiet.reqPerSec : null;
    out.push([`${busy.name} / ${quiet?.name ?? 'mixed guest (not run)'}`, '>= 80%', share === null ? 'n/a' : pct(share), verdict(share === null ? null : share >= 0.8)]);
  }
  for (const w of ['none', 'one', 'spread'] as Writes[]) {
    const r = get('member', w);
    if (!r) continue;
    const ratio = base && base.reqPerSec > 0 ? r.reqPerSec / base.reqPerSec : null;
    out.push([r.name, '>= 0.50x baseline', ratio === null ? 'n/a' : `${ratio.toFixed(2)}x`, verdict(ratio === null ? null : ratio >= 0.5)]);
  }
  out.push(['server RSS after the mixed phase', `< ${RSS_TARGET_MB} MB`, rssAfter === null ? 'n/a' : `${(rssAfter / 1e6).toFixed(0)} MB`, verdict(rssAfter === null ? null : rssAfter < RSS_TARGET_MB * 1e6)]);
  const widths = [0, 1, 2].map((i) => Math.max(...out.map((r) => r[i].length)));
  return ['targets (issue 21; informational, they do not change the exit code):', ...out.map((r) => `  ${r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join('   ')}`)];
}

/** A run of the phase with errors (reads or writes) or no response: the exit code becomes 1. */
export const mixedFailed = (r: MixedResult) => failedRun(r) || (r.writes !== null && (r.writes.failed > 0 || r.writes.ok === 0));

/**
 * Seeds what the phase reads and writes (once), then runs it `s.runs` times: the baseline, then the
 * selected rows, printing a table and the targets after each run and sampling the server's memory.
 * Returns every row measured (for the exit code); [] when no row is selected.
 */
export async function runMixedPhase(ctx: SeededContext, settings: BenchSettings, s: MixedSettings, selected: (name: string) => boolean, memory: MemoryProbe): Promise<MixedResult[]> {
  const rows = mixedRows(s).filter((r) => selected(r.name));
  if (!rows.length) return [];
  const phaseStarted = Date.now();
  const spread = rows.some((r) => r.writes === 'spread');
  process.stderr.write(`mixed phase: seeding ${spread ? s.communities : 1} board(s) of ${s.threads} threads x ${MIXED_POSTS_PER_THREAD} posts\n`);
  const world = await seedWorld(ctx, s, spread);
  const all: MixedResult[] = [];
  for (let run = 1; run <= s.runs; run++) {
    const runStarted = Date.now();
    if (run > 1) await logIn(ctx.baseUrl, [...world.readers, ...world.writers]);
    const label = s.runs > 1 ? `[mixed ${run}/${s.runs}] ` : '';
    process.stderr.write(`${label}health: ${settings.warmup} s warm-up + ${settings.duration} s...\n`);
    const baseline = await runRoute(ctx.baseUrl, { name: 'health', method: 'GET', path: '/health/ready', baseline: true }, ctx, settings, {
      settle: () => waitForDatabaseIdle(ctx.databaseUrl),
    });
    const results: MixedResult[] = [{ ...baseline, hits: 0, misses: 0, writes: null, writeProblems: [] }];
    for (const [i, row] of rows.entries()) {
      process.stderr.write(`${label}${row.name}: ${settings.warmup} s warm-up + ${settings.duration} s...\n`);
      results.push(await runRow(world, row, s, settings, ctx, 1000 * run + i));
    }
    const sampleLabel = s.runs > 1 ? `mixed phase, run ${run}` : 'mixed phase';
    const sample = await memory.sample(sampleLabel);
    // And once the load is gone (V8 gives pages back after a while idle): what the server holds between bursts.
    await new Promise((r) => setTimeout(r, s.settleSeconds * 1000));
    await memory.sample(`${sampleLabel} + ${s.settleSeconds} s idle`);
    const seconds = (Date.now() - (run === 1 ? phaseStarted : runStarted)) / 1000;
    const spreadNote = spread ? `; spread rows: community k mod ${world.communities.length} (community 1 gets 1/${world.communities.length} of the writes)` : '';
    const out = [
      '',
      `mixed phase${s.runs > 1 ? `, run ${run} of ${s.runs}` : ''}: ${settings.connections} connections read GET ${PAGE(':id')} of a random one of ${s.threads} threads ` +
        `(${MIXED_POSTS_PER_THREAD} posts each) in community 1, as a guest or as one of ${MIXED_READERS} members in turn; ` +
        `"writes": ${MIXED_WRITERS} members reply at ${s.writeRate}/s in total (paced) to random threads of that board${spreadNote}`,
      `seeded ${world.communities.length} board(s) in ${world.seedSeconds.toFixed(1)} s, VACUUM ANALYZE + CHECKPOINT ${world.vacuumSeconds.toFixed(1)} s; this run took ${seconds.toFixed(0)} s${run === 1 ? ' with the seeding' : ''}`,
      `x-cache HIT: share of the guest answers in the measured run served by the guest cache; writes/s: replies answered 2xx per second over the measured run`,
      '',
      ...formatMixedTable(results),
      ...results.flatMap((r) => [
        ...(failedRun(r) ? [`! ${r.name}: ${r.errors} errors (status counts ${JSON.stringify(r.statusCodes)}; socket errors ${r.socketErrors}; timeouts ${r.timeouts})`] : []),
        ...(r.writes && (r.writes.failed || r.writes.skipped) ? [`! ${r.name}: ${r.writes.failed} writes failed, ${r.writes.skipped} skipped (100 pending)`] : []),
        ...r.writeProblems.map((p) => `  ${p}`),
      ]),
      '',
      ...targetLines(results, mixedRows(s), sample.rss ?? sample.procRss),
    ];
    process.stdout.write(out.join('\n') + '\n');
    all.push(...results);
  }
  return all;
}
