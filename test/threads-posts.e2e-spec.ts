import { Db } from '../src/core/database/db.service';
import { startApp, TestApp, usingPostgres } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, registerUser, TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Reactions, markdown and XSS, paging, cooldowns, events and concurrency; boards, visibility, threads and posts: threads.e2e-spec.ts. */
describe('boards, threads and posts', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let member: TestUser;
  let member2: TestUser;
  let staff: TestUser;
  let boards: Record<'pub', { id: string }>;

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    const c = await createCommunity(t.http, admin.accessToken);
    slug = c.slug;
    await setSettings(t.http, admin.accessToken, slug, { ...NO_LIMITS, newMemberDays: 0, newMemberPosts: 0 });
    member = await createMember(t.http, admin.accessToken, slug);
    member2 = await createMember(t.http, admin.accessToken, slug);
    staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    boards = {
      pub: await createBoard(t.http, admin.accessToken, slug, { slug: 'general' }),
    };
  });
  afterAll(() => t?.close());

  describe('reactions', () => {
    it('are idempotent, counted per kind, and one sees one\'s own', async () => {
      const thread = await createThread(t.http, member.accessToken, boards.pub.id);
      const postId = thread.firstPost.id;
      for (let i = 0; i < 2; i++) expect((await t.http.put(`/api/v1/posts/${postId}/reactions/like`, undefined, { token: member2.accessToken })).status).toBe(204);
      await t.http.put(`/api/v1/posts/${postId}/reactions/helpful`, undefined, { token: member2.accessToken });
      await t.http.put(`/api/v1/posts/${postId}/reactions/like`, undefined, { token: staff.accessToken });
      const asMember2 = await t.http.get(`/api/v1/threads/${thread.id}/posts`, { token: member2.accessToken });
      expect(asMember2.body.items[0]).toEqual(expect.objectContaining({ reactions: { like: 2, helpful: 1 }, myReactions: ['helpful', 'like'] }));
      const asGuest = await t.http.get(`/api/v1/threads/${thread.id}/posts`);
      expect(asGuest.body.items[0].myReactions).toEqual([]);
      for (let i = 0; i < 2; i++) expect((await t.http.delete(`/api/v1/posts/${postId}/reactions/like`, { token: member2.accessToken })).status).toBe(204);
      const after = await t.http.get(`/api/v1/threads/${thread.id}/posts`, { token: member2.accessToken });
      expect(after.body.items[0]).toEqual(expect.objectContaining({ reactions: { like: 1, helpful: 1 }, myReactions: ['helpful'] }));
      expectProblem(await t.http.put(`/api/v1/posts/${postId}/reactions/angry`, undefined, { token: member2.accessToken }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('markdown and XSS', () => {
    const payloads = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[x](javascript:alert(1))',
      '[x](JaVaScRiPt:alert(1))',
      '[x](data:text/html;base64,PHNjcmlwdD4=)',
      '![x](javascript:alert(1))',
      '<svg onload=alert(1)><circle/></svg>',
      '<iframe src="https://evil.example"></iframe>',
      '<a href="javascript:alert(1)">click</a>',
      '[x](https://ok.example/"onmouseover="alert(1))',
    ];
    it.each(payloads)('renders %s inert', async (payload) => {
      const thread = await createThread(t.http, member.accessToken, boards.pub.id, { body: `before ${payload} after` });
      const html: string = thread.firstPost.html;
      // Look at the real tags only: escaped text such as "&lt;script&gt;" is inert.
      const tags = html.match(/<[^>]+>/g) ?? [];
      expect(tags.length).toBeGreaterThan(0);
      for (const tag of tags) expect(tag).not.toMatch(/^<\/?(script|iframe|svg|object|embed|style|math)|\son\w+\s*=|javascript:|data:|style=/i);
      expect(thread.firstPost.body).toBe(`before ${payload} after`);
    });

    it('marks external links nofollow ugc noopener noreferrer and links mentions of members', async () => {
      const named = await registerUser(t.http, { displayName: 'Mention Me' });
      await t.http.post(`/api/v1/communities/${slug}/join`, undefined, { token: named.accessToken });
      const thread = await createThread(t.http, member.accessToken, boards.pub.id, { body: 'see https://example.com and @MentionMe and @nobody' });
      expect(thread.firstPost.html).toContain('<a href="https://example.com" rel="nofollow ugc noopener noreferrer">https://example.com</a>');
      expect(thread.firstPost.html).toContain(`<a href="/u/${named.id}" class="mention">@MentionMe</a>`);
      expect(thread.firstPost.html).toContain('@nobody');
      expect(thread.firstPost.html).not.toContain('href="/u/nobody');
    });
  });

  describe('paging while replies arrive', () => {
    it('never skips or repeats a post', async () => {
      const thread = await createThread(t.http, member.accessToken, boards.pub.id);
      for (let i = 0; i < 9; i++) await reply(t.http, i % 2 ? member.accessToken : member2.accessToken, thread.id, `reply ${i}`);
      const seen: number[] = [];
      let cursor: string | null = null;
      let writes = 0;
      do {
        const res: { body: { items: Array<{ postNumber: number }>; nextCursor: string | null } } = await t.http.get(
          `/api/v1/threads/${thread.id}/posts?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...res.body.items.map((p) => p.postNumber));
        cursor = res.body.nextCursor;
        // Replies land between page reads.
        if (writes < 6) {
          await Promise.all([reply(t.http, member.accessToken, thread.id, 'mid-read'), reply(t.http, member2.accessToken, thread.id, 'mid-read')]);
          writes += 2;
        }
      } while (cursor);
      const total = 10 + writes;
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    });
  });

  describe('cooldowns and link limits', () => {
    it('enforce the community settings with 429 Retry-After and 422, staff exempt', async () => {
      const c = await createCommunity(t.http, admin.accessToken);
      await setSettings(t.http, admin.accessToken, c.slug, { postCooldownSeconds: 60, newMemberPostCooldownSeconds: 120, newMemberMaxLinks: 1, newMemberDays: 1 });
      const board = await createBoard(t.http, admin.accessToken, c.slug, { slug: 'general' });
      const newbie = await createMember(t.http, admin.accessToken, c.slug);
      const helper = await createMember(t.http, admin.accessToken, c.slug, 'staff');
      const tooMany = await t.http.post(`/api/v1/boards/${board.id}/threads`, { title: 'Links galore', body: 'https://a.example and https://b.example' }, { token: newbie.accessToken });
      expectProblem(tooMany, 422, 'TOO_MANY_LINKS');
      const thread = await createThread(t.http, newbie.accessToken, board.id, { body: 'one link https://a.example' });
      const second = await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'again' }, { token: newbie.accessToken });
      expectProblem(second, 429, 'RATE_LIMITED');
      const retryAfter = Number(second.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(60); // the new-member cooldown (120 s), not the regular one
      expect(retryAfter).toBeLessThanOrEqual(120);
      // Staff are exempt from both.
      await reply(t.http, helper.accessToken, thread.id, 'https://a.example https://b.example');
      await reply(t.http, helper.accessToken, thread.id, 'and again');
      // Lifting the setting lets the member post at once.
      await setSettings(t.http, admin.accessToken, c.slug, { newMemberPostCooldownSeconds: 0 });
      await reply(t.http, newbie.accessToken, thread.id, 'now it works');
    });
  });

  describe('events', () => {
    it('records thread, post, edit, delete and reaction events with their writes', async () => {
      const thread = await createThread(t.http, member.accessToken, boards.pub.id, { productSkus: ['EV-1'] });
      const post = await reply(t.http, member2.accessToken, thread.id, 'an answer');
      await t.http.patch(`/api/v1/posts/${post.id}`, { body: 'an edited answer' }, { token: member2.accessToken });
      await t.http.put(`/api/v1/posts/${post.id}/reactions/helpful`, undefined, { token: member.accessToken });
      await t.http.delete(`/api/v1/posts/${post.id}`, { token: member2.accessToken });
      const rows = await t.app.get(Db).query<{ type: string; data: Record<string, unknown> }>(
        `SELECT type, data FROM events WHERE data->>'threadId' = $1 ORDER BY id`,
        [thread.id],
      );
      expect(rows.map((r) => r.type)).toEqual(['thread.created', 'post.created', 'post.edited', 'reaction.added', 'post.deleted']);
      expect(rows[0].data).toEqual(expect.objectContaining({ threadId: thread.id, postId: thread.firstPost.id, authorId: member.id, productSkus: ['EV-1'], boardKind: 'discussion' }));
      expect(rows[3].data).toEqual(expect.objectContaining({ postId: post.id, authorId: member2.id, userId: member.id, kind: 'helpful' }));
      expect(rows[4].data).toEqual(expect.objectContaining({ postId: post.id, deletedBy: member2.id, isFirst: false }));
    });
  });

  (usingPostgres ? describe : describe.skip)('concurrency (PostgreSQL)', () => {
    it('keeps reply counters and post numbers exact under concurrent replies', async () => {
      const thread = await createThread(t.http, member.accessToken, boards.pub.id);
      const repliers = await Promise.all(Array.from({ length: 6 }, () => createMember(t.http, admin.accessToken, slug)));
      await Promise.all(repliers.flatMap((u) => Array.from({ length: 5 }, (_, i) => reply(t.http, u.accessToken, thread.id, `r${i}`))));
      const read = await t.http.get(`/api/v1/threads/${thread.id}`);
      expect(read.body.replyCount).toBe(30);
      const numbers = await t.app.get(Db).query<{ post_number: number }>('SELECT post_number FROM posts WHERE thread_id = $1 ORDER BY post_number', [thread.id]);
      expect(numbers.map((r) => r.post_number)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    });
  });
});
