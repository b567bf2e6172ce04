import { describeIfPostgres, startApp, TestApp, usingRedis } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, eventually, loginAdmin, TestUser } from './support/factories';

/** The guest cache: guests' pages come from memory until the next write; members never touch it. */
describe('guest cache', () => {
  let t: TestApp;
  let admin: TestUser;
  let member: TestUser;
  let slug: string;
  let boardId: string;
  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    boardId = (await createBoard(t.http, admin.accessToken, slug, { slug: 'open' })).id;
    member = await createMember(t.http, admin.accessToken, slug);
  });
  afterAll(() => t?.close());

  it("serves a guest's second read of a page from the cache, with the same body", async () => {
    const thread = await createThread(t.http, member.accessToken, boardId);
    const first = await t.http.get(`/api/v1/threads/${thread.id}/posts`);
    const second = await t.http.get(`/api/v1/threads/${thread.id}/posts`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.text).toBe(first.text);
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    // The security headers are on cached answers too.
    expect(second.headers.get('x-content-type-options')).toBe('nosniff');
    // Another URL (another page size) is another entry.
    expect((await t.http.get(`/api/v1/threads/${thread.id}/posts?limit=5`)).headers.get('x-cache')).toBe('MISS');
  });

  it('shows a guest the reply that a member just posted', async () => {
    const thread = await createThread(t.http, member.accessToken, boardId);
    const url = `/api/v1/threads/${thread.id}/posts`;
    await t.http.get(url);
    expect((await t.http.get(url)).headers.get('x-cache')).toBe('HIT');
    const board = `/api/v1/boards/${boardId}/threads`;
    await t.http.get(board);
    const posted = await reply(t.http, member.accessToken, thread.id, 'fresh news');
    const after = await t.http.get(url);
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.body.items.map((p: { id: string }) => p.id)).toContain(posted.id);
    const list = await t.http.get(board);
    expect(list.headers.get('x-cache')).toBe('MISS');
    expect(list.body.items.find((x: { id: string }) => x.id === thread.id).replyCount).toBe(1);
  });

  it('answers 404 at once when a board stops being public', async () => {
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: 'soon-private' });
    const thread = await createThread(t.http, member.accessToken, board.id);
    await t.http.get(`/api/v1/threads/${thread.id}`);
    expect((await t.http.get(`/api/v1/threads/${thread.id}`)).headers.get('x-cache')).toBe('HIT');
    expect((await t.http.patch(`/api/v1/boards/${board.id}`, { visibility: 'members' }, { token: admin.accessToken })).status).toBe(200);
    expect((await t.http.get(`/api/v1/threads/${thread.id}`)).status).toBe(404);
    expect((await t.http.get(`/api/v1/threads/${thread.id}/posts`)).status).toBe(404);
    // The member still reads it, and not from the cache.
    const asMember = await t.http.get(`/api/v1/threads/${thread.id}`, { token: member.accessToken });
    expect(asMember.status).toBe(200);
    expect(asMember.headers.get('x-cache')).toBeNull();
  });

  it("never serves a member from the cache, nor a member's page to a guest", async () => {
    const thread = await createThread(t.http, member.accessToken, boardId);
    expect((await t.http.put(`/api/v1/posts/${thread.firstPost.id}/reactions/like`, undefined, { token: member.accessToken })).status).toBe(204);
    const url = `/api/v1/threads/${thread.id}/posts`;
    for (let i = 0; i < 2; i++) {
      const mine = await t.http.get(url, { token: member.accessToken });
      expect(mine.headers.get('x-cache')).toBeNull();
      expect(mine.body.items[0].myReactions).toEqual(['like']);
    }
    const guest = await t.http.get(url);
    expect(guest.headers.get('x-cache')).toBe('MISS');
    expect(guest.body.items[0].myReactions).toEqual([]);
    expect(guest.body.items[0].myVote).toBeNull();
    expect(guest.body.items[0].reactions).toEqual({ like: 1 });
  });

  it('keeps its pages when a write is refused, and does not cache errors', async () => {
    const thread = await createThread(t.http, member.accessToken, boardId);
    const url = `/api/v1/threads/${thread.id}/posts`;
    await t.http.get(url);
    // Refused (a guest cannot reply; an empty body is invalid): nothing changed, the page stays cached.
    expect((await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'x' })).status).toBe(401);
    expect((await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: '' }, { token: member.accessToken })).status).toBe(400);
    expect((await t.http.get(url)).headers.get('x-cache')).toBe('HIT');
    const missing = '/api/v1/threads/00000000-0000-4000-8000-000000000000/posts';
    expect((await t.http.get(missing)).status).toBe(404);
    const again = await t.http.get(missing);
    expect(again.status).toBe(404);
    expect(again.headers.get('x-cache')).toBe('MISS');
  });

  it('is off with GUEST_CACHE_SECONDS=0', async () => {
    const off = await startApp({ env: { GUEST_CACHE_SECONDS: '0' } });
    try {
      const res = await off.http.get('/api/v1/communities/none-such/boards');
      expect(res.headers.get('x-cache')).toBeNull();
    } finally {
      await off.close();
    }
  });
});

