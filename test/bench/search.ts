/**
 * Search and suggestions at two sizes (issue 19): the board as first seeded (BENCH_POSTS, 20,000) and
 * grown to BENCH_LARGE_POSTS (1,000,000; seeded with set-based SQL by run.ts, then search_reindex()).
 * Each row runs at BENCH_LATENCY_CONNECTIONS (4) after the phase's own baseline (GET /health/ready), as a
 * guest, each request the next query of its list in turn:
 *   search common  two review words, each in about a fifth of the posts (the issue's "a word in 10% of posts" or more)
 *   search rare    two words of one product topic (each in about 2.5% of the posts, together in well under 1%)
 *   search suggest a title prefix, as typed
 *   search common, while members reply
 *                  the common queries again, while the seeded members reply to random seeded threads at
 *                  BENCH_SEARCH_WRITE_RATE replies/s in total (default 20; paced, see writer.ts): search
 *                  first reads the thread documents changed since its last look, and every reply changes one.
 *                  Run last, so the other rows search the board as seeded.
 * Rows are named `search ...`, so BENCH_ONLY='^search' selects them (with the routes table's own `search`).
 * The report: p50/p90/p97.5/p99 per size, the writes achieved during the measured run, the share of posts
 * each query's words are in, the large/small ratio (req/s over the phase's baseline, large vs small), and
 * the targets.
 */
import { Client } from 'pg';
import { sampleBody, seededRandom } from '../support/seed-text';
import { alignedTable, BenchRoute, BenchSettings, formatMs, latencyVerdict, measureCells, MEASURE_HEADER, RouteResult, runRoute, waitForDatabaseIdle } from './harness';
import { COMMUNITY, SeededContext } from './routes';
import { mintTokens } from './seeded-db';
import { PacedWriter, Write, WriteWindow } from './writer';

const searchPath = (q: string) => `/api/v1/communities/${COMMUNITY.slug}/search?q=${encodeURIComponent(q)}`;
const suggestPath = (q: string) => `/api/v1/communities/${COMMUNITY.slug}/search/suggest?q=${encodeURIComponent(q)}`;

export const SEARCH_QUERIES = {
  common: ['warranty refund', 'quality price', 'support shipping', 'review update', 'customer service', 'durable design'],
  rare: ['portafilter burr', 'limescale whistle', 'brushroll dustbin', 'autofocus tripod', 'derailleur saddle', 'rainfly stakes'],
  suggest: ['coffee grin', 'is the kettle', 'my laptop and', 'bike gea', 'printer ink', 'tent zip'],
} as const;

export const SEARCH_ROWS = {
  common: 'search common',
  rare: 'search rare',
  suggest: 'search suggest',
  commonWhileReplying: 'search common, while members reply',
} as const;
/** The issue's targets (p95 at 4 connections at the large size, and large/small). */
export const SEARCH_TARGETS = { searchP95Ms: 50, suggestP95Ms: 20, ratio: 0.8 } as const;

const rotating = (name: string, paths: readonly string[]): BenchRoute => ({
  name,
  method: 'GET',
  path: paths[0],
  rotate: () => paths.map((path) => ({ path })),
});

export const searchRoutes: BenchRoute[] = [
  { name: 'health', method: 'GET', path: '/health/ready', baseline: true },
  rotating(SEARCH_ROWS.common, SEARCH_QUERIES.common.map(searchPath)),
  rotating(SEARCH_ROWS.rare, SEARCH_QUERIES.rare.map(searchPath)),
  rotating(SEARCH_ROWS.suggest, SEARCH_QUERIES.suggest.map(suggestPath)),
  rotating(SEARCH_ROWS.commonWhileReplying, SEARCH_QUERIES.common.map(searchPath)),
];

/** BENCH_SEARCH_WRITE_RATE: replies per second, all members together, during `search common, while members reply`. */
export function readSearchWriteRate(env: Record<string, string | undefined> = process.env): number {
  const raw = env.BENCH_SEARCH_WRITE_RATE;
  if (raw === undefined || raw === '') return 20;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`BENCH_SEARCH_WRITE_RATE must be an integer >= 1 (got "${raw}")`);
  return Number(raw);
}

