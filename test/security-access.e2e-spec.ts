import { Cursors } from '../src/core/pagination/cursors';
import { SEARCH_CURSOR } from '../src/search/search.service';
/**
 * Regression tests for the security review (issue 25): photos of private boards and deleted posts
 * (finding 2), duplicates pointing at less visible threads (7), metrics off the public listener (8),
 * search depth and its per-IP throttle (9).
 */
import sharp from 'sharp';
import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { createBoard, createCast, createThread, reply } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { expectProblem, HttpResponse } from './support/http';

const PUBLIC_CACHE = 'public, max-age=31536000, immutable';
const PRIVATE_CACHE = 'private, no-store';

describe('security: who may fetch a photo, duplicates, search depth', () => {
  let t: TestApp;
  let db: Db;
  let admin: TestUser;
  let slug: string;
  let member: TestUser;
  let otherMember: TestUser;
  let staff: TestUser;
  let moderator: TestUser;
  let outsider: TestUser;
  let pub: { id: string };
  let membersBoard: { id: string };
  let staffBoard: { id: string };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    ({ admin, slug, member, member2: otherMember, staff, moderator, outsider } = await createCast(t.http));
    pub = await createBoard(t.http, admin.accessToken, slug, { slug: 'showcase', kind: 'showcase' });
    membersBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'members', visibility: 'members' });
    staffBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'staff', visibility: 'staff' });
  });
  afterAll(() => t?.close());

  let shade = 0;
  /** Uploads a small real image (a new colour each time) and returns the attachment. */
  async function upload(token: string): Promise<{ id: string; url: string }> {
    shade = (shade + 37) % 256;
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: shade, g: 90, b: 160 } } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'photo.png');
    const res = await fetch(`${t.baseUrl}/api/v1/communities/${slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string; url: string };
  }
  const photoPath = (a: { url: string }) => new URL(a.url).pathname;
  const fetchPhoto = (a: { url: string }, user?: TestUser) => t.http.get(photoPath(a), { token: user?.accessToken });

  function expectServed(res: HttpResponse, cache: string) {
    expect({
      status: res.status,
      type: res.headers.get('content-type'),
      cache: res.headers.get('cache-control'),
      corp: res.headers.get('cross-origin-resource-policy'),
      nosniff: res.headers.get('x-content-type-options'),
      guestCache: res.headers.get('x-cache'),
    }).toEqual({
      status: 200,
      type: 'image/png',
      cache,
      corp: cache === PUBLIC_CACHE ? 'cross-origin' : 'same-origin',
      nosniff: 'nosniff',
      guestCache: null,
    });
  }
  /** Hidden exactly like a file that does not exist. */
  const expectHidden = (res: HttpResponse) => expect(expectProblem(res, 404, 'NOT_FOUND').detail).toBe('File not found');

  describe('photos (finding 2)', () => {
    it('serves photos of public boards to anyone, cached publicly', async () => {
      const photo = await upload(member.accessToken);
      await createThread(t.http, member.accessToken, pub.id, { title: 'My kitchen', attachmentIds: [photo.id] });
      for (const who of [undefined, outsider, member, staff]) expectServed(await fetchPhoto(photo, who), PUBLIC_CACHE);
    });

    it('serves photos of members-only boards to the members only, never cached', async () => {
      const photo = await upload(member.accessToken);
      await createThread(t.http, member.accessToken, membersBoard.id, { title: 'For members', attachmentIds: [photo.id] });
      expectHidden(await fetchPhoto(photo));
      expectHidden(await fetchPhoto(photo, outsider));
      for (const who of [member, otherMember, staff, admin]) expectServed(await fetchPhoto(photo, who), PRIVATE_CACHE);
    });

    it('serves photos of staff-only boards to staff and above only, and never to a guest after staff fetched them', async () => {
      const photo = await upload(staff.accessToken);
      await createThread(t.http, staff.accessToken, staffBoard.id, { title: 'Recall plan', attachmentIds: [photo.id] });
      for (const who of [staff, moderator, admin]) expectServed(await fetchPhoto(photo, who), PRIVATE_CACHE);
      for (const who of [undefined, outsider, member]) expectHidden(await fetchPhoto(photo, who));
      expectHidden(await t.http.get(`/api/v1/uploads/${'0'.repeat(32)}.png`));
    });

    it('answers 401 to an invalid token rather than treating the caller as a guest', async () => {
      const photo = await upload(member.accessToken);
      await createThread(t.http, member.accessToken, pub.id, { title: 'Token check', attachmentIds: [photo.id] });
      expectProblem(await t.http.get(photoPath(photo), { token: 'hat_not-a-token' }), 401, 'UNAUTHENTICATED');
    });

    it('hides the photos of deleted posts and deleted threads from everyone', async () => {
      const first = await upload(member.accessToken);
      const second = await upload(member.accessToken);
      const thread = await createThread(t.http, member.accessToken, pub.id, { title: 'Soon gone', attachmentIds: [first.id] });
      const answer = await reply(t.http, member.accessToken, thread.id, 'With a photo', { attachmentIds: [second.id] });
      expectServed(await fetchPhoto(second), PUBLIC_CACHE);
      expect((await t.http.delete(`/api/v1/posts/${answer.id}`, { token: member.accessToken })).status).toBe(204);
      for (const who of [undefined, member, moderator, admin]) expectHidden(await fetchPhoto(second, who));
      expectServed(await fetchPhoto(first), PUBLIC_CACHE);
      expect((await t.http.delete(`/api/v1/posts/${thread.firstPost.id}`, { token: moderator.accessToken })).status).toBe(204);
      for (const who of [undefined, member, admin]) expectHidden(await fetchPhoto(first, who));
    });

    it('shows a hidden post’s photos to its author and moderators only, never cached', async () => {
      const photo = await upload(member.accessToken);
      const thread = await createThread(t.http, member.accessToken, pub.id, { title: 'Reported', attachmentIds: [photo.id] });
      await db.query('UPDATE posts SET hidden = true WHERE id = $1', [thread.firstPost.id]);
      for (const who of [undefined, otherMember, staff]) expectHidden(await fetchPhoto(photo, who));
      for (const who of [member, moderator]) expectServed(await fetchPhoto(photo, who), PRIVATE_CACHE);
    });

    it('shows an upload that was never attached to its uploader only', async () => {
      const photo = await upload(member.accessToken);
      expectServed(await fetchPhoto(photo, member), PRIVATE_CACHE);
      for (const who of [undefined, otherMember, moderator, admin]) expectHidden(await fetchPhoto(photo, who));
    });

    it('follows a board that becomes members-only', async () => {
      const board = await createBoard(t.http, admin.accessToken, slug, { slug: 'soon-private' });
      const photo = await upload(member.accessToken);
      await createThread(t.http, member.accessToken, board.id, { title: 'Was public', attachmentIds: [photo.id] });
      expectServed(await fetchPhoto(photo), PUBLIC_CACHE);
      expect((await t.http.patch(`/api/v1/boards/${board.id}`, { visibility: 'members' }, { token: admin.accessToken })).status).toBe(200);
      expectHidden(await fetchPhoto(photo));
      expectServed(await fetchPhoto(photo, otherMember), PRIVATE_CACHE);
    });
  });

  describe('close-as-duplicate (finding 7)', () => {
    let publicQa: { id: string };
    let membersQa: { id: string };
    let staffQa: { id: string };
    beforeAll(async () => {
      publicQa = await createBoard(t.http, admin.accessToken, slug, { slug: 'questions', kind: 'qa' });
      membersQa = await createBoard(t.http, admin.accessToken, slug, { slug: 'member-questions', kind: 'qa', visibility: 'members' });
      staffQa = await createBoard(t.http, admin.accessToken, slug, { slug: 'staff-questions', kind: 'qa', visibility: 'staff' });
    });
    const ask = (board: { id: string }, title: string, user = staff) => createThread(t.http, user.accessToken, board.id, { title });
    const close = (id: string, original: string) =>
      t.http.post(`/api/v1/threads/${id}/close-as-duplicate`, { threadId: original }, { token: moderator.accessToken });

    it('refuses an original its readers cannot see, and leaves the question as it was', async () => {
      const question = await ask(publicQa, 'Public question', member);
      for (const board of [staffQa, membersQa]) {
        const original = await ask(board, 'Less visible original');
        const problem = expectProblem(await close(question.id, original.id), 422, 'DUPLICATE_LESS_VISIBLE');
        expect(problem.errors).toEqual([expect.objectContaining({ field: 'threadId' })]);
      }
      const seen = await t.http.get(`/api/v1/threads/${question.id}`);
      expect(seen.body).toEqual(expect.objectContaining({ duplicateOfThreadId: null, locked: false }));
    });

    it('accepts an original at least as visible as the question', async () => {
      const original = await ask(publicQa, 'Public original');
      const question = await ask(publicQa, 'Public again', member);
      const closed = await close(question.id, original.id);
      expect({ status: closed.status, dup: closed.body.duplicateOfThreadId }).toEqual({ status: 200, dup: original.id });
      const staffQuestion = await ask(staffQa, 'Staff question');
      expect((await close(staffQuestion.id, original.id)).body.duplicateOfThreadId).toBe(original.id);
      const membersQuestion = await ask(membersQa, 'Members question', member);
      const membersOriginal = await ask(membersQa, 'Members original', member);
      expect((await close(membersQuestion.id, membersOriginal.id)).body.duplicateOfThreadId).toBe(membersOriginal.id);
    });
  });

  describe('search depth (finding 9)', () => {
    const MATCHES = 1010;
    let searchBoard: { id: string };
    beforeAll(async () => {
      searchBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'deep' });
      const thread = await createThread(t.http, member.accessToken, searchBoard.id, { title: 'Zephyr fans', body: 'zephyr' });
      // More matching threads than the cap (search answers one hit per thread), written directly (through HTTP this would take a minute).
      await db.query(
        `WITH t AS (
           INSERT INTO threads (community_id, board_id, author_id, title, post_seq, last_poster_id)
           SELECT $1, $2, $3, 'Zephyr number ' || g, 1, $3 FROM generate_series(2, $4::int) g RETURNING id, title)
         INSERT INTO posts (thread_id, community_id, board_id, post_number, author_id, author_role, body, html)
         SELECT t.id, $1, $2, 1, $3, 'member', t.title, '<p>zephyr</p>' FROM t`,
        [thread.communityId, searchBoard.id, member.id, MATCHES],
      );
    });
    const search = (query: string) => t.http.get(`/api/v1/communities/${slug}/search?q=zephyr&board=${searchBoard.id}&${query}`);
    // Cursors are signed: these are made with the server's own key, as the server would make them.
    const cursorAt = (offset: number) => t.app.get(Cursors).encode(SEARCH_CURSOR, [offset]);

    it('pages through the first 1,000 results only', async () => {
      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: HttpResponse = await search(`limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        for (const hit of res.body.items) seen.add(hit.post.id);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      expect({ pages, results: seen.size }).toEqual({ pages: 10, results: 1000 });
    });

    it('cuts the page that reaches the cap, and refuses cursors past it', async () => {
      const last = await search(`limit=20&cursor=${cursorAt(990)}`);
      expect({ status: last.status, items: last.body.items.length, next: last.body.nextCursor }).toEqual({ status: 200, items: 10, next: null });
      for (const offset of [1000, 10_000]) {
        const problem = expectProblem(await search(`limit=20&cursor=${cursorAt(offset)}`), 400, 'VALIDATION_FAILED');
        expect(problem.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
      }
      // An offset cursor the server did not sign is refused whatever its value.
      const forged = Buffer.from(JSON.stringify([990])).toString('base64url');
      expectProblem(await search(`limit=20&cursor=${forged}`), 400, 'INVALID_CURSOR');
    });
  });
});

