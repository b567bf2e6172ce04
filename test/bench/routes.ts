import { analyzeTables, ensureAuthors, progressBar, sampleBody, SEARCH_QUERY_EXAMPLE, seedBoard, seededRandom, seedQuestions } from '../support/seed';
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
/** The Q&A board the questions are seeded into, and the staff account that reads the Q&A reports. */
export const QA_BOARD = { slug: 'questions', name: 'Questions', kind: 'qa', visibility: 'public' };
export const STAFF = { email: 'bench-staff@hearth.test', password: 'bench staff password 1', displayName: 'Bench staff' };
/** Extra staff accounts (SQL, no password) the seeded staff answers are spread over, besides STAFF. */
export const EXTRA_STAFF = 4;
/** The spread reply route: members taking turns, and the seeded threads they reply to. */
export const REPLY_MEMBERS = 50;
export const REPLY_THREADS = 200;
/** One of the 50 seeded SKUs (about 2% of the questions). */
export const QA_SKU = 'SKU-7';

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
type Rotation = Array<{ path: string; headers: Record<string, string>; body: string }>;
/** Reply bodies like the seeded posts' (so the newest posts read like the rest), one per topic in turn. */
const replyBodies = (n: number) => {
  const random = seededRandom(7);
  return Array.from({ length: n }, (_, k) => ({ body: JSON.stringify({ body: sampleBody(k, random) }) }));
};
const seeded = (ctx: BenchContext) => ctx as SeededContext;

