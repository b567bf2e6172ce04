import { Db } from '../src/core/database/db.service';
import { describeIfPostgres, startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Reports, auto-hide at flagsToHide distinct reporters, weights, and what a report may not do. */
describe('moderation: reports and auto-hide', () => {
  let t: TestApp;
  let c: Cast;
  let boardId: string;
  let db: Db;
  beforeAll(async () => {
    t = await startApp();
    c = await createCast(t.http);
    boardId = (await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'talk' })).id;
    db = t.app.get(Db);
  });
  afterAll(() => t?.close());
  const as = (u: { accessToken: string }) => ({ token: u.accessToken });
  const report = (who: TestUser, body: Record<string, unknown>) => t.http.post('/api/v1/reports', { reason: 'spam', ...body }, as(who));
  const members = async (n: number) => Promise.all(Array.from({ length: n }, () => createMember(t.http, c.admin.accessToken, c.slug)));
  const postsOf = async (threadId: string, who?: TestUser) => (await t.http.get(`/api/v1/threads/${threadId}/posts`, who ? as(who) : {})).body.items.map((p: any) => p.id);
  const queue = async (q = '') => (await t.http.get(`/api/v1/communities/${c.slug}/moderation/queue?limit=100${q}`, as(c.moderator))).body.items;

  it('three distinct reporters hide a post from everyone but its author and moderators; two do not', async () => {
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Where to buy filters' });
    const post = await reply(t.http, c.member2.accessToken, thread.id, 'Cheap pills here');
    const search = async () => (await t.http.get(`/api/v1/communities/${c.slug}/search?q=pills`)).body.items.map((h: any) => h.post.id);
    expect(await search()).toEqual([post.id]);
    const [a, b, d] = await members(3);
    // A guest reads the page (now cached) before anything happens.
    expect(await postsOf(thread.id)).toContain(post.id);
    const cachedPage = await t.http.get(`/api/v1/threads/${thread.id}/posts`);
    expect(cachedPage.headers.get('x-cache')).toBe('HIT');

    expect((await report(a, { targetType: 'post', targetId: post.id })).status).toBe(201);
    const again = await report(a, { targetType: 'post', targetId: post.id, reason: 'abuse' });
    expect(again.status).toBe(200); // the same member twice counts once
    expect((await report(b, { targetType: 'post', targetId: post.id })).status).toBe(201);
    expect(await postsOf(thread.id)).toContain(post.id);
    const [item] = (await queue()).filter((i: any) => i.targetId === post.id);
    expect(item).toMatchObject({ type: 'flagged_post', status: 'pending', score: 2, target: { post: { id: post.id, hidden: false } } });
    expect(item.reports).toHaveLength(2);

    expect((await report(d, { targetType: 'post', targetId: post.id })).status).toBe(201);
    // Hidden at once for guests (the cached page is dropped) and members; its author and moderators still see it.
    expect(await postsOf(thread.id)).not.toContain(post.id);
    expect(await postsOf(thread.id, c.member)).not.toContain(post.id);
    expect(await postsOf(thread.id, c.moderator)).toContain(post.id);
    expect(await search()).toEqual([]); // search leaves hidden posts out
    const own = await t.http.get(`/api/v1/threads/${thread.id}`, as(c.member2));
    expect(own.status).toBe(200);
    const [events] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'post.hidden' AND data->>'postId' = $1 AND data->>'hiddenBy' IS NULL`, [post.id]);
    expect(events.n).toBe(1);
    // Nobody else can report it any more (they cannot see it): 404.
    const [e] = await members(1);
    expectProblem(await report(e, { targetType: 'post', targetId: post.id }), 404, 'NOT_FOUND');
  });

  it('a trusted reporter weighs more: two staff reports reach the weighted threshold', async () => {
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Weighted' });
    const post = await reply(t.http, c.member2.accessToken, thread.id, 'Spam again');
    const staff2 = await createMember(t.http, c.admin.accessToken, c.slug, 'staff');
    expect((await report(c.staff, { targetType: 'post', targetId: post.id })).status).toBe(201);
    expect(await postsOf(thread.id)).toContain(post.id);
    expect((await report(staff2, { targetType: 'post', targetId: post.id })).status).toBe(201);
    expect(await postsOf(thread.id)).not.toContain(post.id);
    const [item] = (await queue()).filter((i: any) => i.targetId === post.id);
    expect(item.score).toBe(10);
  });

  it('a report on a thread is a report on its first post: one item', async () => {
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Reported thread' });
    const [a] = await members(1);
    expect((await report(a, { targetType: 'thread', targetId: thread.id })).status).toBe(201);
    expect((await report(a, { targetType: 'post', targetId: thread.firstPost.id })).status).toBe(200);
    const items = (await queue()).filter((i: any) => i.targetId === thread.firstPost.id);
    expect(items).toHaveLength(1);
    expect(items[0].target.thread.id).toBe(thread.id);
  });

  it('refuses own content, unseen targets, non-members, bad input, and a 21st report in a day', async () => {
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Mine' });
    expectProblem(await report(c.member, { targetType: 'post', targetId: thread.firstPost.id }), 422, 'CANNOT_REPORT_OWN');
    expectProblem(await report(c.member, { targetType: 'user', targetId: c.member.id, communityId: c.communityId }), 422, 'CANNOT_REPORT_OWN');
    const staffBoard = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'staff-only', visibility: 'staff' });
    const secret = await createThread(t.http, c.staff.accessToken, staffBoard.id, { title: 'Staff talk' });
    expectProblem(await report(c.member2, { targetType: 'thread', targetId: secret.id }), 404, 'NOT_FOUND');
    expectProblem(await report(c.outsider, { targetType: 'post', targetId: thread.firstPost.id }), 403, 'FORBIDDEN');
    expectProblem(await report(c.member2, { targetType: 'user', targetId: c.member.id }), 400, 'VALIDATION_FAILED');
    expectProblem(await report(c.outsider, { targetType: 'user', targetId: c.member.id, communityId: c.communityId }), 404, 'NOT_FOUND');
    expectProblem(await report(c.member2, { targetType: 'message', targetId: thread.id }), 404, 'NOT_FOUND');
    for (const body of [
      { targetType: 'comment', targetId: thread.id },
      { targetType: 'post', targetId: 'nope' },
      { targetType: 'post', targetId: thread.firstPost.id, reason: 'meh' },
      { targetType: 'post', targetId: thread.firstPost.id, note: 'x'.repeat(1001) },
      { targetType: 'post', targetId: thread.firstPost.id, extra: 1 },
    ]) {
      expect((await report(c.member2, body)).status).toBe(400);
    }
    const reporter = (await members(1))[0];
    const victims = await Promise.all(Array.from({ length: 21 }, (_, i) => reply(t.http, c.member2.accessToken, thread.id, `reply ${i}`)));
    for (let i = 0; i < 20; i++) expect((await report(reporter, { targetType: 'post', targetId: victims[i].id, reason: 'off_topic' })).status).toBe(201);
    const limited = await report(reporter, { targetType: 'post', targetId: victims[20].id });
    expectProblem(limited, 429, 'RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toBeTruthy();
    // A repeat of an open report is still answered (it files nothing).
    expect((await report(reporter, { targetType: 'post', targetId: victims[0].id })).status).toBe(200);
  });

  it('a user report goes to that community\'s queue', async () => {
    const [a] = await members(1);
    const res = await report(a, { targetType: 'user', targetId: c.member2.id, communityId: c.communityId, reason: 'abuse', note: 'rude in chat' });
    expect(res.status).toBe(201);
    const [item] = (await queue('&type=flagged_user')).filter((i: any) => i.targetId === c.member2.id);
    expect(item).toMatchObject({ type: 'flagged_user', targetType: 'user', target: { user: { id: c.member2.id } } });
    expect(item.reports[0]).toMatchObject({ reason: 'abuse', note: 'rude in chat', reporter: { id: a.id } });
  });

  describeIfPostgres('concurrency (PostgreSQL)', () => {
    it('concurrent reports on one post create one item, and concurrent repeats count once', async () => {
      const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Raced' });
      const post = await reply(t.http, c.member2.accessToken, thread.id, 'Raced reply');
      const reporters = await members(6);
      const results = await Promise.all([...reporters, reporters[0], reporters[1]].map((r) => report(r, { targetType: 'post', targetId: post.id })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(6);
      expect(results.every((r) => r.status === 201 || r.status === 200)).toBe(true);
      const items = await db.query<{ id: string }>('SELECT id FROM review_items WHERE target_id = $1', [post.id]);
      expect(items).toHaveLength(1);
      const [open] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM reports WHERE item_id = $1 AND status = 'open'`, [items[0].id]);
      expect(open.n).toBe(6);
      const [hidden] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'post.hidden' AND data->>'postId' = $1`, [post.id]);
      expect(hidden.n).toBe(1);
    });
  });
});