describe('security: metrics (finding 8)', () => {
  const TOKEN = 'metrics-scraper-token-0123456789';
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { METRICS_TOKEN: TOKEN, METRICS_PORT: '0', HOST: '127.0.0.1' } });
  });
  afterAll(() => t?.close());

  it('serves /metrics on the public listener only to the METRICS_TOKEN bearer (404 otherwise, like an unknown route)', async () => {
    await t.http.get('/api/v1/communities/nope');
    expectProblem(await t.http.get('/metrics'), 404, 'NOT_FOUND');
    expectProblem(await t.http.get('/metrics', { token: `${TOKEN}x` }), 404, 'NOT_FOUND');
    expectProblem(await t.http.get('/metrics', { token: TOKEN.slice(0, -1) }), 404, 'NOT_FOUND');
    const res = await t.http.get('/metrics', { token: TOKEN });
    expect({ status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control') }).toEqual({
      status: 200,
      type: expect.stringContaining('text/plain'),
      cache: 'no-store',
    });
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/communities\/:slug",status="404"\} [1-9]/);
  });

  it('serves /metrics on the METRICS_PORT listener, with the public listener’s request counts', async () => {
    expect(t.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(t.metricsUrl!).port).not.toBe(new URL(t.baseUrl).port);
    await t.http.get('/api/v1/communities/nope');
    const res = await fetch(t.metricsUrl!);
    const text = await res.text();
    expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status: 200, type: expect.stringContaining('text/plain') });
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/communities\/:slug",status="404"\} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/api\/v1\/communities\/:slug"\} [1-9]/);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect((await fetch(new URL('/api/v1/communities/nope', t.metricsUrl!))).status).toBe(404);
  });

  it('keeps the API docs public', async () => {
    expect((await t.http.get('/api/docs-json')).status).toBe(200);
  });
});

describe('security: search throttle (finding 9)', () => {
  let t: TestApp;
  let slug: string;
  let member: TestUser;
  beforeAll(async () => {
    t = await startApp({ env: { SEARCHES_PER_IP_PER_MINUTE: '3' } });
    const admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    member = await createMember(t.http, admin.accessToken, slug);
  });
  afterAll(() => t?.close());

  it('limits searches per IP, guests and members alike, with Retry-After', async () => {
    for (let i = 0; i < 3; i++) expect((await t.http.get(`/api/v1/communities/${slug}/search?q=kettle${i}`)).status).toBe(200);
    for (const token of [undefined, member.accessToken]) {
      const res = await t.http.get(`/api/v1/communities/${slug}/search?q=kettle`, { token });
      expectProblem(res, 429, 'RATE_LIMITED');
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Other routes are not affected.
    expect((await t.http.get(`/api/v1/communities/${slug}`)).status).toBe(200);
  });
});