export interface SearchPhase {
  label: string;
  posts: number;
  results: RouteResult[];
  /** The replies sent during the measured run of the row with writes (null when it did not run). */
  writes: SearchWrites | null;
  /** Share of the posts that hold each word of the queries (from search_posts). */
  shares: Record<string, number>;
  /** Each row's req/s in every round, in order (the table shows the median round). */
  perRound: Record<string, number[]>;
}

/** Measures the search rows (those `select` accepts, and the baseline) at the latency concurrency. */
export async function runSearchPhase(
  ctx: SeededContext,
  settings: BenchSettings,
  select: (name: string) => boolean,
  label: string,
): Promise<SearchPhase | null> {
  const list = searchRoutes.filter((r) => r.baseline || select(r.name));
  if (list.length < 2) return null;
  const low: BenchSettings = { ...settings, connections: settings.latencyConnections };
  const rounds = readSearchRounds();
  const runs = new Map<string, { result: RouteResult; writes: SearchWrites | null }[]>(list.map((r) => [r.name, []]));
  // Rounds of every row in turn (the baseline included), so that a burst of noise on this shared machine
  // lands in one round of each row rather than on one row; each row then reports its median round.
  for (let round = 1; round <= rounds; round++) {
    for (const route of list) {
      process.stderr.write(`[${label}, ${low.connections} connections, round ${round}/${rounds}] ${route.name}: ${low.warmup} s warm-up + ${low.duration} s...\n`);
      if (route.name === SEARCH_ROWS.commonWhileReplying) {
        runs.get(route.name)!.push(await runWhileReplying(ctx, route, low, readSearchWriteRate()));
      } else {
        runs.get(route.name)!.push({ result: await runRoute(ctx.baseUrl, route, ctx, low, { settle: () => waitForDatabaseIdle(ctx.databaseUrl) }), writes: null });
      }
    }
  }
  const results: RouteResult[] = [];
  let writes: SearchWrites | null = null;
  const perRound: Record<string, number[]> = {};
  for (const route of list) {
    const all = runs.get(route.name)!;
    const median = [...all].sort((x, y) => x.result.reqPerSec - y.result.reqPerSec)[Math.floor((all.length - 1) / 2)];
    results.push(median.result);
    perRound[route.name] = all.map((r) => r.result.reqPerSec);
    // The median round's writes, unless a round's writes failed: then that round's, so that the failure shows.
    if (route.name === SEARCH_ROWS.commonWhileReplying) writes = all.find((r) => searchWritesFailed(r.writes))?.writes ?? median.writes;
  }
  const { posts, shares } = await wordShares(ctx.databaseUrl, ctx.communityId);
  return { label, posts, results, writes, shares, perRound };
}

/** BENCH_SEARCH_ROUNDS: how many times each search row (and the baseline) runs; the median round is reported. */
export function readSearchRounds(env: Record<string, string | undefined> = process.env): number {
  const raw = env.BENCH_SEARCH_ROUNDS;
  if (raw === undefined || raw === '') return 3;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`BENCH_SEARCH_ROUNDS must be an integer >= 1 (got "${raw}")`);
  return Number(raw);
}

export interface SearchWrites {
  /** Replies per second asked for (BENCH_SEARCH_WRITE_RATE). */
  rate: number;
  members: number;
  /** Over the measured run. */
  window: WriteWindow;
  /** Answers to every reply sent (warm-up included), by status. */
  statuses: Record<string, number>;
  problems: string[];
}

/** The writes of the row failed, were skipped, or none was answered: its figures are not "while members reply". */
export const searchWritesFailed = (w: SearchWrites | null) => w !== null && (w.window.failed > 0 || w.window.skipped > 0 || w.window.ok === 0);

