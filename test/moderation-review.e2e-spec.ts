import { Db } from '../src/core/database/db.service';
import { describeIfPostgres, startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Resolving review items: optimistic locking, every action, atomicity, and who may. */
describe('moderation: the review queue', () => {
  let t: TestApp;
  let c: Cast;
  let boardId: string;
  let db: Db;
  let moderator2: TestUser;
  beforeAll(async () => {
    t = await startApp();
    c = await createCast(t.http, { postCooldownSeconds: 0, newMemberPostCooldownSeconds: 0, newMemberMaxLinks: 100, flagsToHide: 2, newMemberDays: 0, newMemberPosts: 0 });
    boardId = (await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'talk' })).id;
    db = t.app.get(Db);
    moderator2 = await createMember(t.http, c.admin.accessToken, c.slug, 'moderator');
  });
  afterAll(() => t?.close());
  const as = (u: { accessToken: string }) => ({ token: u.accessToken });
  const members = async (n: number) => Promise.all(Array.from({ length: n }, () => createMember(t.http, c.admin.accessToken, c.slug)));
  const resolve = (who: TestUser, itemId: string, body: Record<string, unknown>) => t.http.post(`/api/v1/moderation/items/${itemId}/resolve`, body, as(who));
  const postsOf = async (threadId: string) => (await t.http.get(`/api/v1/threads/${threadId}/posts`)).body.items.map((p: any) => p.id);

  /** A reply reported by `n` members (2 hide it here), and its item. */
  async function flagged(n: number, author: TestUser = c.member2) {
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'A thread' });
    const post = await reply(t.http, author.accessToken, thread.id, 'Questionable reply');
    let itemId = '';
    for (const r of await members(n)) {
      const res = await t.http.post('/api/v1/reports', { targetType: 'post', targetId: post.id, reason: 'spam' }, as(r));
      expect(res.status).toBe(201);
      itemId = res.body.itemId;
    }
    const item = await itemOf(itemId);
    return { thread, post, item };
  }
  const itemOf = async (id: string, status = 'open') =>
    (await t.http.get(`/api/v1/communities/${c.slug}/moderation/queue?limit=100&status=${status}`, as(c.moderator))).body.items.find((i: any) => i.id === id);
  const eventCount = async (type: string, postId: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = $1 AND data->>'postId' = $2`, [type, postId]))[0].n;

  it('two moderators resolving one item: the first wins, the second gets 409', async () => {
    const { item } = await flagged(1);
    const first = await resolve(c.moderator, item.id, { action: 'hide', version: item.version });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'approved', resolution: 'hide', version: item.version + 1 });
    expectProblem(await resolve(moderator2, item.id, { action: 'dismiss', version: item.version }), 409, 'REVIEW_ITEM_CHANGED');
    expectProblem(await resolve(moderator2, item.id, { action: 'dismiss' }), 409, 'REVIEW_ITEM_CHANGED');
    // A stale version is refused while the item is still pending, too.
    const other = await flagged(1);
    expectProblem(await resolve(c.moderator, other.item.id, { action: 'hide', version: other.item.version + 5 }), 409, 'REVIEW_ITEM_CHANGED');
    expect((await itemOf(other.item.id)).status).toBe('pending');
  });

  it('dismiss restores an auto-hidden post (post.restored) and dismisses the reports; hide keeps it hidden and upholds them', async () => {
    const a = await flagged(2);
    expect(await postsOf(a.thread.id)).not.toContain(a.post.id);
    const res = await resolve(c.moderator, a.item.id, { action: 'dismiss', note: 'fine', version: a.item.version });
    expect(res.body).toMatchObject({ status: 'rejected', note: 'fine' });
    expect(res.body.reports.map((r: any) => r.status)).toEqual(['dismissed', 'dismissed']);
    expect(await postsOf(a.thread.id)).toContain(a.post.id);
    expect(await eventCount('post.restored', a.post.id)).toBe(1);

    const author = await createMember(t.http, c.admin.accessToken, c.slug);
    const trustOf = async (id: string) =>
      (await t.http.get(`/api/v1/communities/${c.slug}/members?limit=100`, as(c.moderator))).body.items.find((m: any) => m.user.id === id).trust;
    expect(await trustOf(author.id)).toBe('member');
    const b = await flagged(1, author);
    const hidden = await resolve(c.moderator, b.item.id, { action: 'hide' });
    expect(hidden.body.reports.map((r: any) => r.status)).toEqual(['upheld']);
    expect(await postsOf(b.thread.id)).not.toContain(b.post.id);
    expect(await eventCount('post.hidden', b.post.id)).toBe(1);
    const [resolved] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'review.resolved' AND data->>'itemId' = $1`, [b.item.id]);
    expect(resolved.n).toBe(1);
    // The author's trust drops to new for 30 days (an upheld report).
    expect(await trustOf(author.id)).toBe('new');
    expect(await trustOf(c.staff.id)).toBe('staff');
    const asMember = await t.http.get(`/api/v1/communities/${c.slug}/members?limit=100`, as(c.member));
    expect(asMember.body.items.every((m: any) => m.trust === undefined)).toBe(true);
  });

  it('delete removes the post; sanction sanctions its author in the same transaction', async () => {
    const a = await flagged(1);
    expect((await resolve(c.moderator, a.item.id, { action: 'delete' })).status).toBe(200);
    expect(await eventCount('post.deleted', a.post.id)).toBe(1);
    expect(await postsOf(a.thread.id)).not.toContain(a.post.id);

    const victim = await createMember(t.http, c.admin.accessToken, c.slug);
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Sanction me' });
    const post = await reply(t.http, victim.accessToken, thread.id, 'rude words');
    const [r] = await members(1);
    const rep = await t.http.post('/api/v1/reports', { targetType: 'post', targetId: post.id, reason: 'abuse' }, as(r));
    expectProblem(await resolve(c.moderator, rep.body.itemId, { action: 'sanction' }), 400, 'VALIDATION_FAILED');
    const res = await resolve(c.moderator, rep.body.itemId, { action: 'sanction', sanction: { kind: 'silence', reason: 'rude' } });
    expect(res.status).toBe(200);
    expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'again' }, as(victim)), 403, 'SILENCED');

    // A flagged post deleted elsewhere (DELETE /posts/:id): its pending item is ignored (from post.deleted, after commit).
    const c2 = await flagged(1);
    expect((await t.http.delete(`/api/v1/posts/${c2.post.id}`, as(c.moderator))).status).toBe(204);
    await eventually(async () => (await itemOf(c2.item.id, 'resolved'))?.status === 'ignored');
    expect((await itemOf(c2.item.id, 'resolved')).reports.map((r: any) => r.status)).toEqual(['ignored']);
  });

  it('a resolve that fails leaves the item, its reports and its target as they were', async () => {
    // The post's author is promoted to admin after posting: sanctioning an admin is refused inside the transaction.
    const author = await createMember(t.http, c.admin.accessToken, c.slug);
    const thread = await createThread(t.http, c.member.accessToken, boardId, { title: 'Atomic' });
    const post = await reply(t.http, author.accessToken, thread.id, 'will be hidden');
    for (const r of await members(2)) await t.http.post('/api/v1/reports', { targetType: 'post', targetId: post.id, reason: 'spam' }, as(r));
    await t.http.put(`/api/v1/communities/${c.slug}/members/${author.id}/role`, { role: 'admin' }, as(c.admin));
    const [item] = await db.query<{ id: string; version: number }>('SELECT id, version FROM review_items WHERE target_id = $1', [post.id]);
    const failed = await resolve(c.moderator, item.id, { action: 'sanction', version: item.version, sanction: { kind: 'ban', reason: 'x' } });
    expectProblem(failed, 403, 'CANNOT_SANCTION');
    const after = await itemOf(item.id);
    expect(after).toMatchObject({ status: 'pending', version: item.version, target: { post: { hidden: true } } });
    expect(after.reports.every((r: any) => r.status === 'open')).toBe(true);
    const [n] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM review_items WHERE id = $1 AND resolved_at IS NULL`, [item.id]);
    expect(n.n).toBe(1);
    // Bad input never 500.
    for (const body of [{}, { action: 'explode' }, { action: 'hide', version: 0 }, { action: 'hide', version: 'x' }, { action: 'sanction', sanction: { kind: 'jail', reason: 'x' } }, { action: 'hide', more: 1 }]) {
      expect((await resolve(c.moderator, item.id, body)).status).toBe(400);
    }
    expectProblem(await resolve(c.moderator, '00000000-0000-0000-0000-000000000000', { action: 'hide' }), 404, 'NOT_FOUND');
    expectProblem(await resolve(c.moderator, 'not-an-id', { action: 'hide' }), 404, 'NOT_FOUND');
  });

  it('user items take dismiss and sanction only; another community\'s moderator or a member is denied', async () => {
    const [r] = await members(1);
    const rep = await t.http.post('/api/v1/reports', { targetType: 'user', targetId: c.member2.id, communityId: c.communityId, reason: 'abuse' }, as(r));
    expectProblem(await resolve(c.moderator, rep.body.itemId, { action: 'hide' }), 422, 'ACTION_NOT_APPLICABLE');
    expectProblem(await resolve(c.outsider, rep.body.itemId, { action: 'dismiss' }), 404, 'NOT_FOUND');
    expectProblem(await resolve(c.member, rep.body.itemId, { action: 'dismiss' }), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/moderation/queue`, as(c.outsider)), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${c.slug}/moderation/queue`, as(c.staff)), 403, 'FORBIDDEN');
    expect((await resolve(c.moderator, rep.body.itemId, { action: 'dismiss' })).body.status).toBe('rejected');
    expect((await itemOf(rep.body.itemId, 'resolved')).status).toBe('rejected');
  });

  it('pages the queue by score with a cursor, and filters by type', async () => {
    await flagged(1);
    const seen: string[] = [];
    let cursor: string | null = null;
    let lastScore = Infinity;
    do {
      const url: string = `/api/v1/communities/${c.slug}/moderation/queue?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page: any = await t.http.get(url, as(c.moderator));
      expect(page.status).toBe(200);
      for (const i of page.body.items) {
        expect(i.score).toBeLessThanOrEqual(lastScore);
        lastScore = i.score;
        seen.push(i.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const [n] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM review_items WHERE community_id = $1 AND status = 'pending'`, [c.communityId]);
    expect(seen.length).toBe(n.n);
    const users = await t.http.get(`/api/v1/communities/${c.slug}/moderation/queue?type=flagged_user&status=resolved`, as(c.moderator));
    expect(users.body.items.every((i: any) => i.type === 'flagged_user')).toBe(true);
    expect((await t.http.get(`/api/v1/communities/${c.slug}/moderation/queue?cursor=forged.x`, as(c.moderator))).status).toBe(400);
    expect((await t.http.get(`/api/v1/communities/${c.slug}/moderation/queue?type=other`, as(c.moderator))).status).toBe(400);
  });

  describeIfPostgres('concurrency (PostgreSQL)', () => {
    it('two moderators resolving at once: exactly one wins', async () => {
      for (let round = 0; round < 3; round++) {
        const { item } = await flagged(1);
        const results = await Promise.all([
          resolve(c.moderator, item.id, { action: 'hide', version: item.version }),
          resolve(moderator2, item.id, { action: 'dismiss', version: item.version }),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        const [n] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'review.resolved' AND data->>'itemId' = $1`, [item.id]);
        expect(n.n).toBe(1);
      }
    });
  });
});
