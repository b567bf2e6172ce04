import { analyzeTables, ensureAuthors, progressBar, SEARCH_QUERY_EXAMPLE, seedBoard } from '../support/seed';
import { BenchContext, BenchRoute, call } from './harness';

/** Credentials the server is started with (run.ts passes them as ADMIN_EMAIL / ADMIN_PASSWORD). */
export const ADMIN = { email: 'bench-admin@hearth.test', password: 'bench admin password 1' };
export const MEMBER = { email: 'bench-member@hearth.test', password: 'bench member password 1', displayName: 'Bench' };
export const COMMUNITY = { slug: 'bench', name: 'Bench' };
export const BOARD = { slug: 'general', name: 'General', kind: 'discussion', visibility: 'public' };
/** Community settings so the benchmark's replies are not throttled (same as test/support/content.ts NO_LIMITS). */
export const NO_LIMITS = { postCooldownSeconds: 0, newMemberPostCooldownSeconds: 0, newMemberMaxLinks: 100 };
/** Two words of one seeded topic, so they co-occur in a realistic share of the posts. */
export const SEARCH_QUERY = SEARCH_QUERY_EXAMPLE;

export interface SeedSizes {
  /** Threads and posts of the first (small) seed: BENCH_THREADS, BENCH_POSTS. */
  threads: number;
  posts: number;
}

export interface SeededContext extends BenchContext {
  adminToken: string;
  memberToken: string;
  memberUserId: string;
  communitySlug: string;
  communityId: string;
  boardId: string;
  /** Everyone seeded threads and posts are attributed to: the member and the extra authors. */
  authorIds: string[];
  /** Seeded threads, oldest first. */
  threadIds: string[];
  /** The thread whose first page of posts is read (a seeded thread of about posts/threads posts). */
  readThreadId: string;
  databaseUrl: string;
  /** Bulk insert, then VACUUM (ANALYZE) + CHECKPOINT, of the first seed. */
  seedSeconds: number;
  vacuumSeconds: number;
}

/**
 * Builds the shared world every route can rely on: over HTTP the admin, one community, one member in it,
 * a public discussion board and cooldown-free settings; then threads and posts bulk-inserted with SQL.
 */
export async function seed(baseUrl: string, databaseUrl: string, sizes: SeedSizes): Promise<SeededContext> {
  const { accessToken: adminToken } = await call<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/login', { body: ADMIN, expect: 200 });
  const community = await call<{ id: string }>(baseUrl, 'POST', '/api/v1/communities', { body: COMMUNITY, token: adminToken, expect: 201 });
  const member = await call<{ accessToken: string; user: { id: string } }>(baseUrl, 'POST', '/api/v1/auth/register', { body: MEMBER, expect: 201 });
  const memberToken = member.accessToken;
  await call(baseUrl, 'POST', `/api/v1/communities/${COMMUNITY.slug}/join`, { token: memberToken, expect: 201 });
  const board = await call<{ id: string }>(baseUrl, 'POST', `/api/v1/communities/${COMMUNITY.slug}/boards`, { body: BOARD, token: adminToken, expect: 201 });
  await call(baseUrl, 'PATCH', `/api/v1/communities/${COMMUNITY.slug}/settings`, { body: NO_LIMITS, token: adminToken, expect: 200 });

  const authorIds = [member.user.id, ...(await ensureAuthors(databaseUrl, community.id, 19))];
  const { threadIds, seconds } = await seedWithProgress(databaseUrl, {
    communityId: community.id,
    boardId: board.id,
    authorIds,
    threads: sizes.threads,
    posts: sizes.posts,
    label: 'seeding',
  });
  const vacuumStarted = Date.now();
  await analyzeTables(databaseUrl, { vacuum: true, checkpoint: true });
  const vacuumSeconds = (Date.now() - vacuumStarted) / 1000;
  process.stderr.write(`seeded ${sizes.threads} threads, ${sizes.posts} posts in ${seconds.toFixed(1)} s, VACUUM ANALYZE + CHECKPOINT ${vacuumSeconds.toFixed(1)} s\n`);
  return {
    seedSeconds: seconds,
    vacuumSeconds,
    baseUrl,
    databaseUrl,
    adminToken,
    memberToken,
    memberUserId: member.user.id,
    communitySlug: COMMUNITY.slug,
    communityId: community.id,
    boardId: board.id,
    authorIds,
    threadIds,
    readThreadId: threadIds[0],
  };
}

/** seedBoard with a progress bar on stderr; returns the thread ids and the seconds it took. */
export async function seedWithProgress(
  databaseUrl: string,
  opts: { communityId: string; boardId: string; authorIds: string[]; threads: number; posts: number; label: string },
): Promise<{ threadIds: string[]; seconds: number }> {
  const progress = progressBar(opts.label);
  const started = Date.now();
  try {
    const { threadIds } = await seedBoard(databaseUrl, { ...opts, onProgress: (done, total) => progress.update(done, total) });
    return { threadIds, seconds: (Date.now() - started) / 1000 };
  } finally {
    progress.stop();
  }
}

const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
const seeded = (ctx: BenchContext) => ctx as SeededContext;

/** Row labels the report and the targets refer to. */
export const ROUTE = {
  health: 'health',
  threadPosts: 'thread posts',
  boardThreads: 'board threads',
  reply: 'reply',
  search: 'search',
} as const;

/**
 * The routes measured, in order. Add a row to benchmark a new route: `headers`, `path` and `body` take a value
 * or a function of the seeded context; `setup` runs once before the route (create what it reads, return overrides).
 * Routes with `rerunAtScale` are measured again after the large seed.
 */
export const routes: BenchRoute[] = [
  // Baseline: the cheapest request that still reaches the database (one `SELECT 1`).
  { name: ROUTE.health, method: 'GET', path: '/health/ready', baseline: true },
  { name: 'community', method: 'GET', path: `/api/v1/communities/${COMMUNITY.slug}` },
  { name: 'me', method: 'GET', path: '/api/v1/me', headers: (ctx) => bearer(ctx.memberToken) },
  // First page (20) of a seeded thread's posts, as a guest.
  { name: ROUTE.threadPosts, method: 'GET', path: (ctx) => `/api/v1/threads/${seeded(ctx).readThreadId}/posts?limit=20`, rerunAtScale: true },
  // First page of the board's threads, latest activity first, as a guest.
  { name: ROUTE.boardThreads, method: 'GET', path: (ctx) => `/api/v1/boards/${seeded(ctx).boardId}/threads?sort=latest`, rerunAtScale: true },
  // Replies by the member, to a thread of their own so the thread read above is not touched.
  {
    name: ROUTE.reply,
    method: 'POST',
    path: '/api/v1/threads/:id/posts',
    headers: (ctx) => bearer(ctx.memberToken),
    // Words outside the search query, so the replies do not change what the search route matches.
    body: { body: 'benchmark reply: works fine after the firmware update' },
    setup: async (ctx) => {
      const thread = await call<{ id: string }>(ctx.baseUrl, 'POST', `/api/v1/boards/${seeded(ctx).boardId}/threads`, {
        body: { title: 'Benchmark replies', body: 'Replies from the benchmark land here.' },
        token: String(ctx.memberToken),
        expect: 201,
      });
      ctx.replyThreadId = thread.id;
      return { path: `/api/v1/threads/${thread.id}/posts` };
    },
  },
  // Two words that co-occur in about 1.5% of the seeded posts, as a guest.
  { name: ROUTE.search, method: 'GET', path: `/api/v1/communities/${COMMUNITY.slug}/search?q=${encodeURIComponent(SEARCH_QUERY)}`, rerunAtScale: true },
];