/**
 * The row with writes: the seeded members (ctx.authorIds: the bench member and the seeded authors, all
 * members of the community, joined a year ago) reply to random seeded threads, with tokens minted for
 * this run. Not ctx.memberToken: access tokens last 15 minutes and it was issued at the first seed,
 * long before the 1M phase, where its replies would all answer 401; minted sessions last 6 hours.
 * Nothing else throttles replies here: the bench seed's settings have no cooldown, and posting has no
 * per-member rate limit (only edits do).
 *
 * runRoute runs it (probe, rotating queries, warm-up, measured run); its `settle` hook, awaited after
 * the warm-up and after the measured run, marks the writer instead of waiting for an idle database
 * (which never comes while the writer runs), so the writes' window is the measured run's. The writer
 * runs from before the warm-up to the end of the measured run; then the database settles as after
 * the other rows.
 */
async function runWhileReplying(ctx: SeededContext, route: BenchRoute, settings: BenchSettings, rate: number): Promise<{ result: RouteResult; writes: SearchWrites }> {
  const members = ctx.authorIds;
  const tokens = await mintTokens(ctx.databaseUrl, members);
  const random = seededRandom(19_000 + ctx.threadIds.length);
  // Write k: member k mod N replies to a random seeded thread, about that thread's topic (as seeded posts are).
  const next = (k: number): Write => {
    const t = Math.floor(random() * ctx.threadIds.length);
    return { path: `/api/v1/threads/${ctx.threadIds[t]}/posts`, token: tokens[k % tokens.length], body: { body: sampleBody(t, random) } };
  };
  const writer = new PacedWriter(ctx.baseUrl, next, rate);
  writer.start();
  const marks = [writer.mark()];
  let result: RouteResult;
  try {
    result = await runRoute(ctx.baseUrl, route, ctx, settings, { settle: async () => void marks.push(writer.mark()) });
  } finally {
    await writer.stop();
  }
  await waitForDatabaseIdle(ctx.databaseUrl);
  // Marks: the start, the end of the warm-up (if any), the end of the measured run; the window is the last two.
  const window = writer.window(marks[marks.length - 2], marks[marks.length - 1]);
  return { result, writes: { rate, members: members.length, window, statuses: writer.statuses, problems: writer.problems } };
}

async function wordShares(databaseUrl: string, communityId: string): Promise<{ posts: number; shares: Record<string, number> }> {
  const words = [...new Set([...SEARCH_QUERIES.common, ...SEARCH_QUERIES.rare].flatMap((q) => q.split(' ')))];
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ word: string; n: number; total: number }>(
      `SELECT w AS word,
              (SELECT count(*) FROM search_posts p WHERE p.community_id = $1 AND p.document @@ to_tsquery('english', w))::int AS n,
              (SELECT count(*) FROM search_posts p WHERE p.community_id = $1)::int AS total
         FROM unnest($2::text[]) AS w`,
      [communityId, words],
    );
    const total = rows[0]?.total ?? 0;
    return { posts: total, shares: Object.fromEntries(rows.map((r) => [r.word, total ? r.n / total : 0])) };
  } finally {
    await client.end();
  }
}

/** The report: one table per size, the shares of the words, the large/small ratios, and the targets. */
export function searchReport(small: SearchPhase | null, large: SearchPhase | null): string[] {
  const phases = [small, large].filter((p): p is SearchPhase => p !== null);
  if (!phases.length) return [];
  const lines: string[] = [
    '',
    "search and suggest at BENCH_LATENCY_CONNECTIONS (each request the next query of its row's list, as a guest; " +
      `"while members reply": the common queries while seeded members reply to random seeded threads at BENCH_SEARCH_WRITE_RATE/s)`,
  ];
  const rows = phases.flatMap((p) => {
    const base = p.results.find((r) => r.baseline);
    return p.results.map((r) => [`${p.label} (${p.posts.toLocaleString('en-US')} posts)`, r.name, ...measureCells(r, base)]);
  });
  lines.push(...alignedTable(['size', 'name', ...MEASURE_HEADER], rows));
  for (const p of phases) {
    const rounds = Object.entries(p.perRound).map(([name, values]) => `${name} ${values.map((v) => v.toFixed(0)).join('/')}`);
    lines.push(`${p.label}: req/s in each round (BENCH_SEARCH_ROUNDS; the table shows each row's median round): ${rounds.join(', ')}`);
  }
  for (const p of phases) if (p.writes) lines.push(...writesLines(p));
  for (const p of phases) {
    lines.push(`${p.label}: share of posts holding each word: ${Object.entries(p.shares).map(([w, s]) => `${w} ${(s * 100).toFixed(1)}%`).join(', ')}`);
  }
  lines.push('', ...searchTargetRows(small, large));
  return lines;
}