describeIfPostgres('guest cache across two server instances (PostgreSQL and Redis)', () => {
  (usingRedis ? it : it.skip)("clears the other instance's pages, and the board rows they were built from, when one instance writes", async () => {
    const a = await startApp();
    const b = await startApp({ databaseUrl: a.databaseUrl! });
    try {
      const admin = await loginAdmin(a.http);
      const { slug } = await createCommunity(a.http, admin.accessToken);
      await setSettings(a.http, admin.accessToken, slug, NO_LIMITS);
      const board = await createBoard(a.http, admin.accessToken, slug, { slug: 'shared' });
      const member = await createMember(a.http, admin.accessToken, slug);
      const thread = await createThread(a.http, member.accessToken, board.id);
      const other = await createThread(a.http, member.accessToken, board.id);
      const url = `/api/v1/threads/${thread.id}/posts`;
      const otherUrl = `/api/v1/threads/${other.id}/posts`;
      for (const u of [url, otherUrl]) {
        await a.http.get(u);
        expect((await a.http.get(u)).headers.get('x-cache')).toBe('HIT');
      }
      const posted = await reply(b.http, member.accessToken, thread.id, 'written on the other instance');
      const fresh = await eventually(async () => {
        const res = await a.http.get(url);
        return res.body.items.some((p: { id: string }) => p.id === posted.id) ? res : undefined;
      }, 2_000);
      expect(fresh!.body.items).toHaveLength(2);
      // Only the pages the reply changed went: another thread's page, and pages after a log-in, stay.
      expect((await a.http.get(otherUrl)).headers.get('x-cache')).toBe('HIT');
      expect((await b.http.post('/api/v1/auth/login', { email: member.email, password: member.password })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
      expect((await a.http.get(otherUrl)).headers.get('x-cache')).toBe('HIT');

      // A board made private on one instance stops being served to guests by the other at once: its
      // cached page and its cached board row both go (the row cache alone would keep it for 5 s).
      const hidden = await createBoard(a.http, admin.accessToken, slug, { slug: 'to-hide' });
      const secret = await createThread(a.http, member.accessToken, hidden.id);
      await b.http.get(`/api/v1/threads/${secret.id}`);
      expect((await b.http.get(`/api/v1/threads/${secret.id}`)).headers.get('x-cache')).toBe('HIT');
      expect((await a.http.patch(`/api/v1/boards/${hidden.id}`, { visibility: 'staff' }, { token: admin.accessToken })).status).toBe(200);
      await eventually(async () => (await b.http.get(`/api/v1/threads/${secret.id}/posts?limit=3`)).status === 404, 1_000);
      expect((await b.http.get(`/api/v1/threads/${secret.id}`)).status).toBe(404);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
