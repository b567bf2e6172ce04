import { Db } from '../src/core/database/db.service';
import { DomainEventMap, DomainEventType } from '../src/core/events/event-types';
import { EventsService } from '../src/core/events/events.service';
import { InsightsClock } from '../src/insights/insights.clock';
import { RebuildService } from '../src/insights/rebuild.service';
import { SegmentsService } from '../src/insights/segments.service';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';
import { connectStore, Receiver } from './support/store';

const DAY = 86_400_000;
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * Insights from a scripted history: events recorded with created_at set N days before the insights
 * clock's "now", so every expected figure is exact.
 */
describe('Insights', () => {
  let t: TestApp;
  let db: Db;
  let clock: InsightsClock;
  let cast: Cast;
  let churner: TestUser;
  let now: Date;
  const today = () => now.toISOString().slice(0, 10);

  /** Waits until the insights consumer has handled every event recorded so far. */
  const settle = () =>
    eventually(async () => {
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'insights' AND status <> 'done'`);
      return row.n === 0;
    });
  const at = <T extends DomainEventType>(type: T, data: DomainEventMap[T], daysAgo: number, communityId = cast.communityId) =>
    db.transaction(async () => {
      const id = await t.app.get(EventsService).record(type, data, communityId);
      await db.query('UPDATE events SET created_at = $2 WHERE id = $1', [id, new Date(now.getTime() - daysAgo * DAY)]);
      return id;
    });
  const engagement = async (viewer: TestUser, userId: string, slug = cast.slug) => {
    await settle();
    return t.http.get(`/api/v1/communities/${slug}/members/${userId}/engagement`, { token: viewer.accessToken });
  };
  /** The export as text (the test client would try to parse NDJSON as one JSON document). */
  const download = async (query: string, token = cast.admin.accessToken) => {
    const res = await fetch(`${t.baseUrl}/api/v1/communities/${cast.slug}/engagement/export${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const post = (c: Cast, authorId: string, n: number) => ({ communityId: c.communityId, boardId: uuid(1), threadId: uuid(1000 + n), postId: uuid(2000 + n), authorId });

  beforeAll(async () => {
    t = await startApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    db = t.app.get(Db);
    clock = t.app.get(InsightsClock);
    now = clock.now();
    cast = await createCast(t.http);
    churner = await createMember(t.http, cast.admin.accessToken, cast.slug);
    const core = cast.member.id;
    // core: a thread on each of the last 9 days (today included); MUG on the 5 newest, CUP on the 4 older.
    for (let d = 0; d <= 8; d++) {
      await at('thread.created', { ...post(cast, core, d), productSkus: [d <= 4 ? 'MUG' : 'CUP'], tags: ['tips'], title: `Day ${d}`, boardKind: 'discussion', hasImage: false }, d);
    }
    // regular: replies 2 and 40 days ago.
    for (const d of [2, 40]) await at('post.created', { ...post(cast, cast.member2.id, 100 + d), replyToPostId: null, hasImage: false }, d);
    // churner: reactions (to the core member's posts) 35, 40 and 45 days ago, nothing since.
    for (const d of [35, 40, 45]) await at('reaction.added', { ...post(cast, core, d), userId: churner.id, kind: 'like' }, d);
    await at('tier.changed', { communityId: cast.communityId, userId: cast.member2.id, tier: '=HYPERLINK("http://evil")', previousTier: null }, 1);
    await settle();
  });
  afterAll(async () => {
    const failed = await db.query(`SELECT last_error FROM event_deliveries WHERE consumer = 'insights' AND last_error IS NOT NULL`);
    expect(failed).toEqual([]);
    await t?.close();
  });

  it('keeps a profile per member from the events: counters, active days 7/30/90, stickiness, segment', async () => {
    const res = await engagement(cast.staff, cast.member.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({
        userId: cast.member.id,
        communityId: cast.communityId,
        role: 'member',
        activeDays: { '7': 7, '30': 9, '90': 9 },
        stickiness: 0.3,
        contribution30: 27,
        segment: 'A',
        churnRisk: { atRisk: false, reason: null },
        firstActiveAt: new Date(now.getTime() - 8 * DAY).toISOString(),
        lastActiveAt: now.toISOString(),
        store: { linked: false, customerId: null, verifiedBuyerSkus: [] },
      }),
    );
    expect(res.body.counts).toEqual(expect.objectContaining({ threads: 9, replies: 0, reactionsReceived: 3, reactionsGiven: 0 }));
    const regular = await engagement(cast.member2, cast.member2.id);
    expect(regular.body).toEqual(expect.objectContaining({ activeDays: { '7': 1, '30': 1, '90': 2 }, segment: 'B', contribution30: 2 }));
    expect(regular.body.points.tier).toBe('=HYPERLINK("http://evil")');
    const quiet = await engagement(cast.staff, churner.id);
    expect(quiet.body).toEqual(
      expect.objectContaining({
        activeDays: { '7': 0, '30': 0, '90': 3 },
        segment: 'C',
        churnRisk: { atRisk: true, reason: 'active on 3 of the 30 days before the last 30 days, and on none since' },
      }),
    );
    expect(quiet.body.counts.reactionsGiven).toBe(3);
  });

  it('counts a redelivered event once', async () => {
    const [ev] = await db.query<{ id: string }>(`SELECT id FROM events WHERE type = 'thread.created' AND community_id = $1 ORDER BY id LIMIT 1`, [cast.communityId]);
    await db.query(`UPDATE event_deliveries SET status = 'pending', next_attempt_at = now() WHERE event_id = $1 AND consumer = 'insights'`, [ev.id]);
    await settle();
    const res = await engagement(cast.staff, cast.member.id);
    expect(res.body.counts.threads).toBe(9);
    expect(res.body.activeDays['30']).toBe(9);
  });

  it('the daily job sets segments and churn risk, with their events, once per day', async () => {
    const segments = t.app.get(SegmentsService);
    expect(await segments.runCommunity(cast.communityId)).toBe(3);
    expect(await segments.runCommunity(cast.communityId)).toBe(0); // already done today
    const events = await db.query<{ type: string; data: any }>(
      `SELECT type, data FROM events WHERE community_id = $1 AND type IN ('member.segment_changed', 'member.churn_risk') ORDER BY id`,
      [cast.communityId],
    );
    const byUser = (id: string) => events.filter((e) => e.data.userId === id).map((e) => [e.type, e.data.segment ?? e.data.reason]);
    expect(byUser(cast.member.id)).toEqual([['member.segment_changed', 'A']]);
    expect(byUser(cast.member2.id)).toEqual([['member.segment_changed', 'B']]);
    expect(byUser(churner.id)).toEqual([['member.churn_risk', 'active on 3 of the 30 days before the last 30 days, and on none since']]);
    expect(events.find((e) => e.data.userId === churner.id)?.data).toEqual(
      expect.objectContaining({ activeDaysBefore: 3, quietDays: 30, lastActiveAt: new Date(now.getTime() - 35 * DAY).toISOString() }),
    );
    // The thresholds are community settings: 9 active days no longer make the core member A by days,
    // but the member is still the top 10% by contribution.
    const patch = await t.http.patch(`/api/v1/communities/${cast.slug}/settings`, { segmentCoreActiveDays: 30, churnQuietDays: 50 }, { token: cast.admin.accessToken });
    expect(patch.status).toBe(200);
    const bad = await t.http.patch(`/api/v1/communities/${cast.slug}/settings`, { churnQuietDays: 6 }, { token: cast.admin.accessToken });
    expect(bad.status).toBe(400);
    expect((await engagement(cast.staff, cast.member.id)).body.segment).toBe('A');
    // Quiet for 50 days: the churner's activity (35-45 days ago) is inside the quiet window, so no risk.
    expect((await engagement(cast.staff, churner.id)).body.churnRisk).toEqual({ atRisk: false, reason: null });
    await t.http.patch(`/api/v1/communities/${cast.slug}/settings`, { segmentCoreActiveDays: 8, churnQuietDays: 30 }, { token: cast.admin.accessToken });
    // 31 days later, the core member has 9 active days in the 30 before the last 30, none since.
    clock.advance(31 * DAY);
    try {
      const later = await engagement(cast.staff, cast.member.id);
      expect(later.body).toEqual(expect.objectContaining({ segment: 'C', activeDays: { '7': 0, '30': 0, '90': 9 }, churnRisk: { atRisk: true, reason: 'active on 9 of the 30 days before the last 30 days, and on none since' } }));
    } finally {
      clock.reset();
    }
  });

  it('shows another member 404, another community 403, staff and the member themself 200', async () => {
    expect((await engagement(cast.member2, cast.member.id)).status).toBe(404);
    expect((await engagement(cast.outsider, cast.member.id)).status).toBe(403);
    expect((await engagement(cast.member, cast.member.id)).status).toBe(200);
    expect((await engagement(cast.staff, uuid(999))).status).toBe(404);
    expect((await t.http.get(`/api/v1/communities/${cast.slug}/insights`, { token: cast.member.accessToken })).status).toBe(403);
    expect((await download('', cast.staff.accessToken)).status).toBe(403);
  });

  it('the dashboard: a time series per day or week for a known history, Q&A numbers as qa/response-times', async () => {
    const from = new Date(Date.parse(`${today()}T00:00:00Z`) - 9 * DAY).toISOString();
    const to = new Date(Date.parse(`${today()}T00:00:00Z`) + DAY).toISOString();
    const res = await t.http.get(`/api/v1/communities/${cast.slug}/insights?from=${from}&to=${to}`, { token: cast.staff.accessToken });
    expect(res.status).toBe(200);
    const s = res.body.series;
    expect(s).toHaveLength(10);
    expect(s.map((p: any) => p.threads)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(s.map((p: any) => p.replies)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(s.map((p: any) => p.dau)).toEqual([0, 1, 1, 1, 1, 1, 1, 2, 1, 1]);
    expect(s[9]).toEqual(expect.objectContaining({ wau: 2, mau: 2, stickiness: 0.5, newMembers: 6, members: 6 }));
    expect(s[8]).toEqual(expect.objectContaining({ wau: 2, mau: 2, members: 0 }));
    expect(res.body.topProducts).toEqual([{ key: 'MUG', count: 5 }, { key: 'CUP', count: 4 }]);
    expect(res.body.topTags).toEqual([{ key: 'tips', count: 9 }]);
    expect(res.body.mostEngaged[0]).toEqual({ userId: cast.member.id, contribution: 27, activeDays: 9 });
    expect(res.body.segments).toEqual({ A: { count: 1, previous: null, change: null }, B: { count: 1, previous: null, change: null }, C: { count: 4, previous: null, change: null } });
    const qa = await t.http.get(`/api/v1/communities/${cast.slug}/qa/response-times?from=${from}&to=${to}`, { token: cast.staff.accessToken });
    expect(res.body.qa).toEqual({ ...qa.body, withinTarget: 0, byStaff: [] });
    const weeks = await t.http.get(`/api/v1/communities/${cast.slug}/insights?from=${from}&to=${to}&granularity=week`, { token: cast.staff.accessToken });
    expect(weeks.body.series.map((p: any) => [p.threads, p.replies])).toEqual([[6, 0], [3, 1]]);
    const bad = await t.http.get(`/api/v1/communities/${cast.slug}/insights?from=${to}&to=${from}`, { token: cast.staff.accessToken });
    expect(bad.status).toBe(400);
  });

  it('exports every member as NDJSON and CSV, streamed, formula cells defused, email only with a store connection', async () => {
    await settle();
    const nd = await download('?format=ndjson');
    expect(nd.status).toBe(200);
    expect(nd.type).toContain('application/x-ndjson');
    const rows = nd.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(6);
    const core = rows.find((r) => r.userId === cast.member.id);
    expect(core).toEqual(expect.objectContaining({ segment: 'A', activeDays30: 9, threads: 9, storeCustomerId: null }));
    expect(core).not.toHaveProperty('email');
    const onlyA = await download('?segment=A');
    expect(onlyA.text.trim().split('\n').map((l) => JSON.parse(l).userId)).toEqual([cast.member.id]);

    const csv = await download('?format=csv');
    expect(csv.type).toContain('text/csv');
    const lines = csv.text.split('\r\n');
    expect(lines[0].startsWith('userId,storeCustomerId,role,joinedAt,segment')).toBe(true);
    expect(lines).toHaveLength(8); // header, 6 rows, the empty string after the last CRLF
    const regular = lines.find((l) => l.startsWith(cast.member2.id)) as string;
    expect(regular).toContain(`,"'=HYPERLINK(""http://evil"")",`);

    const receiver = await new Receiver().start();
    await connectStore(t.http, cast.admin.accessToken, cast.slug, receiver.url);
    const withEmail = await download(`?since=${new Date(now.getTime() - DAY).toISOString()}`);
    const emailed = withEmail.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(emailed.map((r) => [r.userId, r.email])).toEqual([[cast.member.id, cast.member.email]]);
    const badFormat = await download('?format=xml');
    expect(badFormat.status).toBe(400);
    await receiver.close();
  });

  it('satisfaction: the asker once after a staff answer, the support customer after the chat closed; CSAT on the dashboard', async () => {
    const c = await createCast(t.http);
    const qa = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'questions', kind: 'qa' });
    const question = await createThread(t.http, c.member.accessToken, qa.id, { title: 'How do I descale?', productSkus: ['KETTLE'] });
    const waiting = await createThread(t.http, c.member.accessToken, qa.id, { title: 'Still waiting' });
    await reply(t.http, c.member2.accessToken, question.id, 'A member answer');
    await settle();
    const rate = (u: TestUser, body: object) => t.http.post(`/api/v1/communities/${c.slug}/satisfaction`, body, { token: u.accessToken });
    expect((await rate(c.member, { threadId: question.id, score: 5 })).body.code).toBe('NOT_RATEABLE_YET');
    await reply(t.http, c.staff.accessToken, question.id, 'The staff answer');
    await settle();
    expect((await rate(c.member2, { threadId: question.id, score: 1 })).status).toBe(404);
    expect((await rate(c.member, { threadId: waiting.id, score: 1 })).status).toBe(409);
    expect((await rate(c.member, { threadId: question.id, roomId: question.id, score: 5 })).status).toBe(400);
    expect((await rate(c.member, { threadId: question.id, score: 6 })).status).toBe(400);
    const ok = await rate(c.member, { threadId: question.id, score: 4, comment: 'Quick and right' });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual(expect.objectContaining({ threadId: question.id, roomId: null, score: 4, comment: 'Quick and right' }));
    const again = await rate(c.member, { threadId: question.id, score: 1 });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_RATED');
    const [event] = await db.query<{ data: any }>(`SELECT data FROM events WHERE type = 'satisfaction.rated' AND community_id = $1`, [c.communityId]);
    expect(event.data).toEqual(expect.objectContaining({ userId: c.member.id, score: 4, staffId: c.staff.id, boardId: qa.id, productSkus: ['KETTLE'] }));
    await settle();
    const dash = await t.http.get(`/api/v1/communities/${c.slug}/insights`, { token: c.staff.accessToken });
    expect(dash.body.csat).toEqual({
      ratings: 1,
      csat: 1,
      byBoard: [{ key: qa.id, ratings: 1, csat: 1 }],
      byProduct: [{ key: 'KETTLE', ratings: 1, csat: 1 }],
      byStaff: [{ key: c.staff.id, ratings: 1, csat: 1 }],
    });
    expect(dash.body.qa).toEqual(expect.objectContaining({ questions: 2, answered: 1, withinTarget: 0.5 }));
    // The staff member who answered first: one question, answered in seconds (within the target).
    expect(dash.body.qa.byStaff).toEqual([{ userId: c.staff.id, answered: 1, p50Seconds: expect.any(Number), withinTarget: 1 }]);
    expect(dash.body.qa.byStaff[0].p50Seconds).toBeLessThan(60);
    expect(dash.body.support).toEqual(expect.objectContaining({ questions: 0 }));
    // Points by rule: what loyalty's points.earned events of this community gave, rule by rule, most first.
    const earned = await db.query<{ key: string; count: number }>(
      `SELECT data->>'rule' AS key, sum((data->>'points')::int)::int AS count FROM events
        WHERE type = 'points.earned' AND community_id = $1 GROUP BY 1 ORDER BY 2 DESC, 1`,
      [c.communityId],
    );
    expect(earned.map((r) => r.key)).toEqual(expect.arrayContaining(['thread_created', 'reply_created']));
    expect(dash.body.pointsByRule).toEqual(earned);

    // A support chat: rated by its customer once it is closed, by nobody else.
    const opened = await t.http.post(`/api/v1/communities/${c.slug}/chat/rooms`, { kind: 'support' }, { token: c.member2.accessToken });
    expect(opened.status).toBe(201);
    const roomId = opened.body.id;
    expect((await t.http.post(`/api/v1/chat/rooms/${roomId}/claim`, undefined, { token: c.staff.accessToken })).status).toBe(200);
    await settle();
    expect((await rate(c.member2, { roomId, score: 2 })).body.code).toBe('NOT_RATEABLE_YET');
    expect((await t.http.post(`/api/v1/chat/rooms/${roomId}/close`, undefined, { token: c.member2.accessToken })).status).toBe(200);
    await settle();
    expect((await rate(c.member, { roomId, score: 5 })).status).toBe(404);
    expect((await rate(c.member2, { roomId, score: 2, comment: 'Slow' })).status).toBe(201);
    expect((await rate(c.member2, { roomId, score: 2 })).status).toBe(409);
    await settle();
    const after = await t.http.get(`/api/v1/communities/${c.slug}/insights`, { token: c.staff.accessToken });
    expect(after.body.csat).toEqual(
      expect.objectContaining({ ratings: 2, csat: 0.5, byStaff: [{ key: c.staff.id, ratings: 2, csat: 0.5 }], byBoard: [{ key: qa.id, ratings: 1, csat: 1 }] }),
    );
    const profile = await t.http.get(`/api/v1/communities/${c.slug}/members/${c.member2.id}/engagement`, { token: c.member2.accessToken });
    expect(profile.body.counts).toEqual(expect.objectContaining({ supportRequests: 1, ratings: 1, replies: 1, answers: 1 }));
    expect(dash.body.series.at(-1)).toEqual(expect.objectContaining({ questions: 2, staffAnswers: 1, ratings: 1, csat: 1 }));
  });

  it('forgets a deleted account: its profile and active days go, the day counts stay', async () => {
    const daily = () => db.query<{ dau: number }>(`SELECT dau FROM insights_daily WHERE community_id = $1 AND day = $2::date`, [cast.communityId, new Date(now.getTime() - 35 * DAY).toISOString().slice(0, 10)]);
    expect(await daily()).toEqual([{ dau: 1 }]);
    await db.transaction(() => t.app.get(EventsService).record('user.deleted', { userId: churner.id }, null));
    await settle();
    const rows = await db.query('SELECT 1 FROM insights_activity WHERE user_id = $1 UNION ALL SELECT 1 FROM insights_profiles WHERE user_id = $1', [churner.id]);
    expect(rows).toEqual([]);
    expect(await daily()).toEqual([{ dau: 1 }]);
  });

  it('the rebuild from the events equals the incrementally kept tables', async () => {
    await settle();
    const snapshot = async () => ({
      profiles: await db.query('SELECT * FROM insights_profiles ORDER BY community_id, user_id'),
      activity: await db.query('SELECT * FROM insights_activity ORDER BY community_id, user_id, day'),
      // Rows the WAU/MAU roll-up or the segment snapshot made hold no event counts: compare the counted ones.
      daily: await db.query(
        `SELECT community_id, day, new_members, threads, replies, questions, staff_answers, chat_messages, support_requests, points_issued, points_redeemed, ratings, ratings_positive, dau
           FROM insights_daily WHERE new_members + threads + replies + questions + staff_answers + chat_messages + support_requests + points_issued + points_redeemed + ratings + dau > 0
          ORDER BY community_id, day`,
      ),
      keys: await db.query('SELECT * FROM insights_daily_keys ORDER BY community_id, kind, day, key'),
      questions: await db.query('SELECT * FROM insights_questions ORDER BY thread_id'),
    });
    const before = await snapshot();
    expect(before.profiles.length).toBeGreaterThanOrEqual(5);
    const result = await t.app.get(RebuildService).rebuild();
    expect(result.events).toBeGreaterThanOrEqual(30);
    expect(await snapshot()).toEqual(before);
  });
});
