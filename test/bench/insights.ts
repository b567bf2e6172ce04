/**
 * Insights (issue 17) on PostgreSQL: `npm run bench:insights` (DATABASE_URL=postgres://...; the server runs
 * on a scratch database). Three measurements:
 *
 *   consumer lag  reactions (PUT /posts/:id/reactions/:kind by members in turn over 20 threads) paced at
 *                 BENCH_INSIGHTS_EVENT_RATE (500) per second for BENCH_INSIGHTS_EVENT_SECONDS (10): lag =
 *                 the `insights` delivery's done_at - the event's created_at; target p99 < 1 s.
 *   dashboard     GET /communities/:slug/insights for the last 90 days at BENCH_LATENCY_CONNECTIONS (4) for
 *                 BENCH_DURATION (10) s, over a community of BENCH_INSIGHTS_MEMBERS (100,000) members and
 *                 BENCH_INSIGHTS_POSTS (1,000,000) posts: target p95 < 200 ms.
 *   export        GET .../engagement/export (NDJSON, streamed) of BENCH_INSIGHTS_SMALL_MEMBERS (10,000) and of
 *                 BENCH_INSIGHTS_MEMBERS members: time, rows, and the server's peak RSS during each (sampled from
 *                 /proc every 20 ms) over its RSS before: it must not grow with the member count.
 *
 * How the big community is seeded (SQL, as the consumer would have left it after BENCH_INSIGHTS_DAYS (150)
 * days): members as users + memberships; posts with test/support/seed (seedBoard, BENCH_INSIGHTS_POSTS over
 * 10 posts per thread, spread over 90 days) and BENCH_INSIGHTS_QUESTIONS (20,000) questions with staff
 * answers (seedQuestions, for the Q&A numbers the dashboard asks of the qa module); then the insights tables:
 * a profile per member (and the segment counters), active days (and their blocks) drawn per member class by a hash of member and day (10% core active on
 * 40% of days, 30% regular on 7%, 60% dormant on 0.5%: about 6% of member-days), daily aggregates of the posts per day and the DAU of
 * those active days, 50 SKUs and 8 tags a day, WAU/MAU left to the dashboard's first call (rolled up once,
 * timed apart as the warm-up). The report gives the repeated default range and 30 other ranges asked once
 * each (cold: nothing of them is in the database's or the server's caches yet, and today's WAU/MAU, the
 * one part kept a minute, is not asked for ranges ending before today). The consumer's lag is shown beside the
 * loyalty consumer's for the same events (the baseline of the same run). Small run: BENCH_INSIGHTS_MEMBERS=5000
 * BENCH_INSIGHTS_SMALL_MEMBERS=500 BENCH_INSIGHTS_POSTS=20000 BENCH_INSIGHTS_QUESTIONS=1000 BENCH_INSIGHTS_EVENT_SECONDS=3 BENCH_DURATION=3.
 * To look at the plans: BENCH_INSIGHTS_SEED_ONLY=1 stops after seeding and keeps the scratch database (its
 * URL and the big community's id on stderr; drop it yourself), BENCH_INSIGHTS_KEEP=1 keeps it after a full run.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createScratchDatabase } from '../support/database';
import { analyzeTables, ensureAuthors, seedBoard, seedQuestions } from '../support/seed';
import { call, formatMs, readSettings, startServer, waitForDatabaseIdle } from './harness';
import { mintTokens, percentile, withClient } from './seeded-db';
import { ADMIN, NO_LIMITS } from './routes';

const KINDS = ['like', 'helpful', 'love', 'insightful'];
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return v;
}

const S = {
  members: intEnv('BENCH_INSIGHTS_MEMBERS', 100_000, 100),
  smallMembers: intEnv('BENCH_INSIGHTS_SMALL_MEMBERS', 10_000, 10),
  posts: intEnv('BENCH_INSIGHTS_POSTS', 1_000_000, 10),
  questions: intEnv('BENCH_INSIGHTS_QUESTIONS', 20_000, 0),
  days: intEnv('BENCH_INSIGHTS_DAYS', 150, 121),
  eventRate: intEnv('BENCH_INSIGHTS_EVENT_RATE', 500, 1),
  eventSeconds: intEnv('BENCH_INSIGHTS_EVENT_SECONDS', 10, 1),
  seedOnly: process.env.BENCH_INSIGHTS_SEED_ONLY === '1',
  keep: process.env.BENCH_INSIGHTS_KEEP === '1' || process.env.BENCH_INSIGHTS_SEED_ONLY === '1',
};

function rssOf(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The insights tables of a community as the consumer would have built them over `days` days. */
async function seedInsights(databaseUrl: string, communityId: string, days: number, postsPerDay: number) {
  await withClient(databaseUrl, async (c) => {
    const members = `SELECT user_id, joined_at, abs(hashtext(user_id::text)) AS h FROM memberships WHERE community_id = $1`;
    await c.query(
      `INSERT INTO insights_profiles (community_id, user_id, role, joined_at, threads, replies, reactions_given, reactions_received, points_earned,
                                      first_active_at, last_active_at, segment)
       SELECT $1, m.user_id, 'member', m.joined_at, m.h % 10, m.h % 90, m.h % 50, m.h % 40, m.h % 500, now() - interval '200 days',
              now() - (m.h % $2) * interval '1 day', CASE WHEN m.h % 10 = 0 THEN 'A' WHEN m.h % 10 < 4 THEN 'B' ELSE 'C' END
         FROM (${members}) m ON CONFLICT DO NOTHING`,
      [communityId, days],
    );
    await c.query(
      `INSERT INTO insights_activity (community_id, user_id, day, actions, contribution)
       SELECT $1, m.user_id, current_date - d, 1 + (m.h + d) % 4, 2 + (m.h + d) % 5
         FROM (${members}) m CROSS JOIN generate_series(0, $2::int - 1) AS d
        WHERE abs(hashtext(m.user_id::text || ':' || d)) % 1000 < CASE WHEN m.h % 10 = 0 THEN 400 WHEN m.h % 10 < 4 THEN 70 ELSE 5 END
       ON CONFLICT DO NOTHING`,
      [communityId, days],
    );
    await c.query(
      `INSERT INTO insights_daily (community_id, day, new_members, threads, replies, questions, staff_answers, chat_messages, points_issued, dau)
       SELECT $1, a.day, 5 + (extract(doy FROM a.day)::int % 20), $2::int / 10, $2::int - $2::int / 10, $2::int / 50, $2::int / 70, $2::int / 4, $2::int * 3, count(*)
         FROM insights_activity a WHERE a.community_id = $1 GROUP BY a.day
       ON CONFLICT (community_id, day) DO NOTHING`,
      [communityId, postsPerDay],
    );
    await c.query(
      `INSERT INTO insights_daily_keys (community_id, kind, day, key, n)
       SELECT $1, k.kind, current_date - d, k.key, 1 + (d * 7 + k.i * 13) % 40
         FROM generate_series(0, $2::int - 1) AS d
        CROSS JOIN (SELECT 'sku' AS kind, 'SKU-' || i AS key, i FROM generate_series(1, 50) i
                    UNION ALL SELECT 'tag', 'tag-' || i, i FROM generate_series(1, 8) i) k
       ON CONFLICT DO NOTHING`,
      [communityId, days],
    );
    await c.query(
      `INSERT INTO insights_activity_blocks (community_id, level, block, user_id, contribution, days)
       SELECT a.community_id, l.level, (a.day - DATE '1970-01-01') >> l.level, a.user_id, sum(a.contribution), count(*)
         FROM insights_activity a CROSS JOIN generate_series(3, 6) AS l(level) WHERE a.community_id = $1
        GROUP BY 1, 2, 3, 4 ON CONFLICT DO NOTHING`,
      [communityId],
    );
    await c.query(
      `INSERT INTO insights_communities (community_id, dirty_from, members_a, members_b, members_c)
       SELECT $1, current_date - $2::int, count(*) FILTER (WHERE segment = 'A'), count(*) FILTER (WHERE segment = 'B'), count(*) FILTER (WHERE segment = 'C')
         FROM insights_profiles WHERE community_id = $1
       ON CONFLICT (community_id) DO UPDATE SET dirty_from = excluded.dirty_from, rolled_until = NULL,
          members_a = excluded.members_a, members_b = excluded.members_b, members_c = excluded.members_c`,
      [communityId, days],
    );
    await c.query('ANALYZE insights_profiles; ANALYZE insights_activity; ANALYZE insights_activity_blocks; ANALYZE insights_daily; ANALYZE insights_daily_keys');
  });
}

