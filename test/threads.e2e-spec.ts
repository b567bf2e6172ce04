import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';

/** Boards, visibility, and threads and posts; reactions, rendering, paging, limits and events: threads-posts.e2e-spec.ts. */
describe('boards, threads and posts', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let communityId: string;
  let member: TestUser;
  let member2: TestUser;
  let staff: TestUser;
  let moderator: TestUser;
  let outsider: TestUser;
  let boards: Record<'pub' | 'members' | 'staff' | 'news' | 'qa', { id: string }>;

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    const c = await createCommunity(t.http, admin.accessToken);
    slug = c.slug;
    communityId = c.id;
    await setSettings(t.http, admin.accessToken, slug, { ...NO_LIMITS, newMemberDays: 0, newMemberPosts: 0 });
    member = await createMember(t.http, admin.accessToken, slug);
    member2 = await createMember(t.http, admin.accessToken, slug);
    staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    moderator = await createMember(t.http, admin.accessToken, slug, 'moderator');
    const other = await createCommunity(t.http, admin.accessToken);
    outsider = await createMember(t.http, admin.accessToken, other.slug, 'admin');
    boards = {
      pub: await createBoard(t.http, admin.accessToken, slug, { slug: 'general' }),
      members: await createBoard(t.http, admin.accessToken, slug, { slug: 'members-only', visibility: 'members' }),
      staff: await createBoard(t.http, admin.accessToken, slug, { slug: 'staff-room', visibility: 'staff' }),
      news: await createBoard(t.http, admin.accessToken, slug, { slug: 'news', kind: 'announcements' }),
      qa: await createBoard(t.http, admin.accessToken, slug, { slug: 'questions', kind: 'qa' }),
    };
  });
  afterAll(() => t?.close());

  describe('boards', () => {
    it('creates boards in position order with the documented shape', async () => {
      const res = await t.http.get(`/api/v1/communities/${slug}/boards`, { token: admin.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.items.map((b: { slug: string }) => b.slug)).toEqual(['general', 'members-only', 'staff-room', 'news', 'questions']);
      expect(res.body.items[0]).toEqual({
        id: boards.pub.id,
        communityId,
        slug: 'general',
        name: 'general',
        description: '',
        kind: 'discussion',
        visibility: 'public',
        position: 0,
        createdAt: expect.any(String),
      });
    });

    it('lists only the boards each caller may see', async () => {
      const seen = async (token?: string) =>
        (await t.http.get(`/api/v1/communities/${slug}/boards`, { token })).body.items.map((b: { slug: string }) => b.slug);
      expect(await seen()).toEqual(['general', 'news', 'questions']);
      expect(await seen(outsider.accessToken)).toEqual(['general', 'news', 'questions']);
      expect(await seen(member.accessToken)).toEqual(['general', 'members-only', 'news', 'questions']);
      expect(await seen(staff.accessToken)).toEqual(['general', 'members-only', 'staff-room', 'news', 'questions']);
    });

    it('lets only admins create and update boards, and validates them', async () => {
      expectProblem(await t.http.post(`/api/v1/communities/${slug}/boards`, { slug: 'x', name: 'x', kind: 'discussion', visibility: 'public' }, { token: moderator.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.post(`/api/v1/communities/${slug}/boards`, { slug: 'general', name: 'x', kind: 'discussion', visibility: 'public' }, { token: admin.accessToken }), 409, 'SLUG_TAKEN');
      expectProblem(await t.http.post(`/api/v1/communities/${slug}/boards`, { slug: 'y', name: 'y', kind: 'blog', visibility: 'public' }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.post(`/api/v1/communities/${slug}/boards`, { slug: 'y', name: 'y', kind: 'qa', visibility: 'secret' }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
      const board = await createBoard(t.http, admin.accessToken, slug, { slug: unique('b') });
      const patched = await t.http.patch(`/api/v1/boards/${board.id}`, { name: 'Renamed', position: 99 }, { token: admin.accessToken });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual(expect.objectContaining({ name: 'Renamed', position: 99, slug: board.slug }));
      expectProblem(await t.http.patch(`/api/v1/boards/${board.id}`, { name: 'Nope' }, { token: moderator.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.patch(`/api/v1/boards/${board.id}`, { name: 'Nope' }, { token: outsider.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.patch(`/api/v1/boards/${boards.staff.id}`, { name: 'Nope' }, { token: outsider.accessToken }), 404, 'NOT_FOUND');
      expectProblem(await t.http.patch(`/api/v1/boards/${board.id}`, { owner: 'me' }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('visibility of threads and posts', () => {
    let threads: Record<'pub' | 'members' | 'staff', { id: string; firstPost: { id: string } }>;
    beforeAll(async () => {
      threads = {
        pub: await createThread(t.http, member.accessToken, boards.pub.id, { title: 'Public hello' }),
        members: await createThread(t.http, member.accessToken, boards.members.id, { title: 'Members hello' }),
        staff: await createThread(t.http, staff.accessToken, boards.staff.id, { title: 'Staff hello' }),
      };
    });

    const cases: Array<[string, () => string | undefined, Array<'pub' | 'members' | 'staff'>]> = [
      ['a guest', () => undefined, ['pub']],
      ['a member of another community', () => outsider.accessToken, ['pub']],
      ['a member', () => member.accessToken, ['pub', 'members']],
      ['staff', () => staff.accessToken, ['pub', 'members', 'staff']],
    ];
    it.each(cases)('%s reads exactly the boards it may see', async (_who, token, allowed) => {
      for (const key of ['pub', 'members', 'staff'] as const) {
        const can = allowed.includes(key);
        const list = await t.http.get(`/api/v1/boards/${boards[key].id}/threads`, { token: token() });
        const thread = await t.http.get(`/api/v1/threads/${threads[key].id}`, { token: token() });
        const posts = await t.http.get(`/api/v1/threads/${threads[key].id}/posts`, { token: token() });
        if (can) {
          expect([list.status, thread.status, posts.status]).toEqual([200, 200, 200]);
          expect(list.body.items.map((x: { id: string }) => x.id)).toContain(threads[key].id);
        } else {
          expectProblem(list, 404, 'NOT_FOUND');
          expectProblem(thread, 404, 'NOT_FOUND');
          expectProblem(posts, 404, 'NOT_FOUND');
        }
      }
    });

    it('refuses writes on boards one cannot see, and writes by non-members', async () => {
      expectProblem(await t.http.post(`/api/v1/threads/${threads.staff.id}/posts`, { body: 'hi' }, { token: member.accessToken }), 404, 'NOT_FOUND');
      expectProblem(await t.http.put(`/api/v1/posts/${threads.staff.firstPost.id}/reactions/like`, undefined, { token: member.accessToken }), 404, 'NOT_FOUND');
      expectProblem(await t.http.post(`/api/v1/threads/${threads.pub.id}/posts`, { body: 'hi' }, { token: outsider.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.post(`/api/v1/boards/${boards.pub.id}/threads`, { title: 'Hello there', body: 'hi' }, { token: outsider.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.put(`/api/v1/posts/${threads.pub.firstPost.id}/reactions/like`, undefined, { token: outsider.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.post(`/api/v1/threads/${threads.pub.id}/posts`, { body: 'hi' }), 401, 'UNAUTHENTICATED');
    });

    it('lets only staff start threads in announcement boards', async () => {
      expectProblem(await t.http.post(`/api/v1/boards/${boards.news.id}/threads`, { title: 'Big news', body: 'hi' }, { token: member.accessToken }), 403, 'FORBIDDEN');
      const news = await createThread(t.http, staff.accessToken, boards.news.id, { title: 'Big news' });
      expect(news.kind).toBe('announcements');
      // Members may still reply to announcements.
      await reply(t.http, member.accessToken, news.id, 'Congrats!');
    });
  });

  describe('threads and posts', () => {
    it('creates a thread with its first post, tags and SKUs, in the documented shape', async () => {
      const res = await t.http.post(
        `/api/v1/boards/${boards.pub.id}/threads`,
        { title: '  My new blender  ', body: 'It is **great**', tags: ['Kitchen', 'review'], productSkus: ['BL-100'] },
        { token: member.accessToken },
      );
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        boardId: boards.pub.id,
        communityId,
        kind: 'discussion',
        title: 'My new blender',
        author: { id: member.id, username: member.displayName.split(' ').join('').toLowerCase(), displayName: member.displayName, avatarUrl: null },
        tags: ['kitchen', 'review'],
        productSkus: ['BL-100'],
        pinned: false,
        locked: false,
        replyCount: 0,
        lastPostAt: expect.any(String),
        lastPoster: { id: member.id, username: member.displayName.split(' ').join('').toLowerCase(), displayName: member.displayName, avatarUrl: null },
        score: 0,
        reactionCount: 0,
        acceptedPostId: null,
        officialPostId: null,
        firstStaffAnswerAt: null,
        duplicateOfThreadId: null,
        createdAt: expect.any(String),
        firstPost: {
          id: expect.any(String),
          threadId: res.body.id,
          postNumber: 1,
          author: { id: member.id, username: member.displayName.split(' ').join('').toLowerCase(), displayName: member.displayName, avatarUrl: null },
          authorRole: 'member',
          body: 'It is **great**',
          html: '<p>It is <strong>great</strong></p>\n',
          replyToPostId: null,
          reactions: {},
          myReactions: [],
          score: 0,
          myVote: 0,
          isAccepted: false,
          isOfficial: false,
          isStaffAnswer: false,
          verifiedBuyer: false,
          hidden: false,
          isFaq: false,
          attachments: [],
          createdAt: expect.any(String),
          editedAt: null,
        },
      });
      const read = await t.http.get(`/api/v1/threads/${res.body.id}`);
      expect(read.body).toEqual({ ...res.body, firstPost: { ...res.body.firstPost, myVote: null } }); // read as a guest
    });

    it('replies, updates counters, marks staff answers and lists posts oldest first', async () => {
      const thread = await createThread(t.http, member.accessToken, boards.qa.id, { title: 'How do I descale it?' });
      const a = await reply(t.http, member2.accessToken, thread.id, 'Vinegar works');
      const b = await reply(t.http, staff.accessToken, thread.id, 'Use our descaler', { replyToPostId: a.id });
      expect(b).toEqual(expect.objectContaining({ postNumber: 3, replyToPostId: a.id, authorRole: 'staff', isStaffAnswer: true }));
      expect(a.isStaffAnswer).toBe(false);
      const read = await t.http.get(`/api/v1/threads/${thread.id}`);
      expect(read.body).toEqual(expect.objectContaining({ replyCount: 2, lastPoster: expect.objectContaining({ id: staff.id }) }));
      const posts = await t.http.get(`/api/v1/threads/${thread.id}/posts`);
      expect(posts.body.items.map((p: { postNumber: number }) => p.postNumber)).toEqual([1, 2, 3]);
      expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'x', replyToPostId: '00000000-0000-4000-8000-000000000000' }, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
    });

    it('validates bodies, titles, tags and SKUs', async () => {
      const bad = [
        { title: 'ok title', body: '' },
        { title: 'ok title', body: '   ' },
        { title: 'ok title', body: 'x'.repeat(32_001) },
        { title: 'no', body: 'x' },
        { title: 'x'.repeat(201), body: 'x' },
        { title: 'ok title', body: 'x', tags: ['has space'] },
        { title: 'ok title', body: 'x', tags: ['a', 'b', 'c', 'd', 'e', 'f'] },
        { title: 'ok title', body: 'x', productSkus: ['bad sku!'] },
        { title: 'ok title', body: 'x', pinned: true },
      ];
      for (const body of bad) {
        expectProblem(await t.http.post(`/api/v1/boards/${boards.pub.id}/threads`, body, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
      }
      const ok = await t.http.post(`/api/v1/boards/${boards.pub.id}/threads`, { title: 'Long one', body: 'x'.repeat(32_000) }, { token: member.accessToken });
      expect(ok.status).toBe(201);
      expectProblem(await t.http.get(`/api/v1/threads/not-an-id`), 404, 'NOT_FOUND');
      expectProblem(await t.http.get(`/api/v1/boards/${boards.pub.id}/threads?sort=hot`), 400, 'VALIDATION_FAILED');
    });

    it('edits keep revisions; only the author or a moderator may edit or delete', async () => {
      const thread = await createThread(t.http, member.accessToken, boards.pub.id);
      const post = await reply(t.http, member.accessToken, thread.id, 'first version');
      expectProblem(await t.http.patch(`/api/v1/posts/${post.id}`, { body: 'hijack' }, { token: member2.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.patch(`/api/v1/posts/${post.id}`, { body: 'hijack' }, { token: staff.accessToken }), 403, 'FORBIDDEN');
      const edited = await t.http.patch(`/api/v1/posts/${post.id}`, { body: 'second *version*' }, { token: member.accessToken });
      expect(edited.status).toBe(200);
      expect(edited.body).toEqual(expect.objectContaining({ body: 'second *version*', html: '<p>second <em>version</em></p>\n', editedAt: expect.any(String) }));
      const byMod = await t.http.patch(`/api/v1/posts/${post.id}`, { body: 'moderated' }, { token: moderator.accessToken });
      expect(byMod.status).toBe(200);
      const revisions = await t.app.get(Db).query<{ revision: number; body: string }>('SELECT revision, body FROM post_revisions WHERE post_id = $1 ORDER BY revision', [post.id]);
      expect(revisions).toEqual([
        { revision: 1, body: 'first version' },
        { revision: 2, body: 'second *version*' },
      ]);
      expectProblem(await t.http.delete(`/api/v1/posts/${post.id}`, { token: member2.accessToken }), 403, 'FORBIDDEN');
      expect((await t.http.delete(`/api/v1/posts/${post.id}`, { token: member.accessToken })).status).toBe(204);
      expectProblem(await t.http.delete(`/api/v1/posts/${post.id}`, { token: member.accessToken }), 404, 'NOT_FOUND');
      const after = await t.http.get(`/api/v1/threads/${thread.id}`);
      expect(after.body.replyCount).toBe(0);
      expect((await t.http.get(`/api/v1/threads/${thread.id}/posts`)).body.items).toHaveLength(1);
    });

    it('deleting the first post (by a moderator) deletes the thread', async () => {
      const thread = await createThread(t.http, member.accessToken, boards.pub.id, { title: 'Zanzibar teapot thread' });
      const r = await reply(t.http, member2.accessToken, thread.id, 'zanzibar teapot reply');
      const search = async () => (await t.http.get(`/api/v1/communities/${slug}/search?q=zanzibar`)).body.items.length;
      expect(await search()).toBe(1); // one hit per thread
      expect((await t.http.delete(`/api/v1/posts/${thread.firstPost.id}`, { token: moderator.accessToken })).status).toBe(204);
      expectProblem(await t.http.get(`/api/v1/threads/${thread.id}`), 404, 'NOT_FOUND');
      expectProblem(await t.http.patch(`/api/v1/posts/${r.id}`, { body: 'x' }, { token: member2.accessToken }), 404, 'NOT_FOUND');
      expect(await search()).toBe(0); // its replies went with it
    });

    it('pins, locks and moves (moderators only)', async () => {
      const thread = await createThread(t.http, member.accessToken, boards.pub.id, { title: 'Pin me please' });
      for (const action of ['pin', 'lock', 'unlock', 'unpin']) {
        expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/${action}`, undefined, { token: staff.accessToken }), 403, 'FORBIDDEN');
      }
      const pinned = await t.http.post(`/api/v1/threads/${thread.id}/pin`, undefined, { token: moderator.accessToken });
      expect(pinned.body.pinned).toBe(true);
      const later = await createThread(t.http, member.accessToken, boards.pub.id, { title: 'A newer thread' });
      const list = await t.http.get(`/api/v1/boards/${boards.pub.id}/threads`);
      expect(list.body.items[0].id).toBe(thread.id);
      expect(list.body.items[1].id).toBe(later.id);
      const locked = await t.http.post(`/api/v1/threads/${thread.id}/lock`, undefined, { token: moderator.accessToken });
      expect(locked.body.locked).toBe(true);
      expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'too late' }, { token: member.accessToken }), 409, 'THREAD_LOCKED');
      await reply(t.http, moderator.accessToken, thread.id, 'Moderators may still reply');
      const moved = await t.http.post(`/api/v1/threads/${thread.id}/move`, { boardId: boards.members.id }, { token: moderator.accessToken });
      expect(moved.status).toBe(200);
      expect(moved.body.boardId).toBe(boards.members.id);
      expectProblem(await t.http.get(`/api/v1/threads/${thread.id}`), 404, 'NOT_FOUND'); // guests can no longer see it
      const otherBoard = await createBoard(t.http, outsider.accessToken, (await t.http.get('/api/v1/me', { token: outsider.accessToken })).body.memberships[0].community.slug, { slug: 'elsewhere' });
      expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/move`, { boardId: otherBoard.id }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
    });

    it('filters by tag and SKU and sorts by top and unanswered', async () => {
      const board = await createBoard(t.http, admin.accessToken, slug, { slug: unique('sort') });
      const a = await createThread(t.http, member.accessToken, board.id, { title: 'Thread A', tags: ['x'], productSkus: ['SKU-1'] });
      const b = await createThread(t.http, member.accessToken, board.id, { title: 'Thread B', tags: ['x', 'y'] });
      const c = await createThread(t.http, member.accessToken, board.id, { title: 'Thread C', productSkus: ['SKU-1', 'SKU-2'] });
      await reply(t.http, member2.accessToken, a.id);
      await t.http.put(`/api/v1/posts/${b.firstPost.id}/reactions/like`, undefined, { token: member2.accessToken });
      await t.http.put(`/api/v1/posts/${b.firstPost.id}/reactions/love`, undefined, { token: staff.accessToken });
      const ids = async (q: string) => (await t.http.get(`/api/v1/boards/${board.id}/threads?${q}`)).body.items.map((x: { id: string }) => x.id);
      expect(new Set(await ids('tag=x'))).toEqual(new Set([a.id, b.id]));
      expect(await ids('tag=y')).toEqual([b.id]);
      expect(new Set(await ids('sku=SKU-1'))).toEqual(new Set([a.id, c.id]));
      expect(await ids('sku=SKU-2')).toEqual([c.id]);
      expect(await ids('sort=latest')).toEqual([a.id, c.id, b.id]);
      expect((await ids('sort=top'))[0]).toBe(b.id);
      expect(await ids('sort=unanswered')).toEqual([c.id, b.id]);
      const page1 = await t.http.get(`/api/v1/boards/${board.id}/threads?limit=2`);
      const page2 = await t.http.get(`/api/v1/boards/${board.id}/threads?limit=2&cursor=${page1.body.nextCursor}`);
      expect([...page1.body.items, ...page2.body.items].map((x: { id: string }) => x.id)).toEqual([a.id, c.id, b.id]);
      expect(page2.body.nextCursor).toBeNull();
    });
  });
});
