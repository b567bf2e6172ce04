import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Edits with history (issue 20): thread edits, the edit window, post revisions. */
describe('edits', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;
  let board: { id: string };
  let membersBoard: { id: string };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    cast = await createCast(t.http, { ...NO_LIMITS, newMemberDays: 0, newMemberPosts: 0 });
    board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'general' });
    membersBoard = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'members-only', visibility: 'members' });
  });
  afterAll(() => t?.close());

  const token = (u: TestUser) => ({ token: u.accessToken });
  const patchThread = (id: string, body: unknown, user?: TestUser) => t.http.patch(`/api/v1/threads/${id}`, body, user ? token(user) : {});
  const patchPost = (id: string, body: string, user: TestUser) => t.http.patch(`/api/v1/posts/${id}`, { body }, token(user));
  const revisions = (postId: string, user: TestUser, query = '') => t.http.get(`/api/v1/posts/${postId}/revisions${query}`, token(user));
  const backdate = async (table: 'threads' | 'posts', id: string, minutes: number) => {
    await db.query(`UPDATE ${table} SET created_at = now() - make_interval(mins => $2) WHERE id = $1`, [id, minutes]);
  };
  const editedEvents = (threadId: string) =>
    db.query<{ data: Record<string, unknown> }>(`SELECT data FROM events WHERE type = 'thread.edited' AND data->>'threadId' = $1 ORDER BY id`, [threadId]);
  const threadRevisions = (threadId: string) =>
    db.query<{ revision: number; title: string; tags: string[]; product_skus: string[]; editor_id: string }>(
      'SELECT revision, title, tags, product_skus, editor_id FROM thread_revisions WHERE thread_id = $1 ORDER BY revision',
      [threadId],
    );

  describe('thread edits', () => {
    it('lets the author change title, tags and SKUs within the window, with a revision and a thread.edited event', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Kettle descaling', tags: ['kettle'], productSkus: ['KT-1'] });
      const res = await patchThread(thread.id, { title: '  Kettle limescale removal  ', tags: ['Kettle', 'care'], productSkus: ['KT-1', 'KT-2'] }, cast.member);
      expect(res.status).toBe(200);
      expect({ title: res.body.title, tags: res.body.tags, productSkus: res.body.productSkus, firstPost: res.body.firstPost.body }).toEqual({
        title: 'Kettle limescale removal',
        tags: ['kettle', 'care'],
        productSkus: ['KT-1', 'KT-2'],
        firstPost: 'The first post',
      });
      const read = await t.http.get(`/api/v1/threads/${thread.id}`);
      expect(read.body.title).toBe('Kettle limescale removal');

      expect(await threadRevisions(thread.id)).toEqual([{ revision: 1, title: 'Kettle descaling', tags: ['kettle'], product_skus: ['KT-1'], editor_id: cast.member.id }]);
      expect((await editedEvents(thread.id)).map((e) => e.data)).toEqual([
        {
          communityId: cast.communityId,
          boardId: board.id,
          threadId: thread.id,
          authorId: cast.member.id,
          tags: ['kettle', 'care'],
          productSkus: ['KT-1', 'KT-2'],
          editedBy: cast.member.id,
          revision: 1,
          before: { title: 'Kettle descaling', tags: ['kettle'], productSkus: ['KT-1'] },
          after: { title: 'Kettle limescale removal', tags: ['kettle', 'care'], productSkus: ['KT-1', 'KT-2'] },
        },
      ]);

      // Only what changed is in before/after; the second revision keeps the values the second edit replaced.
      const second = await patchThread(thread.id, { title: 'Kettle limescale removal', tags: ['care'] }, cast.member);
      expect(second.status).toBe(200);
      const events = await editedEvents(thread.id);
      expect(events.map((e) => [e.data.revision, e.data.before, e.data.after])).toEqual([
        [1, { title: 'Kettle descaling', tags: ['kettle'], productSkus: ['KT-1'] }, { title: 'Kettle limescale removal', tags: ['kettle', 'care'], productSkus: ['KT-1', 'KT-2'] }],
        [2, { tags: ['kettle', 'care'] }, { tags: ['care'] }],
      ]);
      expect((await threadRevisions(thread.id)).map((r) => [r.revision, r.title, r.tags])).toEqual([
        [1, 'Kettle descaling', ['kettle']],
        [2, 'Kettle limescale removal', ['kettle', 'care']],
      ]);
      // The board list filters by the new tag and no longer by the old one.
      const byTag = async (tag: string) => (await t.http.get(`/api/v1/boards/${board.id}/threads?tag=${tag}`)).body.items.map((i: { id: string }) => i.id);
      expect(await byTag('care')).toContain(thread.id);
      expect(await byTag('kettle')).not.toContain(thread.id);
    });

    it('changes nothing (no revision, no event) when nothing differs', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Same title', tags: ['a'] });
      const res = await patchThread(thread.id, { title: 'Same title', tags: ['a'] }, cast.member);
      expect(res.status).toBe(200);
      expect((await patchThread(thread.id, {}, cast.member)).status).toBe(200);
      expect(await threadRevisions(thread.id)).toEqual([]);
      expect(await editedEvents(thread.id)).toEqual([]);
    });

    it('search finds the new title and no longer the old one', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Quixotic grinder question', body: 'Plain words here' });
      const hits = async (q: string) =>
        (await t.http.get(`/api/v1/communities/${cast.slug}/search?q=${q}`)).body.items.map((h: { thread: { id: string; title: string } }) => [h.thread.id, h.thread.title]);
      expect(await hits('quixotic')).toEqual([[thread.id, 'Quixotic grinder question']]);
      expect((await patchThread(thread.id, { title: 'Zephyrean grinder question' }, cast.member)).status).toBe(200);
      expect(await hits('zephyrean')).toEqual([[thread.id, 'Zephyrean grinder question']]);
      expect(await hits('quixotic')).toEqual([]);
      const suggest = await t.http.get(`/api/v1/communities/${cast.slug}/search/suggest?q=zephyr`);
      expect(suggest.body.items).toEqual([{ threadId: thread.id, title: 'Zephyrean grinder question' }]);
    });

    it("drops guests' cached pages of the thread and its board", async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Cached title here' });
      const page = `/api/v1/threads/${thread.id}`;
      const list = `/api/v1/boards/${board.id}/threads?limit=100`;
      await t.http.get(page);
      await t.http.get(list);
      expect((await t.http.get(page)).headers.get('x-cache')).toBe('HIT');
      expect((await patchThread(thread.id, { title: 'Fresh title here' }, cast.member)).status).toBe(200);
      const after = await t.http.get(page);
      expect([after.headers.get('x-cache'), after.body.title]).toEqual(['MISS', 'Fresh title here']);
      const listed = (await t.http.get(list)).body.items.find((i: { id: string }) => i.id === thread.id);
      expect(listed.title).toBe('Fresh title here');
    });

    it('refuses others: 403 for members, staff and outsiders who see the thread, 404 for those who do not, 401 for guests', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Mine to edit' });
      expectProblem(await patchThread(thread.id, { title: 'Hijacked' }, cast.member2), 403, 'FORBIDDEN');
      expectProblem(await patchThread(thread.id, { title: 'Hijacked' }, cast.staff), 403, 'FORBIDDEN');
      expectProblem(await patchThread(thread.id, { title: 'Hijacked' }, cast.outsider), 403, 'FORBIDDEN');
      expectProblem(await patchThread(thread.id, { title: 'Hijacked' }), 401, 'UNAUTHENTICATED');
      const hidden = await createThread(t.http, cast.member.accessToken, membersBoard.id, { title: 'Members only' });
      expectProblem(await patchThread(hidden.id, { title: 'Hijacked' }, cast.outsider), 404, 'NOT_FOUND');
      expectProblem(await patchThread('00000000-0000-4000-8000-000000000000', { title: 'Nothing' }, cast.member), 404, 'NOT_FOUND');
      expect((await t.http.get(`/api/v1/threads/${thread.id}`)).body.title).toBe('Mine to edit');
      expect(await editedEvents(thread.id)).toEqual([]);
    });

    it('screens a new title like a new thread: blocked words refused, queue words hide the thread for review', async () => {
      const rules = {
        watchedWords: [
          { pattern: 'casino', action: 'block' },
          { pattern: 'buy now', action: 'queue' },
        ],
        queueNewMemberFirstPost: false,
      };
      expect((await t.http.put(`/api/v1/communities/${cast.slug}/moderation/rules`, rules, token(cast.admin))).status).toBe(200);
      try {
        const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Harmless title' });
        expectProblem(await patchThread(thread.id, { title: 'Casino night' }, cast.member), 422, 'CONTENT_BLOCKED');
        expect(await threadRevisions(thread.id)).toEqual([]);
        const held = await patchThread(thread.id, { title: 'Buy now before it ends' }, cast.member);
        expect([held.status, held.body.title, held.body.hidden]).toEqual([200, 'Buy now before it ends', true]);
        const listed = (await t.http.get(`/api/v1/boards/${board.id}/threads?limit=100`)).body.items.map((i: { id: string }) => i.id);
        expect(listed).not.toContain(thread.id);
        const queue = (await t.http.get(`/api/v1/communities/${cast.slug}/moderation/queue?limit=100`, token(cast.moderator))).body.items;
        expect(queue.find((i: { targetId: string }) => i.targetId === thread.firstPost.id)).toMatchObject({ automod: ['buy now'] });
      } finally {
        await t.http.put(`/api/v1/communities/${cast.slug}/moderation/rules`, { watchedWords: [], queueNewMemberFirstPost: false }, token(cast.admin));
      }
    });

    it('validates like thread creation', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Valid title' });
      expectProblem(await patchThread(thread.id, { title: 'ab' }, cast.member), 400, 'VALIDATION_FAILED');
      expectProblem(await patchThread(thread.id, { title: 'x'.repeat(201) }, cast.member), 400, 'VALIDATION_FAILED');
      expectProblem(await patchThread(thread.id, { tags: ['Not a tag!'] }, cast.member), 400, 'VALIDATION_FAILED');
      expectProblem(await patchThread(thread.id, { tags: ['a', 'b', 'c', 'd', 'e', 'f'] }, cast.member), 400, 'VALIDATION_FAILED');
      expectProblem(await patchThread(thread.id, { productSkus: ['bad sku'] }, cast.member), 400, 'VALIDATION_FAILED');
      expectProblem(await patchThread(thread.id, { boardId: board.id }, cast.member), 400, 'VALIDATION_FAILED');
      expect(await threadRevisions(thread.id)).toEqual([]);
    });
  });

  describe('the edit window', () => {
    it('is a community setting: default 1440, bounds 0..525600', async () => {
      const settings = await t.http.get(`/api/v1/communities/${cast.slug}/settings`, token(cast.admin));
      expect(settings.body.editWindowMinutes).toBe(1440);
      expectProblem(await t.http.patch(`/api/v1/communities/${cast.slug}/settings`, { editWindowMinutes: -1 }, token(cast.admin)), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.patch(`/api/v1/communities/${cast.slug}/settings`, { editWindowMinutes: 525_601 }, token(cast.admin)), 400, 'VALIDATION_FAILED');
    });

    it('closes author edits of threads and posts after editWindowMinutes; moderators edit any time', async () => {
      await setSettings(t.http, cast.admin.accessToken, cast.slug, { editWindowMinutes: 10 });
      try {
        const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Window title' });
        const post = await reply(t.http, cast.member.accessToken, thread.id, 'window reply');
        await backdate('threads', thread.id, 9);
        await backdate('posts', post.id, 9);
        expect((await patchThread(thread.id, { title: 'Inside the window' }, cast.member)).status).toBe(200);
        expect((await patchPost(post.id, 'inside the window', cast.member)).status).toBe(200);

        await backdate('threads', thread.id, 11);
        await backdate('posts', post.id, 11);
        await backdate('posts', thread.firstPost.id, 11);
        const closed = expectProblem(await patchThread(thread.id, { title: 'Too late now' }, cast.member), 403, 'EDIT_WINDOW_CLOSED');
        expect(closed.editWindowMinutes).toBe(10);
        expectProblem(await patchPost(post.id, 'too late', cast.member), 403, 'EDIT_WINDOW_CLOSED');
        expectProblem(await patchPost(thread.firstPost.id, 'too late', cast.member), 403, 'EDIT_WINDOW_CLOSED');

        const byModerator = await patchThread(thread.id, { title: 'Fixed by a moderator', productSkus: ['MOD-1'] }, cast.moderator);
        expect([byModerator.status, byModerator.body.title, byModerator.body.productSkus]).toEqual([200, 'Fixed by a moderator', ['MOD-1']]);
        expect((await patchPost(post.id, 'fixed by a moderator', cast.moderator)).status).toBe(200);
        expect((await patchThread(thread.id, { title: 'Fixed by the admin' }, cast.admin)).status).toBe(200);
        const last = (await editedEvents(thread.id)).map((e) => [e.data.editedBy, e.data.after]);
        expect(last).toEqual([
          [cast.member.id, { title: 'Inside the window' }],
          [cast.moderator.id, { title: 'Fixed by a moderator', productSkus: ['MOD-1'] }],
          [cast.admin.id, { title: 'Fixed by the admin' }],
        ]);
      } finally {
        await setSettings(t.http, cast.admin.accessToken, cast.slug, { editWindowMinutes: 1440 });
      }
    });

    it('0 keeps it open for ever', async () => {
      await setSettings(t.http, cast.admin.accessToken, cast.slug, { editWindowMinutes: 0 });
      try {
        const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Old thread' });
        await backdate('threads', thread.id, 3 * 365 * 24 * 60);
        await backdate('posts', thread.firstPost.id, 3 * 365 * 24 * 60);
        expect((await patchThread(thread.id, { title: 'Still editable' }, cast.member)).status).toBe(200);
        expect((await patchPost(thread.firstPost.id, 'still editable', cast.member)).status).toBe(200);
      } finally {
        await setSettings(t.http, cast.admin.accessToken, cast.slug, { editWindowMinutes: 1440 });
      }
    });

    it('uses the default of 1440 minutes', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Default window' });
      await backdate('threads', thread.id, 1439);
      expect((await patchThread(thread.id, { title: 'Day-old edit' }, cast.member)).status).toBe(200);
      await backdate('threads', thread.id, 1441);
      expectProblem(await patchThread(thread.id, { title: 'Too old to edit' }, cast.member), 403, 'EDIT_WINDOW_CLOSED');
    });
  });

  describe('post revisions', () => {
    it('lists every version, oldest first, to the author and moderators', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Revisions here' });
      const post = await reply(t.http, cast.member.accessToken, thread.id, 'first version');
      const e1 = await patchPost(post.id, 'second *version*', cast.member);
      const e2 = await patchPost(post.id, 'third, by a moderator', cast.moderator);
      expect([e1.status, e2.status]).toEqual([200, 200]);
      const user = (u: TestUser) => expect.objectContaining({ id: u.id, displayName: u.displayName });
      const expected = [
        { revision: 1, body: 'first version', editedBy: user(cast.member), editedAt: post.createdAt },
        { revision: 2, body: 'second *version*', editedBy: user(cast.member), editedAt: e1.body.editedAt },
        { revision: 3, body: 'third, by a moderator', editedBy: user(cast.moderator), editedAt: e2.body.editedAt },
      ];
      for (const viewer of [cast.member, cast.moderator, cast.admin]) {
        const res = await revisions(post.id, viewer);
        expect([res.status, res.body]).toEqual([200, { items: expected, nextCursor: null }]);
      }
      // Pages of two.
      const first = await revisions(post.id, cast.member, '?limit=2');
      expect(first.body.items).toEqual(expected.slice(0, 2));
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await revisions(post.id, cast.member, `?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
      expect(second.body).toEqual({ items: expected.slice(2), nextCursor: null });
      const exact = await revisions(post.id, cast.member, '?limit=3');
      expect(exact.body).toEqual({ items: expected, nextCursor: null });
      expectProblem(await revisions(post.id, cast.member, '?cursor=forged.cursor'), 400, 'INVALID_CURSOR');
      expectProblem(await revisions(post.id, cast.member, '?limit=0'), 400, 'VALIDATION_FAILED');
    });

    it('a post never edited has one revision: itself', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Unedited', body: 'as posted' });
      const res = await revisions(thread.firstPost.id, cast.member);
      expect(res.body).toEqual({
        items: [{ revision: 1, body: 'as posted', editedBy: expect.objectContaining({ id: cast.member.id }), editedAt: thread.firstPost.createdAt }],
        nextCursor: null,
      });
    });

    it('is refused to others: 403 when they see the post, 404 when they do not, 401 for guests', async () => {
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Private history' });
      await patchPost(thread.firstPost.id, 'edited once', cast.member);
      expectProblem(await revisions(thread.firstPost.id, cast.member2), 403, 'FORBIDDEN');
      expectProblem(await revisions(thread.firstPost.id, cast.staff), 403, 'FORBIDDEN');
      expectProblem(await revisions(thread.firstPost.id, cast.outsider), 403, 'FORBIDDEN');
      expectProblem(await t.http.get(`/api/v1/posts/${thread.firstPost.id}/revisions`), 401, 'UNAUTHENTICATED');
      const hidden = await createThread(t.http, cast.member.accessToken, membersBoard.id, { title: 'Members history' });
      expectProblem(await revisions(hidden.firstPost.id, cast.outsider), 404, 'NOT_FOUND');
      expectProblem(await revisions('00000000-0000-4000-8000-000000000000', cast.member), 404, 'NOT_FOUND');
      // A post hidden by a moderator: its author and moderators still read its history; other members do not see it.
      const r = await reply(t.http, cast.member.accessToken, thread.id, 'to be hidden');
      await db.query('UPDATE posts SET hidden = true WHERE id = $1', [r.id]);
      expect((await revisions(r.id, cast.member)).status).toBe(200);
      expect((await revisions(r.id, cast.moderator)).status).toBe(200);
      expectProblem(await revisions(r.id, cast.member2), 404, 'NOT_FOUND');
    });
  });
});