async function community(baseUrl: string, admin: string, name: string) {
  const slug = `${name}-${randomBytes(3).toString('hex')}`;
  const c = await call<any>(baseUrl, 'POST', '/api/v1/communities', { token: admin, body: { slug, name } });
  await call(baseUrl, 'PATCH', `/api/v1/communities/${slug}/settings`, { token: admin, body: NO_LIMITS });
  return { slug, id: c.id as string };
}

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url || !url.startsWith('postgres')) {
    process.stderr.write('set DATABASE_URL=postgres://... ; the benchmark runs against PostgreSQL\n');
    return 1;
  }
  const settings = readSettings();
  const scratch = await createScratchDatabase(url, 'hearth_bench');
  const server = await startServer({ databaseUrl: scratch.url, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, REGISTRATIONS_PER_IP_PER_HOUR: '1000000', LOGINS_PER_IP_PER_MINUTE: '1000000' } });
  const lines: string[] = [`insights (issue 17): ${n(S.members)} members, ${n(S.posts)} posts, ${n(S.questions)} questions, ${S.days} days of activity`];
  let failed = false;
  try {
    const base = server.baseUrl;
    const admin = (await call<any>(base, 'POST', '/api/v1/auth/login', { body: ADMIN })).accessToken as string;
    const big = await community(base, admin, 'insights-big');
    const small = await community(base, admin, 'insights-small');

    process.stderr.write(`insights: ${n(S.members)} + ${n(S.smallMembers)} members\n`);
    const memberIds = await ensureAuthors(scratch.url, big.id, S.members, `ins-${big.slug}`);
    await ensureAuthors(scratch.url, small.id, S.smallMembers, `ins-${small.slug}`);
    const staffIds = await ensureAuthors(scratch.url, big.id, 5, `ins-staff-${big.slug}`, 'staff');
    const board = await call<any>(base, 'POST', `/api/v1/communities/${big.slug}/boards`, { token: admin, body: { slug: 'talk', name: 'Talk', kind: 'discussion', visibility: 'public' } });
    const qaBoard = await call<any>(base, 'POST', `/api/v1/communities/${big.slug}/boards`, { token: admin, body: { slug: 'questions', name: 'Questions', kind: 'qa', visibility: 'public' } });
    process.stderr.write(`insights: seeding ${n(S.posts)} posts\n`);
    const authors = memberIds.slice(0, Math.min(5000, memberIds.length));
    await seedBoard(scratch.url, { communityId: big.id, boardId: board.id, authorIds: authors, threads: Math.max(1, Math.floor(S.posts / 10)), posts: S.posts, days: 90 });
    if (S.questions) await seedQuestions(scratch.url, { communityId: big.id, boardId: qaBoard.id, askerIds: authors, staffIds, questions: S.questions, days: 90 });
    process.stderr.write('insights: seeding the insights tables\n');
    await seedInsights(scratch.url, big.id, S.days, Math.round(S.posts / 90));
    await seedInsights(scratch.url, small.id, S.days, Math.round(S.posts / 900));
    // As a community that grew to this size would be: planner statistics, hint bits and the visibility
    // map in place, nothing left for autovacuum to do while the benchmark measures.
    await analyzeTables(scratch.url, { vacuum: true, checkpoint: true });
    const activityRows = await withClient(scratch.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM insights_activity WHERE community_id = $1', [big.id])).rows[0].n as number);
    lines.push(`  seeded: ${n(activityRows)} active member-days in the big community`);
    if (S.seedOnly) {
      process.stderr.write(`insights: seeded ${scratch.url} (big community ${big.id} ${big.slug}); kept\n`);
      return 0;
    }

    // 1. Consumer lag under a paced stream of reactions.
    const reactors = memberIds.slice(0, Math.min(1000, memberIds.length));
    const tokens = await mintTokens(scratch.url, reactors);
    const postIds: string[] = [];
    for (let a = 0; a < 20; a++) {
      const res = await fetch(`${base}/api/v1/boards/${board.id}/threads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[a % tokens.length]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `Bench thread ${a}`, body: 'Tell us about it' }),
      });
      postIds.push(((await res.json()) as any).firstPost.id);
    }
    await waitForDatabaseIdle(scratch.url);
    const startId = await withClient(scratch.url, async (c) => Number((await c.query('SELECT COALESCE(max(id), 0) AS id FROM events')).rows[0].id));
    const total = S.eventRate * S.eventSeconds;
    process.stderr.write(`insights: ${S.eventRate} reactions/s for ${S.eventSeconds} s\n`);
    let writeErrors = 0;
    const inFlight = new Set<Promise<void>>();
    const t0 = performance.now();
    for (let k = 0; k < total; k++) {
      const wait = t0 + (k * 1000) / S.eventRate - performance.now();
      if (wait > 0) await sleep(wait);
      const r = k % reactors.length;
      const j = Math.floor(k / reactors.length);
      const path = `/api/v1/posts/${postIds[(r + j) % postIds.length]}/reactions/${KINDS[Math.floor(j / postIds.length) % KINDS.length]}`;
      const p: Promise<void> = fetch(base + path, { method: 'PUT', headers: { authorization: `Bearer ${tokens[r]}` } })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status !== 204) writeErrors++;
        }, () => void writeErrors++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all([...inFlight]);
    const lagOf = (consumer: string) => withClient(scratch.url, async (c) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = $2 AND status = 'pending' AND event_id > $1`, [startId, consumer]);
        if (rows[0].n === 0 || Date.now() > deadline) break;
        await sleep(200);
      }
      const { rows } = await c.query(
        `SELECT count(*)::int AS events, count(*) FILTER (WHERE d.status = 'done')::int AS done,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.done_at - e.created_at)) * 1000 AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.done_at - e.created_at)) * 1000 AS p99,
                extract(epoch FROM max(e.created_at) - min(e.created_at)) AS span
           FROM event_deliveries d JOIN events e ON e.id = d.event_id WHERE d.consumer = $2 AND d.event_id > $1`,
        [startId, consumer],
      );
      return rows[0];
    });
    const lag = await lagOf('insights');
    const baseline = await lagOf('loyalty');
    const lagOk = lag.done === lag.events && lag.events > 0 && Number(lag.p99) < 1000;
    lines.push(
      `  consumer: ${n(lag.events)} events in ${Number(lag.span).toFixed(1)} s = ${n(lag.events / Math.max(Number(lag.span), 0.001))} events/s (${writeErrors} write errors), ` +
        `handled ${n(lag.done)}; lag p50 ${formatMs(Number(lag.p50))} / p99 ${formatMs(Number(lag.p99))} ms  target p99 < 1 s: ${lagOk ? 'ok' : 'MISS'}`,
      `  baseline: the loyalty consumer, same run: ${n(baseline.events)} events, lag p50 ${formatMs(Number(baseline.p50))} / p99 ${formatMs(Number(baseline.p99))} ms`,
    );
    failed ||= writeErrors > 0 || lag.done !== lag.events;

    // 2. The dashboard for the last 90 days at 4 connections.
    const rangePath = (shiftDays: number) => {
      const to = new Date(Date.now() - shiftDays * 86_400_000);
      return `/api/v1/communities/${big.slug}/insights?from=${new Date(to.getTime() - 90 * 86_400_000).toISOString()}&to=${to.toISOString()}`;
    };
    const dashPath = rangePath(0);
    const get = async (path: string) => {
      const res = await fetch(base + path, { headers: { authorization: `Bearer ${admin}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    };
    const w0 = performance.now();
    await get(dashPath);
    const warm = performance.now() - w0;
    const latencies: number[] = [];
    const until = performance.now() + settings.duration * 1000;
    await Promise.all(
      Array.from({ length: settings.latencyConnections }, async () => {
        while (performance.now() < until) {
          const s = performance.now();
          await get(dashPath);
          latencies.push(performance.now() - s);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const p95 = percentile(latencies, 95);
    // Cold: 30 ranges of 90 days ending 1..30 days ago, each asked once, at the same concurrency.
    const cold: number[] = [];
    let shift = 1;
    await Promise.all(
      Array.from({ length: settings.latencyConnections }, async () => {
        while (shift <= 30) {
          const path = rangePath(shift++);
          const s = performance.now();
          await get(path);
          cold.push(performance.now() - s);
        }
      }),
    );
    cold.sort((a, b) => a - b);
    lines.push(
      `  dashboard (90 days, ${settings.latencyConnections} connections, ${settings.duration} s): ${n(latencies.length / settings.duration)} req/s, ` +
        `p50 ${formatMs(percentile(latencies, 50))} / p95 ${formatMs(p95)} / p99 ${formatMs(percentile(latencies, 99))} ms  target p95 < 200 ms: ${p95 < 200 ? 'ok' : 'MISS'} ` +
        `(first call, rolling up ${S.days} days of WAU/MAU: ${formatMs(warm)} ms)`,
      `  dashboard cold (30 other 90-day ranges, each once, ${settings.latencyConnections} connections): p50 ${formatMs(percentile(cold, 50))} / p95 ${formatMs(percentile(cold, 95))} / max ${formatMs(cold[cold.length - 1])} ms`,
    );

    // 3. The export of the small and the big community: time and the server's peak RSS.
    const exportOf = async (slug: string) => {
      const before = rssOf(server.pid);
      let peak = before ?? 0;
      const timer = setInterval(() => (peak = Math.max(peak, rssOf(server.pid) ?? 0)), 20);
      const s = performance.now();
      const res = await fetch(`${base}/api/v1/communities/${slug}/engagement/export?format=ndjson`, { headers: { authorization: `Bearer ${admin}` } });
      let rows = 0;
      let bytes = 0;
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        for (const b of value) if (b === 10) rows++;
      }
      clearInterval(timer);
      return { rows, bytes, seconds: (performance.now() - s) / 1000, before, peak };
    };
    await exportOf(small.slug); // warm-up
    const smallRun = await exportOf(small.slug);
    const bigRun = await exportOf(big.slug);
    const mb = (b: number | null) => (b === null ? 'n/a' : `${(b / 1e6).toFixed(0)} MB`);
    for (const [label, r] of [['small', smallRun], ['big', bigRun]] as const) {
      lines.push(
        `  export ${label}: ${n(r.rows)} rows, ${mb(r.bytes)} in ${r.seconds.toFixed(1)} s (${n(r.rows / r.seconds)} rows/s); ` +
          `server RSS ${mb(r.before)} before, peak ${mb(r.peak)} (+${mb(r.before === null ? null : r.peak - r.before)})`,
      );
    }
    if (smallRun.before !== null && bigRun.before !== null) {
      const growth = (bigRun.peak - bigRun.before) - (smallRun.peak - smallRun.before);
      lines.push(`  export memory: the ${n(bigRun.rows / Math.max(smallRun.rows, 1))}x larger export's peak rises ${mb(growth)} more than the small one's (constant memory: ~0)`);
    }
  } finally {
    await server.stop();
    if (S.keep) process.stderr.write(`insights: kept the scratch database ${scratch.url}\n`);
    else await scratch.drop();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`insights bench failed: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
