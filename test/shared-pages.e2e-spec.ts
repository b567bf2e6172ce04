import { SharedPages } from '../src/threads/shared-pages';
import { describeIfPostgres, startApp, TestApp, usingRedis } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, eventually } from './support/factories';

/**
 * Members read thread pages and board lists from the shared page cache (SharedPages) with their own
 * reactions and votes read fresh and laid over; access is checked on every request.
 */
describe('shared pages for members', () => {
  let t: TestApp;
  let c: Cast;
  let boardId: string;
  let shared: SharedPages;
  beforeAll(async () => {
    t = await startApp();
    c = await createCast(t.http);
    boardId = (await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'open' })).id;
    shared = t.app.get(SharedPages);
  });
  afterAll(() => t?.close());
  const as = (u: { accessToken: string }) => ({ token: u.accessToken });

  it("serves members the shared page with their own reactions and votes, never another member's", async () => {
    const qa = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'questions', kind: 'qa' }); // votes are for answers
    const thread = await createThread(t.http, c.member.accessToken, qa.id);
    const answer = await reply(t.http, c.member2.accessToken, thread.id, 'an answer');
    const url = `/api/v1/threads/${thread.id}/posts`;
    expect((await t.http.get(url, as(c.member))).status).toBe(200);
    const before = shared.posts.size;
    expect(before).toBeGreaterThan(0);

    expect((await t.http.put(`/api/v1/posts/${answer.id}/reactions/helpful`, undefined, as(c.member))).status).toBe(204);
    expect((await t.http.put(`/api/v1/posts/${answer.id}/vote`, { value: 1 }, as(c.member))).status).toBe(200);
    // Read once by member2 (stores the page), then by everyone from the shared entry.
    const second = await t.http.get(url, as(c.member2));
    const mine = await t.http.get(url, as(c.member));
    const theirs = await t.http.get(url, as(c.member2));
    const guest = await t.http.get(url);
    const pick = (res: { body: any }) => res.body.items.find((p: { id: string }) => p.id === answer.id);
    expect(pick(mine)).toMatchObject({ myReactions: ['helpful'], myVote: 1, reactions: { helpful: 1 }, score: 1 });
    expect(pick(theirs)).toMatchObject({ myReactions: [], myVote: 0, reactions: { helpful: 1 }, score: 1 });
    expect(pick(second)).toEqual(pick(theirs));
    expect(pick(guest)).toMatchObject({ myReactions: [], myVote: null, reactions: { helpful: 1 }, score: 1 });
    // Apart from the viewer's own state, a member's page is the guest's page.
    const strip = (res: { body: any }) => res.body.items.map((p: any) => ({ ...p, myReactions: undefined, myVote: undefined }));
    expect(strip(mine)).toEqual(strip(guest));
    expect(strip(theirs)).toEqual(strip(guest));

    // Taking a reaction back shows at once, to its author and in the counts.
    expect((await t.http.delete(`/api/v1/posts/${answer.id}/reactions/helpful`, as(c.member))).status).toBe(204);
    expect(pick(await t.http.get(url, as(c.member)))).toMatchObject({ myReactions: [], reactions: {} });
  });

  it('checks the role on every request: a demoted member loses a staff board at once', async () => {
    const staffBoard = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'staff-room', visibility: 'staff' });
    const insider = await createMember(t.http, c.admin.accessToken, c.slug, 'staff');
    const thread = await createThread(t.http, insider.accessToken, staffBoard.id);
    const urls = [`/api/v1/threads/${thread.id}/posts`, `/api/v1/boards/${staffBoard.id}/threads`];
    for (const url of urls) {
      expect((await t.http.get(url, as(insider))).status).toBe(200);
      expect((await t.http.get(url, as(c.member))).status).toBe(404);
      expect((await t.http.get(url)).status).toBe(404);
    }
    const held = [shared.posts.size, shared.threads.size];
    const demoted = await t.http.put(`/api/v1/communities/${c.slug}/members/${insider.id}/role`, { role: 'member' }, as(c.admin));
    expect(demoted.status).toBe(200);
    for (const url of urls) expect((await t.http.get(url, as(insider))).status).toBe(404);
    // Either way the answer is right; this says whether the role change left the shared pages in place.
    expect([shared.posts.size, shared.threads.size].every((n, i) => n <= held[i])).toBe(true);
  });

  it('shows moderators hidden posts, which the shared page leaves out', async () => {
    const thread = await createThread(t.http, c.member.accessToken, boardId);
    const hidden = await reply(t.http, c.member2.accessToken, thread.id, 'a hidden reply');
    await t.database.dataSource.query('UPDATE posts SET hidden = true WHERE id = $1', [hidden.id]);
    const url = `/api/v1/threads/${thread.id}/posts`;
    const ids = (res: { body: any }) => res.body.items.map((p: { id: string }) => p.id);
    expect(ids(await t.http.get(url, as(c.member)))).not.toContain(hidden.id);
    expect(ids(await t.http.get(url, as(c.moderator)))).toContain(hidden.id);
    expect(ids(await t.http.get(url, as(c.admin)))).toContain(hidden.id);
    expect(ids(await t.http.get(url, as(c.member)))).not.toContain(hidden.id);
  });

  it("shows a member a new thread in a board's list they read before", async () => {
    const url = `/api/v1/boards/${boardId}/threads`;
    await t.http.get(url, as(c.member));
    const fresh = await createThread(t.http, c.member2.accessToken, boardId, { title: 'Just posted' });
    expect((await t.http.get(url, as(c.member))).body.items[0].id).toBe(fresh.id);
  });
});

describeIfPostgres('shared pages across two server instances (PostgreSQL and Redis)', () => {
  (usingRedis ? it : it.skip)('shows a member on one instance the reply written on the other', async () => {
    const a = await startApp();
    const b = await startApp({ databaseUrl: a.databaseUrl! });
    try {
      const c = await createCast(a.http);
      const board = await createBoard(a.http, c.admin.accessToken, c.slug, { slug: 'shared' });
      const thread = await createThread(a.http, c.member.accessToken, board.id);
      const url = `/api/v1/threads/${thread.id}/posts`;
      await a.http.get(url, { token: c.member.accessToken });
      expect(a.app.get(SharedPages).posts.size).toBeGreaterThan(0);
      const posted = await reply(b.http, c.member2.accessToken, thread.id, 'written on the other instance');
      await eventually(async () => {
        const res = await a.http.get(url, { token: c.member.accessToken });
        return res.body.items.some((p: { id: string }) => p.id === posted.id) || undefined;
      }, 2_000);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
