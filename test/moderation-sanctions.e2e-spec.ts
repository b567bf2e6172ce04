import { Invalidation, INVALIDATIONS, Invalidations } from '../src/core/cluster/invalidations';
import { Db } from '../src/core/database/db.service';
import { ModerationClock } from '../src/moderation/moderation-clock';
import { describeIfRedis, startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';
import { expectProblem, HttpResponse } from './support/http';

/** Sanctions: what each stops on HTTP writes and reads, expiry on the clock, lifting, and who may sanction whom. */
describe('moderation: sanctions', () => {
  let t: TestApp;
  let c: Cast;
  let db: Db;
  let clock: ModerationClock;
  let publicBoard: { id: string };
  let membersBoard: { id: string };
  let qaBoard: { id: string };
  let publicThread: any;
  let membersThread: any;
  let question: any;
  let answer: any;
  const published: Invalidation[] = [];
  beforeAll(async () => {
    t = await startApp();
    c = await createCast(t.http);
    db = t.app.get(Db);
    clock = t.app.get(ModerationClock);
    t.app.get<Invalidations>(INVALIDATIONS).subscribe((i) => published.push(i));
    publicBoard = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'open' });
    membersBoard = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'inner', visibility: 'members' });
    qaBoard = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'ask', kind: 'qa' });
    publicThread = await createThread(t.http, c.member2.accessToken, publicBoard.id, { title: 'Public espresso talk' });
    membersThread = await createThread(t.http, c.member2.accessToken, membersBoard.id, { title: 'Members espresso talk' });
    question = await createThread(t.http, c.member2.accessToken, qaBoard.id, { title: 'A question' });
    answer = await reply(t.http, c.staff.accessToken, question.id, 'An answer');
  });
  afterAll(() => t?.close());
  afterEach(() => {
    clock.offsetMs = 0;
  });
  const as = (u: { accessToken: string }) => ({ token: u.accessToken });
  const sanction = (who: TestUser, body: Record<string, unknown>, slug = c.slug) => t.http.post(`/api/v1/communities/${slug}/sanctions`, body, as(who));
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

  /** Every write a member makes, and the reads a sanction may stop. */
  async function attempts(u: TestUser) {
    const own = await reply(t.http, c.member2.accessToken, publicThread.id, 'target of reactions');
    const writes: Record<string, () => Promise<HttpResponse>> = {
      thread: () => t.http.post(`/api/v1/boards/${publicBoard.id}/threads`, { title: 'New thread', body: 'body' }, as(u)),
      reply: () => t.http.post(`/api/v1/threads/${publicThread.id}/posts`, { body: 'a reply' }, as(u)),
      react: () => t.http.put(`/api/v1/posts/${own.id}/reactions/like`, undefined, as(u)),
      vote: () => t.http.put(`/api/v1/posts/${answer.id}/vote`, { value: 1 }, as(u)),
      report: () => t.http.post('/api/v1/reports', { targetType: 'post', targetId: own.id, reason: 'spam' }, as(u)),
    };
    const reads: Record<string, () => Promise<HttpResponse>> = {
      publicThread: () => t.http.get(`/api/v1/threads/${publicThread.id}/posts`, as(u)),
      membersThread: () => t.http.get(`/api/v1/threads/${membersThread.id}/posts`, as(u)),
      membersList: () => t.http.get(`/api/v1/boards/${membersBoard.id}/threads`, as(u)),
      boards: () => t.http.get(`/api/v1/communities/${c.slug}/boards`, as(u)),
    };
    const out: Record<string, string> = {};
    for (const [name, run] of Object.entries({ ...writes, ...reads })) {
      const res = await run();
      out[name] = res.status < 300 ? 'ok' : `${res.status} ${res.body.code}`;
      if (name === 'boards' && res.status === 200) out[name] = res.body.items.some((b: any) => b.id === membersBoard.id) ? 'ok' : 'public only';
    }
    return out;
  }

  it.each([
    ['warn', { thread: 'ok', reply: 'ok', react: 'ok', vote: 'ok', report: 'ok', publicThread: 'ok', membersThread: 'ok', membersList: 'ok', boards: 'ok' }],
    ['silence', { thread: '403 SILENCED', reply: '403 SILENCED', react: '403 SILENCED', vote: '403 SILENCED', report: 'ok', publicThread: 'ok', membersThread: 'ok', membersList: 'ok', boards: 'ok' }],
    ['suspend', { thread: '403 SUSPENDED', reply: '403 SUSPENDED', react: '403 SUSPENDED', vote: '403 SUSPENDED', report: '403 SUSPENDED', publicThread: 'ok', membersThread: '403 SUSPENDED', membersList: '403 SUSPENDED', boards: 'public only' }],
    ['ban', { thread: '403 BANNED', reply: '403 BANNED', react: '403 BANNED', vote: '403 BANNED', report: '403 BANNED', publicThread: '403 BANNED', membersThread: '403 BANNED', membersList: '403 BANNED', boards: '403 BANNED' }],
  ])('%s: its effect on writes and reads, then its expiry on the clock', async (kind, expected) => {
    const u = await createMember(t.http, c.admin.accessToken, c.slug);
    expect(Object.values(await attempts(u)).every((v) => v === 'ok')).toBe(true);
    const before = published.length;
    const until = inAnHour();
    const res = await sanction(c.moderator, { userId: u.id, kind, until, reason: `a ${kind}` });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind, userId: u.id, until, active: true, liftedAt: null });
    // Sockets of the member react to this (chat): published after commit.
    expect(published.slice(before)).toContainEqual({ member: { communityId: c.communityId, userId: u.id } });
    expect(await attempts(u)).toEqual(expected);
    if (kind !== 'warn') {
      const refused = await t.http.post(`/api/v1/threads/${publicThread.id}/posts`, { body: 'x' }, as(u));
      expect(refused.body.until).toBe(until);
    }
    const [event] = await db.query<{ data: any }>(`SELECT data FROM events WHERE type = 'member.sanctioned' AND data->>'sanctionId' = $1`, [res.body.id]);
    expect(event.data).toMatchObject({ kind, userId: u.id, by: c.moderator.id, reason: `a ${kind}` });
    // Expiry takes effect by itself: no job, the clock passes `until`.
    clock.offsetMs = 3_600_000 + 1_000;
    expect(Object.values(await attempts(u)).every((v) => v === 'ok')).toBe(true);
  });

  it('lifting early ends it at once; a sanction without until lasts until lifted', async () => {
    const u = await createMember(t.http, c.admin.accessToken, c.slug);
    const res = await sanction(c.moderator, { userId: u.id, kind: 'silence', reason: 'cool off' });
    expect(res.body.until).toBeNull();
    clock.offsetMs = 365 * 86_400_000;
    expectProblem(await t.http.post(`/api/v1/threads/${publicThread.id}/posts`, { body: 'x' }, as(u)), 403, 'SILENCED');
    clock.offsetMs = 0;
    expectProblem(await t.http.delete(`/api/v1/sanctions/${res.body.id}`, as(c.outsider)), 404, 'NOT_FOUND');
    expectProblem(await t.http.delete(`/api/v1/sanctions/${res.body.id}`, as(c.member)), 404, 'NOT_FOUND');
    const lifted = await t.http.delete(`/api/v1/sanctions/${res.body.id}`, as(c.moderator));
    expect(lifted.status).toBe(200);
    expect(lifted.body).toMatchObject({ active: false, liftedAt: expect.any(String) });
    expect((await t.http.post(`/api/v1/threads/${publicThread.id}/posts`, { body: 'back' }, as(u))).status).toBe(201);
    expectProblem(await t.http.delete(`/api/v1/sanctions/${res.body.id}`, as(c.moderator)), 409, 'SANCTION_NOT_ACTIVE');
    const [event] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'sanction.lifted' AND data->>'sanctionId' = $1`, [res.body.id]);
    expect(event.n).toBe(1);
    const history = await t.http.get(`/api/v1/communities/${c.slug}/members/${u.id}/sanctions`, as(c.moderator));
    expect(history.body.items.map((s: any) => s.id)).toEqual([res.body.id]);
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/members/${u.id}/sanctions`, as(c.outsider)), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/members/${u.id}/sanctions`, as(c.staff)), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/members/${c.outsider.id}/sanctions`, as(c.moderator)), 404, 'NOT_FOUND');
  });

  it('who may sanction whom: not admins, not each other upwards, not in another community, not in the past', async () => {
    const moderator2 = await createMember(t.http, c.admin.accessToken, c.slug, 'moderator');
    expectProblem(await sanction(c.moderator, { userId: c.admin.id, kind: 'ban', reason: 'x' }), 403, 'CANNOT_SANCTION'); // the creator: the community's admin
    const admin2 = await createMember(t.http, c.admin.accessToken, c.slug, 'admin');
    expectProblem(await sanction(c.moderator, { userId: admin2.id, kind: 'ban', reason: 'x' }), 403, 'CANNOT_SANCTION');
    expectProblem(await sanction(c.moderator, { userId: moderator2.id, kind: 'silence', reason: 'x' }), 403, 'CANNOT_SANCTION');
    expectProblem(await sanction(c.moderator, { userId: c.moderator.id, kind: 'warn', reason: 'x' }), 403, 'CANNOT_SANCTION');
    expect((await sanction(admin2, { userId: moderator2.id, kind: 'warn', reason: 'x' })).status).toBe(201);
    expectProblem(await sanction(c.staff, { userId: c.member.id, kind: 'warn', reason: 'x' }), 403, 'FORBIDDEN');
    expectProblem(await sanction(c.outsider, { userId: c.member.id, kind: 'warn', reason: 'x' }), 403, 'FORBIDDEN');
    expectProblem(await sanction(c.moderator, { userId: c.outsider.id, kind: 'warn', reason: 'x' }), 404, 'NOT_FOUND');
    expectProblem(await sanction(c.moderator, { userId: c.member.id, kind: 'ban', until: new Date(Date.now() - 1000).toISOString(), reason: 'x' }), 400, 'VALIDATION_FAILED');
    for (const body of [{ userId: c.member.id, kind: 'jail', reason: 'x' }, { userId: c.member.id, kind: 'ban' }, { userId: 'x', kind: 'ban', reason: 'x' }, { userId: c.member.id, kind: 'ban', reason: 'x', until: 'tomorrow' }]) {
      expect((await sanction(c.moderator, body)).status).toBe(400);
    }
    expect((await t.http.delete('/api/v1/sanctions/not-an-id', as(c.moderator))).status).toBe(404);
  });

  it('a suspended member searches public boards only; a banned one is refused', async () => {
    const u = await createMember(t.http, c.admin.accessToken, c.slug);
    const search = async () => t.http.get(`/api/v1/communities/${c.slug}/search?q=espresso`, as(u));
    expect((await search()).body.items.map((h: any) => h.thread.id).sort()).toEqual([publicThread.id, membersThread.id].sort());
    const suspended = await sanction(c.moderator, { userId: u.id, kind: 'suspend', reason: 'x' });
    expect((await search()).body.items.map((h: any) => h.thread.id)).toEqual([publicThread.id]);
    await t.http.delete(`/api/v1/sanctions/${suspended.body.id}`, as(c.moderator));
    await sanction(c.moderator, { userId: u.id, kind: 'ban', reason: 'x' });
    expectProblem(await search(), 403, 'BANNED');
    // As a guest (no token) the public boards stay readable, as to anyone.
    expect((await t.http.get(`/api/v1/threads/${publicThread.id}/posts`)).status).toBe(200);
  });

  describeIfRedis('several instances (Redis)', () => {
    it('a ban on one instance is enforced on another at once (its cached sanctions are dropped)', async () => {
      const other = t.databaseUrl ? await startApp({ databaseUrl: t.databaseUrl }) : await startApp({ options: { database: t.database } });
      try {
        const u = await createMember(t.http, c.admin.accessToken, c.slug);
        const read = () => other.http.get(`/api/v1/threads/${membersThread.id}/posts`, as(u));
        expect((await read()).status).toBe(200); // the other instance now holds the community's sanctions in memory
        expect((await sanction(c.moderator, { userId: u.id, kind: 'ban', reason: 'gone' })).status).toBe(201);
        await eventually(async () => (await read()).status === 403, 5_000);
        expectProblem(await read(), 403, 'BANNED');
      } finally {
        await other.close();
      }
    });
  });
});
