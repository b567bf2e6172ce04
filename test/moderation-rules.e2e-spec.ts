import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Automod rules: blocking, queuing and flagging in titles and posts; queued posts published (and their events recorded) only when approved. */
describe('moderation: automod rules and queued posts', () => {
  let t: TestApp;
  let c: Cast;
  let db: Db;
  let boardId: string;
  beforeAll(async () => {
    t = await startApp();
    c = await createCast(t.http);
    db = t.app.get(Db);
    boardId = (await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'talk' })).id;
    const res = await putRules(c.admin, {
      watchedWords: [
        { pattern: 'casino', action: 'block' },
        { pattern: 'buy now', action: 'queue' },
        { pattern: 'crypto*', action: 'flag' },
      ],
      queueNewMemberFirstPost: false,
    });
    expect(res.status).toBe(200);
  });
  afterAll(() => t?.close());
  const as = (u: { accessToken: string }) => ({ token: u.accessToken });
  function putRules(who: TestUser, body: unknown) {
    return t.http.put(`/api/v1/communities/${c.slug}/moderation/rules`, body, as(who));
  }
  const count = async (sql: string, params: unknown[]) => (await db.query<{ n: number }>(sql, params))[0].n;
  const events = (type: string, postId: string) => count(`SELECT count(*)::int AS n FROM events WHERE type = $1 AND data->>'postId' = $2`, [type, postId]);
  const queue = async () => (await t.http.get(`/api/v1/communities/${c.slug}/moderation/queue?limit=100`, as(c.moderator))).body.items;
  const listed = async (who?: TestUser) => (await t.http.get(`/api/v1/boards/${boardId}/threads?limit=100`, who ? as(who) : {})).body.items.map((x: any) => x.id);

  it('only admins read and change the rules; bad rules are refused', async () => {
    expect((await t.http.get(`/api/v1/communities/${c.slug}/moderation/rules`, as(c.admin))).body.watchedWords).toHaveLength(3);
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/moderation/rules`, as(c.moderator)), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/moderation/rules`, as(c.outsider)), 403, 'FORBIDDEN');
    expectProblem(await putRules(c.outsider, { watchedWords: [], queueNewMemberFirstPost: false }), 403, 'FORBIDDEN');
    const word = (pattern: string) => ({ watchedWords: [{ pattern, action: 'flag' }], queueNewMemberFirstPost: false });
    for (const body of [
      word('*'),
      word('x'.repeat(101)),
      word('  '),
      word('!!!'),
      { watchedWords: [{ pattern: 'a', action: 'flag' }, { pattern: 'A', action: 'block' }], queueNewMemberFirstPost: false },
      { watchedWords: Array.from({ length: 1001 }, (_, i) => ({ pattern: `w${i}`, action: 'flag' })), queueNewMemberFirstPost: false },
      { watchedWords: [{ pattern: 'a', action: 'delete' }], queueNewMemberFirstPost: false },
      { watchedWords: [] },
      { watchedWords: 'casino', queueNewMemberFirstPost: false },
      // Arrays inside the list (class-validator would walk into them and find nothing wrong: found by the fuzz as a 500).
      { watchedWords: [[], [{ pattern: 'a', action: 'flag' }]], queueNewMemberFirstPost: true },
      { watchedWords: ['casino'], queueNewMemberFirstPost: true },
    ]) {
      expect((await putRules(c.admin, body)).status).toBe(400);
    }
    expect((await t.http.get(`/api/v1/communities/${c.slug}/moderation/rules`, as(c.admin))).body.watchedWords).toHaveLength(3);
  });

  it('with the version it read, a save is refused (409 RULES_CHANGED, nothing written) when another admin saved meanwhile', async () => {
    const other = await createMember(t.http, c.admin.accessToken, c.slug, 'admin');
    const read = async () => (await t.http.get(`/api/v1/communities/${c.slug}/moderation/rules`, as(c.admin))).body;
    const start = await read();
    expect(typeof start.version).toBe('string');
    expect(start.version.length).toBeGreaterThan(10);
    // Both admins start from the same version; the first save wins and changes the version.
    const mine = { watchedWords: [...start.watchedWords, { pattern: 'spamword', action: 'flag' }], queueNewMemberFirstPost: false, version: start.version };
    const theirs = { watchedWords: [...start.watchedWords, { pattern: 'otherword', action: 'flag' }], queueNewMemberFirstPost: false, version: start.version };
    const saved = await putRules(other, theirs);
    expect(saved.status).toBe(200);
    expect(saved.body.version).not.toBe(start.version);
    const refused = await putRules(c.admin, mine);
    expectProblem(refused, 409, 'RULES_CHANGED');
    expect(refused.body.version).toBe(saved.body.version);
    const now = await read();
    expect(now.watchedWords.map((w: { pattern: string }) => w.pattern)).toEqual([...start.watchedWords.map((w: { pattern: string }) => w.pattern), 'otherword']);
    expect(now.version).toBe(saved.body.version);
    // Reapplied on the current version, it lands.
    const again = await putRules(c.admin, { watchedWords: [...now.watchedWords, { pattern: 'spamword', action: 'flag' }], queueNewMemberFirstPost: false, version: now.version });
    expect(again.status).toBe(200);
    // Without a version the rules are replaced as before (back to the three rules the other tests use).
    const back = await putRules(c.admin, { watchedWords: start.watchedWords, queueNewMemberFirstPost: false });
    expect(back.status).toBe(200);
    // Equal rules, equal version.
    expect(back.body.version).toBe(start.version);
    expect((await read()).version).toBe(start.version);
    expect((await putRules(c.admin, { ...back.body, version: 'x'.repeat(65) })).status).toBe(400);
    expect((await putRules(c.admin, { ...back.body, version: 7 })).status).toBe(400);
  });

  it('block: 422 CONTENT_BLOCKED in a title, a post or an edit, and nothing is stored', async () => {
    const before = await count('SELECT count(*)::int AS n FROM threads WHERE community_id = $1', [c.communityId]);
    expectProblem(await t.http.post(`/api/v1/boards/${boardId}/threads`, { title: 'Best CASINO deals', body: 'hello' }, as(c.member)), 422, 'CONTENT_BLOCKED');
    expectProblem(await t.http.post(`/api/v1/boards/${boardId}/threads`, { title: 'Hello', body: 'visit my casino!' }, as(c.member)), 422, 'CONTENT_BLOCKED');
    expect(await count('SELECT count(*)::int AS n FROM threads WHERE community_id = $1', [c.communityId])).toBe(before);
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Clean' });
    expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'Casino.' }, as(c.member2)), 422, 'CONTENT_BLOCKED');
    expectProblem(await t.http.patch(`/api/v1/posts/${thread.firstPost.id}`, { body: 'now a casino' }, as(c.member)), 422, 'CONTENT_BLOCKED');
    expect(await count('SELECT count(*)::int AS n FROM posts WHERE thread_id = $1', [thread.id])).toBe(1);
    // Whole words only; staff are exempt.
    expect((await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'casinos and microcasino' }, as(c.member2))).status).toBe(201);
    expect((await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'casino' }, as(c.staff))).status).toBe(201);
  });

  it('queue: a thread is stored invisible, in the queue, and published with thread.created only when approved', async () => {
    const res = await t.http.post(`/api/v1/boards/${boardId}/threads`, { title: 'Buy now: filters', body: 'great offer' }, as(c.member));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ hidden: true, firstPost: { hidden: true, queued: true } });
    const thread = res.body;
    expect(await events('thread.created', thread.firstPost.id)).toBe(0);
    expect(await listed()).not.toContain(thread.id);
    expect(await listed(c.member2)).not.toContain(thread.id);
    expect(await listed(c.moderator)).toContain(thread.id);
    expectProblem(await t.http.get(`/api/v1/threads/${thread.id}`), 404, 'NOT_FOUND');
    expectProblem(await t.http.get(`/api/v1/threads/${thread.id}`, as(c.member2)), 404, 'NOT_FOUND');
    expect((await t.http.get(`/api/v1/threads/${thread.id}`, as(c.member))).status).toBe(200); // its author
    expect((await t.http.get(`/api/v1/communities/${c.slug}/search?q=filters`)).body.items).toEqual([]);
    expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'me too' }, as(c.member)), 409, 'THREAD_AWAITS_REVIEW');

    const item = (await queue()).find((i: any) => i.targetId === thread.firstPost.id);
    expect(item).toMatchObject({ type: 'queued_post', status: 'pending', automod: ['buy now'], target: { thread: { id: thread.id } } });
    const approved = await t.http.post(`/api/v1/moderation/items/${item.id}/resolve`, { action: 'approve', version: item.version }, as(c.moderator));
    expect(approved.body).toMatchObject({ status: 'approved' });
    expect(await events('thread.created', thread.firstPost.id)).toBe(1);
    expect(await events('post.approved', thread.firstPost.id)).toBe(1);
    expect(await listed()).toContain(thread.id);
    const published = (await t.http.get(`/api/v1/threads/${thread.id}`)).body;
    expect(published).toMatchObject({ firstPost: { hidden: false } });
    expect([published.hidden, published.firstPost.queued]).toEqual([undefined, undefined]);
    expect((await t.http.get(`/api/v1/communities/${c.slug}/search?q=filters`)).body.items.map((h: any) => h.thread.id)).toEqual([thread.id]);
  });

  it('queue: a reply stays invisible and uncounted until approved, then post.created; rejecting keeps it unpublished', async () => {
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Replies' });
    const url = `/api/v1/threads/${thread.id}/posts`;
    expect((await t.http.get(url)).body.items).toHaveLength(1); // cached for guests
    const held = await t.http.post(url, { body: 'please BUY now' }, as(c.member2));
    expect(held.body).toMatchObject({ hidden: true, queued: true });
    expect((await t.http.get(url)).body.items.map((p: any) => p.id)).not.toContain(held.body.id);
    expect((await t.http.get(`/api/v1/threads/${thread.id}`)).body.replyCount).toBe(0);
    expect(await events('post.created', held.body.id)).toBe(0);
    const rejected = await t.http.post(url, { body: 'buy now or never' }, as(c.member2));
    const items = await queue();
    const itemOf = (id: string) => items.find((i: any) => i.targetId === id);
    await t.http.post(`/api/v1/moderation/items/${itemOf(rejected.body.id).id}/resolve`, { action: 'hide' }, as(c.moderator));
    await t.http.post(`/api/v1/moderation/items/${itemOf(held.body.id).id}/resolve`, { action: 'dismiss' }, as(c.moderator));
    expect(await events('post.created', held.body.id)).toBe(1);
    expect(await events('post.created', rejected.body.id)).toBe(0);
    const ids = (await t.http.get(url)).body.items.map((p: any) => p.id);
    expect(ids).toContain(held.body.id);
    expect(ids).not.toContain(rejected.body.id);
    expect((await t.http.get(`/api/v1/threads/${thread.id}`)).body.replyCount).toBe(1);
  });

  it('flag: published at once and put in the queue; an edit into a queue word hides the post for review', async () => {
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Cryptocurrency question' });
    expect(thread.hidden).toBeUndefined();
    expect(await listed()).toContain(thread.id);
    expect(await events('thread.created', thread.firstPost.id)).toBe(1);
    const post = await reply(t.http, c.member2.accessToken, thread.id, 'I like crypto');
    const items = await queue();
    expect(items.find((i: any) => i.targetId === thread.firstPost.id)).toMatchObject({ type: 'flagged_post', automod: ['crypto*'] });
    expect(items.find((i: any) => i.targetId === post.id)).toMatchObject({ type: 'flagged_post', automod: ['crypto*'] });

    const edited = await t.http.patch(`/api/v1/posts/${post.id}`, { body: 'buy now please' }, as(c.member2));
    expect(edited.body).toMatchObject({ hidden: true });
    expect(edited.body.queued).toBeUndefined();
    expect(await events('post.hidden', post.id)).toBe(1);
    expect((await t.http.get(`/api/v1/threads/${thread.id}/posts`)).body.items.map((p: any) => p.id)).not.toContain(post.id);
    const item = (await queue()).find((i: any) => i.targetId === post.id);
    expect(item.automod).toEqual(expect.arrayContaining(['crypto*', 'buy now']));
  });

  it("holds every new member's first post when the community asks for it", async () => {
    await putRules(c.admin, { watchedWords: [], queueNewMemberFirstPost: true });
    const newcomer = await createMember(t.http, c.admin.accessToken, c.slug);
    // c.member is new too, but has published posts already: not held.
    expect((await createThread(t.http, c.member.accessToken, boardId, { title: 'Welcome' })).firstPost.queued).toBeUndefined();
    const staffThread = await createThread(t.http, c.staff.accessToken, boardId, { title: 'Staff thread' }); // staff are exempt
    expect(staffThread.firstPost.queued).toBeUndefined();
    const first = await reply(t.http, newcomer.accessToken, staffThread.id, 'hello all');
    expect(first).toMatchObject({ queued: true });
    const item = (await queue()).find((i: any) => i.targetId === first.id);
    expect(item.automod).toEqual(['first post of a new member']);
    await t.http.delete(`/api/v1/posts/${first.id}/hidden`, as(c.moderator)); // restoring a held post approves it
    expect(await events('post.approved', first.id)).toBe(1);
    const second = await reply(t.http, newcomer.accessToken, staffThread.id, 'second');
    expect(second.queued).toBeUndefined();
    await putRules(c.admin, { watchedWords: [], queueNewMemberFirstPost: false });
  });

  it('moderators hide and restore posts directly; others may not', async () => {
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Hide me' });
    const post = await reply(t.http, c.member2.accessToken, thread.id, 'a reply');
    expectProblem(await t.http.put(`/api/v1/posts/${post.id}/hidden`, undefined, as(c.member)), 403, 'FORBIDDEN');
    expectProblem(await t.http.put(`/api/v1/posts/${post.id}/hidden`, undefined, as(c.outsider)), 403, 'FORBIDDEN');
    const hidden = await t.http.put(`/api/v1/posts/${post.id}/hidden`, undefined, as(c.moderator));
    expect(hidden.body).toMatchObject({ id: post.id, hidden: true });
    expect((await t.http.get(`/api/v1/threads/${thread.id}/posts`)).body.items.map((p: any) => p.id)).not.toContain(post.id);
    expectProblem(await t.http.put(`/api/v1/posts/${post.id}/hidden`, undefined, as(c.outsider)), 404, 'NOT_FOUND');
    const restored = await t.http.delete(`/api/v1/posts/${post.id}/hidden`, as(c.moderator));
    expect(restored.body.hidden).toBe(false);
    expect(await events('post.restored', post.id)).toBe(1);
  });
});
