import sharp from 'sharp';
import { BODY_MAX } from '../src/threads/dto/threads.dto';
import { PostsService } from '../src/threads/posts.service';
import { EXTERNAL_REL } from '../src/threads/url-policy';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Security review, issue 25: findings 1 (ReDoS in mentions, unthrottled edits) and 6 (privacy of rendered posts). */
describe('security of post content', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let member: TestUser;
  let moderator: TestUser;
  let board: { id: string };

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, { ...NO_LIMITS, newMemberDays: 0, newMemberPosts: 0 });
    member = await createMember(t.http, admin.accessToken, slug);
    moderator = await createMember(t.http, admin.accessToken, slug, 'moderator');
    board = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
  });
  afterAll(() => t?.close());

  /** The post's html as stored (read back, not the create response). */
  async function storedHtml(threadId: string): Promise<string> {
    const res = await t.http.get(`/api/v1/threads/${threadId}`, { token: member.accessToken });
    expect(res.status).toBe(200);
    return res.body.firstPost.html;
  }

  describe('images and links (finding 6)', () => {
    it('stores an image from another site as a link, and external links with noreferrer', async () => {
      const thread = await createThread(t.http, member.accessToken, board.id, {
        body: '![tracking pixel](https://tracker.example/p.gif) ![](http://mixed.example/a.png) and https://example.com',
      });
      const html = await storedHtml(thread.id);
      expect(html).not.toContain('<img');
      expect(html).toContain(`<a href="https://tracker.example/p.gif" rel="${EXTERNAL_REL}">tracking pixel</a>`);
      expect(html).toContain(`<a href="http://mixed.example/a.png" rel="${EXTERNAL_REL}">http://mixed.example/a.png</a>`);
      expect(html).toContain('<a href="https://example.com" rel="nofollow ugc noopener noreferrer">https://example.com</a>');
    });

    it('keeps an <img> for our own uploads, relative or absolute', async () => {
      const form = new FormData();
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3a6' } }).png().toBuffer();
      form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'dot.png');
      const res = await fetch(`${t.baseUrl}/api/v1/communities/${slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${member.accessToken}` } });
      expect(res.status).toBe(201);
      const { url } = (await res.json()) as { url: string };
      expect(url.startsWith(`${t.config.publicUrl}/api/v1/uploads/`)).toBe(true);
      const relative = url.slice(t.config.publicUrl.length);
      const thread = await createThread(t.http, member.accessToken, board.id, { body: `![ours](${url}) ![also ours](${relative})` });
      const html = await storedHtml(thread.id);
      expect(html).toContain(`<img src="${url}" alt="ours" loading="lazy" />`);
      expect(html).toContain(`<img src="${relative}" alt="also ours" loading="lazy" />`);
    });
  });

  describe('mentions (finding 1)', () => {
    it('accepts the ReDoS body at the size limit, and mentions in it still link', async () => {
      const handle = member.displayName.replace(/\s/g, '');
      const head = `@${handle} `;
      const body = head + '@a' + '.'.repeat(BODY_MAX - head.length - 3) + 'b';
      expect(body.length).toBe(BODY_MAX);
      const res = await t.http.post(`/api/v1/boards/${board.id}/threads`, { title: 'Dots', body }, { token: member.accessToken });
      expect(res.status).toBe(201);
      expect(res.body.firstPost.body).toBe(body);
      expect(res.body.firstPost.html).toContain(`<a href="/u/${member.id}" class="mention">@${handle}</a>`);
      const edited = await t.http.patch(`/api/v1/posts/${res.body.firstPost.id}`, { body: body.slice(0, -1) + 'c' }, { token: member.accessToken });
      expect(edited.status).toBe(200);
    });
  });

  describe('edit rate limit (finding 1)', () => {
    it('answers 429 RATE_LIMITED with Retry-After once a member has spent the budget of edits', async () => {
      const author = await createMember(t.http, admin.accessToken, slug);
      const thread = await createThread(t.http, author.accessToken, board.id, { body: 'first' });
      const postId = thread.firstPost.id;
      for (let i = 1; i <= PostsService.EDITS_PER_MINUTE; i++) {
        const res = await t.http.patch(`/api/v1/posts/${postId}`, { body: `typo fix ${i}` }, { token: author.accessToken });
        expect({ i, status: res.status }).toEqual({ i, status: 200 });
      }
      const limited = await t.http.patch(`/api/v1/posts/${postId}`, { body: 'one too many' }, { token: author.accessToken });
      expectProblem(limited, 429, 'RATE_LIMITED');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await storedHtml(thread.id))).toBe(`<p>typo fix ${PostsService.EDITS_PER_MINUTE}</p>\n`);
      // The budget is the author's: a moderator can still clean the same post up.
      const cleaned = await t.http.patch(`/api/v1/posts/${postId}`, { body: 'cleaned up' }, { token: moderator.accessToken });
      expect(cleaned.status).toBe(200);
    });

    it('does not limit moderators', async () => {
      const thread = await createThread(t.http, member.accessToken, board.id, { body: 'to moderate' });
      for (let i = 1; i <= PostsService.EDITS_PER_MINUTE + 5; i++) {
        const res = await t.http.patch(`/api/v1/posts/${thread.firstPost.id}`, { body: `moderated ${i}` }, { token: moderator.accessToken });
        expect({ i, status: res.status }).toEqual({ i, status: 200 });
      }
    });
  });
});
