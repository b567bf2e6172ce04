import { createBoard, createCast, createThread, reply, Cast } from './support/content';
import { startApp, TestApp } from './support/app';
import { createMember, TestUser } from './support/factories';
import { expectProblem } from './support/http';
import { handleOf, inbox } from './support/notifications';
import { connectSocket, Inbox } from './support/sockets';

/** Content rules: replies, watchers, mentions, who never hears (the actor, those who cannot read, muters), collapsing and read state. */
describe('notifications: content', () => {
  let t: TestApp;
  let cast: Cast;
  let board: { id: string };
  let staffBoard: { id: string };
  let third: TestUser;

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
    staffBoard = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'back-office', visibility: 'staff' });
    third = await createMember(t.http, cast.admin.accessToken, cast.slug);
  }, 60_000);
  afterAll(() => t?.close());

  const level = (user: TestUser, kind: 'threads' | 'boards', id: string, value: string) =>
    t.http.put(`/api/v1/${kind}/${id}/notification-level`, { level: value }, { token: user.accessToken });

  it('a reply notifies the thread author and earlier repliers, never the replier, and collapses per thread', async () => {
    const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Grinder noise' });
    await reply(t.http, cast.member2.accessToken, thread.id, 'Mine too');
    const first = await inbox(t, cast.member);
    const mine = first.items.filter((n) => n.threadId === thread.id);
    expect(mine).toEqual([
      expect.objectContaining({ type: 'thread_reply', count: 1, title: 'New reply in “Grinder noise”', actor: expect.objectContaining({ id: cast.member2.id }), excerpt: 'Mine too', readAt: null }),
    ]);
    expect((await inbox(t, cast.member2)).items.filter((n) => n.threadId === thread.id)).toEqual([]);
    expect((await inbox(t, cast.staff)).items.filter((n) => n.threadId === thread.id)).toEqual([]);

    await reply(t.http, third.accessToken, thread.id, 'Same here');
    await reply(t.http, cast.member2.accessToken, thread.id, 'Any fix?');
    const after = (await inbox(t, cast.member)).items.filter((n) => n.threadId === thread.id);
    expect(after).toEqual([expect.objectContaining({ type: 'thread_reply', count: 3, title: '3 new replies in “Grinder noise”', excerpt: 'Any fix?' })]);
    // member2 replied, so watches: third's reply reached them, their own did not.
    const m2 = (await inbox(t, cast.member2)).items.filter((n) => n.threadId === thread.id);
    expect(m2).toEqual([expect.objectContaining({ type: 'thread_reply', count: 1, actor: expect.objectContaining({ id: third.id }) })]);
  });

  it('a reply to a post notifies its author once (post_reply, not also thread_reply); a mention outranks both', async () => {
    const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Descaling' });
    const p = await reply(t.http, cast.member2.accessToken, thread.id, 'Use citric acid');
    await reply(t.http, third.accessToken, thread.id, 'Thanks!', { replyToPostId: p.id });
    const m2 = (await inbox(t, cast.member2)).items.filter((n) => n.threadId === thread.id);
    expect(m2.map((n) => n.type)).toEqual(['post_reply']);
    expect(m2[0]).toEqual(expect.objectContaining({ postId: expect.any(String), url: expect.stringContaining(`/t/${thread.id}#post-`) }));
    await reply(t.http, third.accessToken, thread.id, `@${handleOf(cast.member2)} how long did it take?`, { replyToPostId: p.id });
    const again = (await inbox(t, cast.member2)).items.filter((n) => n.threadId === thread.id);
    expect(again.map((n) => n.type)).toEqual(['mention', 'post_reply']);
    expect((await inbox(t, cast.member)).items.filter((n) => n.threadId === thread.id).map((n) => [n.type, n.count])).toEqual([['thread_reply', 3]]);
  });

  it('mentions reach members of the community who can read the board, not the author, not outsiders', async () => {
    const body = `Ping @${handleOf(cast.staff)} @${handleOf(cast.outsider)} @${handleOf(cast.member)}`;
    const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Who knows?', body });
    expect((await inbox(t, cast.staff)).items.filter((n) => n.threadId === thread.id)).toEqual([
      expect.objectContaining({ type: 'mention', title: 'You were mentioned in “Who knows?”', communityId: cast.communityId }),
    ]);
    expect((await inbox(t, cast.outsider)).items).toEqual([]);
    expect((await inbox(t, cast.member)).items.filter((n) => n.threadId === thread.id)).toEqual([]);

    // A staff-only board: a mentioned member cannot read it, so hears nothing; a mentioned moderator does.
    const secret = await createThread(t.http, cast.staff.accessToken, staffBoard.id, { title: 'Internal', body: `@${handleOf(cast.member2)} @${handleOf(cast.moderator)}` });
    expect((await inbox(t, cast.member2)).items.filter((n) => n.threadId === secret.id)).toEqual([]);
    expect((await inbox(t, cast.moderator)).items.filter((n) => n.threadId === secret.id).map((n) => n.type)).toEqual(['mention']);
  });

  it('muting a thread or a board stops everything from it; watching a board brings new threads and their replies', async () => {
    const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Muted later' });
    expect((await level(cast.member, 'threads', thread.id, 'muted')).body).toEqual({ targetType: 'thread', targetId: thread.id, level: 'muted' });
    await reply(t.http, cast.member2.accessToken, thread.id, `@${handleOf(cast.member)} hello?`);
    expect((await inbox(t, cast.member)).items.filter((n) => n.threadId === thread.id)).toEqual([]);

    const quiet = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'quiet' });
    expect((await level(third, 'boards', quiet.id, 'muted')).status).toBe(200);
    expect((await level(cast.member2, 'boards', quiet.id, 'watching')).status).toBe(200);
    const q = await createThread(t.http, cast.member.accessToken, quiet.id, { title: 'In quiet', body: `@${handleOf(third)} look` });
    await reply(t.http, cast.staff.accessToken, q.id, 'A staff reply');
    expect((await inbox(t, third)).items.filter((n) => n.threadId === q.id)).toEqual([]);
    const m2 = (await inbox(t, cast.member2)).items.filter((n) => n.threadId === q.id);
    expect(m2.map((n) => n.type).sort()).toEqual(['new_thread', 'thread_reply']);
    // Replying in a muted board does not watch the thread.
    await reply(t.http, third.accessToken, q.id, 'I post here anyway');
    await reply(t.http, cast.member.accessToken, q.id, 'Author reply');
    expect((await inbox(t, third)).items.filter((n) => n.threadId === q.id)).toEqual([]);
  });

  it('levels: only threads and boards the caller may read (404), a valid level (400)', async () => {
    const secret = await createThread(t.http, cast.staff.accessToken, staffBoard.id, { title: 'Staff only' });
    expectProblem(await level(cast.member, 'threads', secret.id, 'watching'), 404, 'NOT_FOUND');
    expectProblem(await level(cast.member, 'boards', staffBoard.id, 'watching'), 404, 'NOT_FOUND');
    expectProblem(await level(cast.outsider, 'boards', staffBoard.id, 'watching'), 404, 'NOT_FOUND');
    expectProblem(await level(cast.member, 'boards', board.id, 'loud'), 400, 'VALIDATION_FAILED');
    expect((await t.http.put(`/api/v1/boards/${board.id}/notification-level`, { level: 'watching' })).status).toBe(401);
    expect((await level(cast.staff, 'threads', secret.id, 'tracking')).status).toBe(200);
  });

  it('read state: by ids (others\' ids ignored) or all; a new event after reading starts a new notification', async () => {
    const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Read me' });
    await reply(t.http, cast.member2.accessToken, thread.id, 'one');
    const unread = await inbox(t, cast.member, '?unread=true');
    expect(unread.items.every((n) => n.readAt === null)).toBe(true);
    const target = unread.items.find((n) => n.threadId === thread.id);
    const others = await t.http.post('/api/v1/notifications/read', { ids: [target.id] }, { token: cast.member2.accessToken });
    expect(others.body.marked).toBe(0);
    const res = await t.http.post('/api/v1/notifications/read', { ids: [target.id] }, { token: cast.member.accessToken });
    expect(res.body).toEqual({ marked: 1, unreadCount: unread.unreadCount - 1 });
    expect((await inbox(t, cast.member, '?unread=true')).items.find((n) => n.id === target.id)).toBeUndefined();

    await reply(t.http, cast.member2.accessToken, thread.id, 'two');
    const both = (await inbox(t, cast.member)).items.filter((n) => n.threadId === thread.id);
    expect(both.map((n) => [n.count, n.readAt === null])).toEqual([[1, true], [1, false]]);

    const all = await t.http.post('/api/v1/notifications/read', { all: true }, { token: cast.member.accessToken });
    expect(all.body.unreadCount).toBe(0);
    expect((await inbox(t, cast.member)).unreadCount).toBe(0);
    expectProblem(await t.http.post('/api/v1/notifications/read', {}, { token: cast.member.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.post('/api/v1/notifications/read', { ids: ['nope'] }, { token: cast.member.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.get('/api/v1/notifications?unread=maybe', { token: cast.member.accessToken }), 400, 'VALIDATION_FAILED');
  });

  it('pages with a cursor, newest first', async () => {
    const user = await createMember(t.http, cast.admin.accessToken, cast.slug);
    for (let i = 0; i < 3; i++) {
      const th = await createThread(t.http, user.accessToken, board.id, { title: `Paged ${i}` });
      await reply(t.http, cast.member2.accessToken, th.id, 'r');
    }
    await inbox(t, user);
    const page1 = await t.http.get('/api/v1/notifications?limit=2', { token: user.accessToken });
    expect(page1.body.items.map((n: any) => n.title)).toEqual(['New reply in “Paged 2”', 'New reply in “Paged 1”']);
    const page2 = await t.http.get(`/api/v1/notifications?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`, { token: user.accessToken });
    expect(page2.body).toEqual(expect.objectContaining({ nextCursor: null, unreadCount: 3 }));
    expect(page2.body.items.map((n: any) => n.title)).toEqual(['New reply in “Paged 0”']);
    expectProblem(await t.http.get('/api/v1/notifications?cursor=forged.x', { token: user.accessToken }), 400, 'INVALID_CURSOR');
  });

  it("a deleted thread's notifications disappear", async () => {
    const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Doomed' });
    await reply(t.http, cast.member2.accessToken, thread.id, `@${handleOf(cast.staff)}`);
    expect((await inbox(t, cast.member)).items.some((n) => n.threadId === thread.id)).toBe(true);
    expect((await t.http.delete(`/api/v1/posts/${thread.firstPost.id}`, { token: cast.moderator.accessToken })).status).toBe(204);
    expect((await inbox(t, cast.member)).items.some((n) => n.threadId === thread.id)).toBe(false);
    expect((await inbox(t, cast.staff)).items.some((n) => n.threadId === thread.id)).toBe(false);
  });

  it('realtime: notification:new and notification:read reach every socket of the recipient only', async () => {
    const a = new Inbox(await connectSocket(t.baseUrl, cast.member.accessToken));
    const b = new Inbox(await connectSocket(t.baseUrl, cast.member.accessToken));
    const other = new Inbox(await connectSocket(t.baseUrl, cast.member2.accessToken));
    try {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Live' });
      await reply(t.http, cast.member2.accessToken, thread.id, 'hi');
      const [na, nb] = await Promise.all([a.next('notification:new', (p) => p.threadId === thread.id), b.next('notification:new', (p) => p.threadId === thread.id)]);
      expect(na).toEqual(expect.objectContaining({ type: 'thread_reply', title: 'New reply in “Live”' }));
      expect(nb.id).toBe(na.id);
      await t.http.post('/api/v1/notifications/read', { ids: [na.id] }, { token: cast.member.accessToken });
      expect(await a.next('notification:read')).toEqual({ ids: [na.id], unreadCount: expect.any(Number) });
      expect(other.of('notification:new').filter((p) => p.threadId === thread.id)).toEqual([]);
    } finally {
      [a, b, other].forEach((i) => i.socket.close());
    }
  });
});