/** Row labels the report and the targets refer to. */
export const ROUTE = {
  health: 'health',
  threadPosts: 'thread posts',
  boardThreads: 'board threads',
  threadPostsMember: 'thread posts, member',
  boardThreadsMember: 'board threads, member',
  reply: 'reply',
  replyHotThread: 'reply, one thread',
  search: 'search',
  responseTimes: 'response-times',
  responseTimesSku: 'response-times sku',
  unanswered: 'unanswered',
  unansweredSku: 'unanswered sku',
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
  // First page (20) of a seeded thread's posts, as a guest (served from the guest cache after the first request).
  { name: ROUTE.threadPosts, method: 'GET', path: (ctx) => `/api/v1/threads/${seeded(ctx).readThreadId}/posts?limit=20`, rerunAtScale: true },
  // First page of the board's threads, latest activity first, as a guest.
  { name: ROUTE.boardThreads, method: 'GET', path: (ctx) => `/api/v1/boards/${seeded(ctx).boardId}/threads?sort=latest`, rerunAtScale: true },
  // The same two pages as a logged-in member: never from the guest cache (the member's own reactions and
  // votes are on the page), so these rows measure the database path every time.
  {
    name: ROUTE.threadPostsMember,
    method: 'GET',
    path: (ctx) => `/api/v1/threads/${seeded(ctx).readThreadId}/posts?limit=20`,
    headers: (ctx) => bearer(ctx.memberToken),
    rerunAtScale: true,
  },
  {
    name: ROUTE.boardThreadsMember,
    method: 'GET',
    path: (ctx) => `/api/v1/boards/${seeded(ctx).boardId}/threads?sort=latest`,
    headers: (ctx) => bearer(ctx.memberToken),
    rerunAtScale: true,
  },
  // Two words that co-occur in about 1.5% of the seeded posts, as a guest; before the replies, so it searches
  // the seeded board as seeded. test/bench/search.ts measures common and rare words and suggestions at both sizes.
  {
    name: ROUTE.search,
    method: 'GET',
    path: `/api/v1/communities/${COMMUNITY.slug}/search?q=${encodeURIComponent(SEARCH_QUERY)}`,
    rerunAtScale: true,
    p95TargetMs: 50,
  },
  // Replies as a busy community sends them: REPLY_MEMBERS members taking turns, each request to the next of
  // REPLY_THREADS seeded threads (not the thread read above), so requests queue on a thread's row lock only
  // as often as real traffic would.
  {
    name: ROUTE.reply,
    method: 'POST',
    path: '/api/v1/threads/:id/posts',
    body: { body: 'replaced by the rotation' },
    setup: async (ctx) => {
      const c = seeded(ctx);
      const tokens: string[] = [];
      for (let i = 0; i < REPLY_MEMBERS; i++) {
        const m = await call<{ accessToken: string }>(ctx.baseUrl, 'POST', '/api/v1/auth/register', {
          body: { email: `bench-replier-${i}@hearth.test`, password: `bench replier password ${i}`, displayName: `Replier ${i}` },
          expect: 201,
        });
        await call(ctx.baseUrl, 'POST', `/api/v1/communities/${COMMUNITY.slug}/join`, { token: m.accessToken, expect: 201 });
        tokens.push(m.accessToken);
      }
      const threads = c.threadIds.filter((id) => id !== c.readThreadId).slice(0, REPLY_THREADS);
      // Request k: member k mod REPLY_MEMBERS replies to thread k mod REPLY_THREADS, about that thread's topic.
      const random = seededRandom(42);
      ctx.replyRotation = Array.from({ length: Math.max(tokens.length, threads.length) }, (_, k) => ({
        path: `/api/v1/threads/${threads[k % threads.length]}/posts`,
        headers: bearer(tokens[k % tokens.length]),
        body: JSON.stringify({ body: sampleBody(c.threadIds.indexOf(threads[k % threads.length]), random) }),
      }));
      const first = (ctx.replyRotation as Rotation)[0];
      return { path: first.path, headers: first.headers };
    },
    rotate: (ctx) => ctx.replyRotation as Rotation,
  },
  // The worst case: every connection replies as one member to one thread (a thread of their own, so the
  // thread read above is not touched). Replies to one thread take its row lock in turn, by design.
  {
    name: ROUTE.replyHotThread,
    method: 'POST',
    path: '/api/v1/threads/:id/posts',
    headers: (ctx) => bearer(ctx.memberToken),
    body: { body: 'replaced by the rotation' },
    rotate: () => replyBodies(REPLY_THREADS),
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
];

// ---------------------------------------------------------------------------------------------
// Q&A
// ---------------------------------------------------------------------------------------------

export interface QaSeeded {
  staffToken: string;
  staffUserId: string;
  qaBoardId: string;
  questions: number;
  staffAnswered: number;
  memberAccepted: number;
  /** seedQuestions, then VACUUM (ANALYZE) + CHECKPOINT. */
  seedSeconds: number;
  vacuumSeconds: number;
}

/**
 * The Q&A world on top of `seed`: over HTTP a public qa board and a staff account (registered, then
 * made staff by the admin, who is the platform admin); then `questions` questions bulk-inserted with
 * SQL (seedQuestions), asked by the seeded authors and answered by the staff accounts. Stores
 * staffToken in the context for the Q&A routes.
 */
export async function seedQa(ctx: SeededContext, questions: number): Promise<QaSeeded> {
  const { baseUrl, databaseUrl, adminToken } = ctx;
  const board = await call<{ id: string }>(baseUrl, 'POST', `/api/v1/communities/${COMMUNITY.slug}/boards`, { body: QA_BOARD, token: adminToken, expect: 201 });
  const staff = await call<{ accessToken: string; user: { id: string } }>(baseUrl, 'POST', '/api/v1/auth/register', { body: STAFF, expect: 201 });
  await call(baseUrl, 'PUT', `/api/v1/communities/${COMMUNITY.slug}/members/${staff.user.id}/role`, { body: { role: 'staff' }, token: adminToken, expect: 200 });
  const staffIds = [staff.user.id, ...(await ensureAuthors(databaseUrl, ctx.communityId, EXTRA_STAFF, 'seed-staff', 'staff'))];

  const progress = progressBar('seeding questions', 'questions');
  const started = Date.now();
  let seeded: Awaited<ReturnType<typeof seedQuestions>>;
  try {
    seeded = await seedQuestions(databaseUrl, {
      communityId: ctx.communityId,
      boardId: board.id,
      askerIds: ctx.authorIds,
      staffIds,
      questions,
      onProgress: (done, total) => progress.update(done, total),
    });
  } finally {
    progress.stop();
  }
  const seedSeconds = (Date.now() - started) / 1000;
  const vacuumStarted = Date.now();
  await analyzeTables(databaseUrl, { vacuum: true, checkpoint: true });
  const vacuumSeconds = (Date.now() - vacuumStarted) / 1000;
  process.stderr.write(
    `seeded ${questions} questions (${seeded.staffAnswered} answered by staff, ${seeded.memberAccepted} with an accepted member answer) ` +
      `in ${seedSeconds.toFixed(1)} s, VACUUM ANALYZE + CHECKPOINT ${vacuumSeconds.toFixed(1)} s\n`,
  );
  ctx.staffToken = staff.accessToken;
  ctx.staffUserId = staff.user.id;
  ctx.qaBoardId = board.id;
  return {
    staffToken: staff.accessToken,
    staffUserId: staff.user.id,
    qaBoardId: board.id,
    questions,
    staffAnswered: seeded.staffAnswered,
    memberAccepted: seeded.memberAccepted,
    seedSeconds,
    vacuumSeconds,
  };
}

const qa = (path: string) => `/api/v1/communities/${COMMUNITY.slug}/qa/${path}`;

/**
 * The Q&A reports, read by the staff account after seedQa; each has a latency target (p95) from the
 * issue. Response times use the default range, the last 30 days: every seeded question.
 */
export const qaRoutes: BenchRoute[] = [
  { name: ROUTE.responseTimes, method: 'GET', path: qa('response-times'), headers: (ctx) => bearer(ctx.staffToken), p95TargetMs: 100 },
  { name: ROUTE.responseTimesSku, method: 'GET', path: qa(`response-times?sku=${QA_SKU}`), headers: (ctx) => bearer(ctx.staffToken), p95TargetMs: 100 },
  // The first page (20) of the queue, oldest first.
  { name: ROUTE.unanswered, method: 'GET', path: qa('unanswered'), headers: (ctx) => bearer(ctx.staffToken), p95TargetMs: 50 },
  { name: ROUTE.unansweredSku, method: 'GET', path: qa(`unanswered?sku=${QA_SKU}`), headers: (ctx) => bearer(ctx.staffToken), p95TargetMs: 50 },
];