/** What the writer achieved during the measured run of the row with writes, and why writes failed. */
function writesLines(p: SearchPhase): string[] {
  const w = p.writes!;
  const x = w.window;
  const lines = [
    `${p.label}: ${SEARCH_ROWS.commonWhileReplying}: ${w.members} members replied at ${x.ratePerSec.toFixed(1)}/s (asked ${w.rate}/s, BENCH_SEARCH_WRITE_RATE) ` +
      `over the measured ${x.seconds.toFixed(1)} s: ${x.ok} ok, write p50 ${formatMs(Math.round(x.p50))} / p99 ${formatMs(Math.round(x.p99))} ms, ` +
      `${x.failed} failed, ${x.skipped} skipped (100 pending); all replies by status ${JSON.stringify(w.statuses)}`,
  ];
  if (searchWritesFailed(w)) lines.push(`! ${p.label}: ${SEARCH_ROWS.commonWhileReplying}: the writes did not all succeed; the row does not measure searches under writes`);
  return [...lines, ...w.problems.map((problem) => `  ${problem}`)];
}

/** The targets: p95 (judged on p97.5) at the large size, and large/small by each phase's baseline. */
export function searchTargetRows(small: SearchPhase | null, large: SearchPhase | null): string[] {
  const rows: string[] = ['search targets (issue 19; informational):'];
  const ratio = (p: SearchPhase | null, name: string) => {
    const r = p?.results.find((x) => x.name === name);
    const base = p?.results.find((x) => x.baseline);
    return r && base && base.reqPerSec > 0 ? r.reqPerSec / base.reqPerSec : null;
  };
  const at = large ?? small;
  for (const name of Object.values(SEARCH_ROWS)) {
    const r = at?.results.find((x) => x.name === name);
    if (!r || !at) continue;
    const target = name === SEARCH_ROWS.suggest ? SEARCH_TARGETS.suggestP95Ms : SEARCH_TARGETS.searchP95Ms;
    // Under writes, a run whose writes failed is no verdict on searches while members reply.
    const writesOk = name !== SEARCH_ROWS.commonWhileReplying || !searchWritesFailed(at.writes);
    const verdict = writesOk ? latencyVerdict(r, target) : 'MISS (writes failed)';
    rows.push(`  ${name} @${at.label}: p95 < ${target} ms (judged on p97.5): p90 ${formatMs(r.p90)} / p97.5 ${formatMs(r.p97_5)} ms  ${verdict}`);
    const s = ratio(small, name);
    const l = ratio(large, name);
    if (small && large && s && l) {
      const normalized = l / s;
      // The issue sets the large/small ratio for search; suggestions have only their p95 target.
      const target = name === SEARCH_ROWS.suggest ? 'no target' : `>= ${SEARCH_TARGETS.ratio * 100}%`;
      const verdict = name === SEARCH_ROWS.suggest ? '' : normalized >= SEARCH_TARGETS.ratio ? 'ok' : 'MISS';
      rows.push(`  ${name} ${large.label}/${small.label}: ${target}: ${l.toFixed(2)}x / ${s.toFixed(2)}x of baseline = ${(normalized * 100).toFixed(1)}%  ${verdict}`.trimEnd());
    }
  }
  return rows;
}
