import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser, unique } from './support/factories';
import { expectProblem, HttpResponse } from './support/http';

/**
 * Issue 22's findings, one fixed test per class (the fuzz test finds them at random; these keep
 * them found). Bad input answers 4xx problem+json with a stable code, never 500.
 */
describe('bad input', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let member: TestUser;
  let staff: TestUser;
  let board: { id: string };
  let thread: { id: string; firstPost: { id: string } };

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    member = await createMember(t.http, admin.accessToken, slug);
    staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    board = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
    const qa = await createBoard(t.http, admin.accessToken, slug, { slug: 'questions', kind: 'qa' });
    for (let i = 0; i < 3; i++) {
      thread = await createThread(t.http, member.accessToken, board.id, { title: `Thread number ${i}` });
      await createThread(t.http, member.accessToken, qa.id, { title: `Question number ${i}` });
    }
    // Scores differ, so `top` and `latest` order the threads differently.
    await t.http.put(`/api/v1/posts/${thread.firstPost.id}/reactions/like`, undefined, { token: staff.accessToken });
  });
  afterAll(() => t?.close());

  const raw = (method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string> = {}, token?: string) =>
    fetchAnswer(t.baseUrl, method, path, body, { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) });

  describe('NUL characters (PostgreSQL text cannot hold U+0000)', () => {
    it('in a path parameter', async () => {
      expectProblem(await t.http.post('/api/v1/communities/nul%00byte/join', undefined, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get('/api/v1/communities/nul%00byte'), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get(`/api/v1/communities/${slug}%00/members`, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
    });

    it('in JSON strings: log-in, registration, a new thread, a new post, an edited post', async () => {
      expectProblem(await t.http.post('/api/v1/auth/login', { email: 'nul\u0000@example.com', password: 'a fine password 1' }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.post('/api/v1/auth/login', { email: member.email, password: `${member.password}\u0000` }), 400, 'VALIDATION_FAILED');
      expectProblem(
        await t.http.post('/api/v1/auth/register', { email: `${unique('nul')}@example.com`, password: 'a fine\u0000 password', displayName: 'Nul' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await t.http.post('/api/v1/auth/register', { email: `${unique('nul')}@example.com`, password: 'a fine password 2', displayName: 'Nul\u0000' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(await t.http.post(`/api/v1/boards/${board.id}/threads`, { title: 'A\u0000title', body: 'body' }, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'a\u0000b' }, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.patch(`/api/v1/posts/${thread.firstPost.id}`, { body: '\u0000' }, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
      // In a field name too.
      expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'fine', ['x\u0000']: 1 }, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
      // Nothing was written.
      const posts = await t.http.get(`/api/v1/threads/${thread.id}/posts`);
      expect(posts.body.items.map((p: { body: string }) => p.body)).toEqual(['The first post']);
    });
  });

  it('refuses JSON nested 20,000 levels deep on routes with a body', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const deepObject = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    const json = { 'content-type': 'application/json' };
    expectProblem(await raw('POST', '/api/v1/auth/register', deep, json), 400, 'VALIDATION_FAILED');
    expectProblem(await raw('POST', '/api/v1/auth/login', `{"email":${deep},"password":"x"}`, json), 400, 'VALIDATION_FAILED');
    expectProblem(await raw('POST', `/api/v1/threads/${thread.id}/posts`, `{"body":${deepObject}}`, json, member.accessToken), 400, 'VALIDATION_FAILED');
    expectProblem(await raw('PATCH', `/api/v1/communities/${slug}/settings`, deep, json, admin.accessToken), 400, 'VALIDATION_FAILED');
  });

  it('refuses a lone UTF-16 surrogate in a registration email', async () => {
    for (const email of ['\ud800@example.com', 'ada\udfff@example.com', `${unique('s')}@exa\ud83dmple.com`]) {
      expectProblem(await t.http.post('/api/v1/auth/register', { email, password: 'a fine password 3', displayName: 'Surrogate' }), 400, 'VALIDATION_FAILED');
    }
    expectProblem(await t.http.post('/api/v1/auth/login', { email: '\ud800@example.com', password: 'a fine password 3' }), 400, 'VALIDATION_FAILED');
  });

  it('answers broken JSON with MALFORMED_JSON', async () => {
    for (const body of ['{"email":', "{'email':'a'}", '{"email":"a",}', 'nul', '{"email":"a"}garbage']) {
      expectProblem(await raw('POST', '/api/v1/auth/login', body, { 'content-type': 'application/json' }), 400, 'MALFORMED_JSON');
    }
  });

  describe('broken multipart on the upload route', () => {
    const boundary = '----hearthtest';
    const image = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
      Buffer.alloc(4096, 7),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const cutOff = image.subarray(0, image.length - 1500);
    const upload = (contentType: string, body: Buffer, token?: string) => raw('POST', `/api/v1/communities/${slug}/uploads`, body, { 'content-type': contentType }, token);

    it('with a valid token: 400', async () => {
      expectProblem(await upload('multipart/form-data', image, member.accessToken), 400, 'MALFORMED_MULTIPART');
      expectProblem(await upload(`multipart/form-data; boundary=${boundary}`, cutOff, member.accessToken), 400, 'MALFORMED_MULTIPART');
    });

    it('with a bad token or none: refused as problem+json, never 500', async () => {
      for (const token of [undefined, 'hat_not-a-real-token']) {
        expectAnyProblem(await upload('multipart/form-data', image, token), [400, 401]);
        expectAnyProblem(await upload(`multipart/form-data; boundary=${boundary}`, cutOff, token), [400, 401]);
      }
    });
  });

  describe('cursors', () => {
    const forged = [
      [1e308, 'x', 'y'],
      [-1, -1, -1],
      [true, '+275760-09-13T00:00:00.000Z', 'not-a-uuid'],
      ['9999-99-99T99:99:99Z', '00000000-0000-0000-0000-000000000000'],
      ['x', 9007199254740993],
      [9.9e307],
      ['2026-01-01T00:00:00.000Z', 'not-a-uuid'],
      [],
      [{}, [], null],
    ].map((values) => Buffer.from(JSON.stringify(values)).toString('base64url'));
    const tamper = (cursor: string) => {
      const at = Math.floor(cursor.length / 2);
      return cursor.slice(0, at) + (cursor[at] === 'A' ? 'B' : 'A') + cursor.slice(at + 1);
    };
    const firstCursor = async (path: string, token?: string) => {
      const res = await t.http.get(path, { token });
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toEqual(expect.any(String));
      return res.body.nextCursor as string;
    };

    it('on thread lists: a cursor of one sort reused with another, tampered, or forged', async () => {
      const list = `/api/v1/boards/${board.id}/threads`;
      const latest = await firstCursor(`${list}?sort=latest&limit=1`);
      expect((await t.http.get(`${list}?sort=latest&limit=1&cursor=${latest}`)).status).toBe(200);
      for (const sort of ['top', 'unanswered']) {
        expectProblem(await t.http.get(`${list}?sort=${sort}&limit=1&cursor=${latest}`), 400, 'INVALID_CURSOR');
      }
      const top = await firstCursor(`${list}?sort=top&limit=1`);
      expectProblem(await t.http.get(`${list}?sort=latest&limit=1&cursor=${top}`), 400, 'INVALID_CURSOR');
      expectProblem(await t.http.get(`${list}?sort=latest&limit=1&cursor=${tamper(latest)}`), 400, 'INVALID_CURSOR');
      for (const cursor of forged) {
        for (const sort of ['latest', 'top', 'unanswered']) expectProblem(await t.http.get(`${list}?sort=${sort}&cursor=${cursor}`), 400, 'INVALID_CURSOR');
      }
    });

    it('on the unanswered queue (staff)', async () => {
      const queue = `/api/v1/communities/${slug}/qa/unanswered`;
      const cursor = await firstCursor(`${queue}?limit=1`, staff.accessToken);
      expect((await t.http.get(`${queue}?limit=1&cursor=${cursor}`, { token: staff.accessToken })).status).toBe(200);
      expectProblem(await t.http.get(`${queue}?limit=1&cursor=${tamper(cursor)}`, { token: staff.accessToken }), 400, 'INVALID_CURSOR');
      for (const forgedCursor of forged) expectProblem(await t.http.get(`${queue}?cursor=${forgedCursor}`, { token: staff.accessToken }), 400, 'INVALID_CURSOR');
    });

    it('on the member list', async () => {
      const members = `/api/v1/communities/${slug}/members`;
      const cursor = await firstCursor(`${members}?limit=1`, member.accessToken);
      expect((await t.http.get(`${members}?limit=1&cursor=${cursor}`, { token: member.accessToken })).status).toBe(200);
      expectProblem(await t.http.get(`${members}?limit=1&cursor=${tamper(cursor)}`, { token: member.accessToken }), 400, 'INVALID_CURSOR');
      for (const forgedCursor of forged) expectProblem(await t.http.get(`${members}?cursor=${forgedCursor}`, { token: member.accessToken }), 400, 'INVALID_CURSOR');
      // A cursor of another list is not a cursor of this one.
      const threads = await firstCursor(`/api/v1/boards/${board.id}/threads?limit=1`);
      expectProblem(await t.http.get(`${members}?cursor=${threads}`, { token: member.accessToken }), 400, 'INVALID_CURSOR');
    });
  });

  it('answers a path parameter over 100 characters as problem+json', async () => {
    const long = 'a'.repeat(101);
    for (const path of [`/api/v1/threads/${long}`, `/api/v1/communities/${long}`, `/api/v1/communities/${long}/members`, `/api/v1/boards/${'9'.repeat(500)}/threads`]) {
      expectAnyProblem(await t.http.get(path, { token: member.accessToken }), [404, 414]);
    }
    expectAnyProblem(await t.http.post(`/api/v1/communities/${long}/join`, undefined, { token: member.accessToken }), [404, 414]);
  });

  it('answers a request head over 16 KiB (the HTTP parser\'s limit, before any route) as problem+json', async () => {
    const res = await t.http.get(`/api/v1/me?x=${'a'.repeat(20_000)}`, { token: member.accessToken });
    expectProblem(res, 431, 'REQUEST_HEADERS_TOO_LARGE');
    // The server is fine afterwards.
    expect((await t.http.get('/api/v1/me', { token: member.accessToken })).status).toBe(200);
  });
});

/** A problem+json answer with one of the statuses and an UPPER_SNAKE code. */
function expectAnyProblem(res: HttpResponse, statuses: number[]) {
  expect({ status: statuses.includes(res.status), type: res.headers.get('content-type') }).toEqual({
    status: true,
    type: expect.stringContaining('application/problem+json'),
  });
  expect(res.body).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status: res.status, detail: expect.any(String), code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/) }),
  );
}

async function fetchAnswer(baseUrl: string, method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>): Promise<HttpResponse> {
  const res = await fetch(baseUrl + path, { method, headers, body: typeof body === 'string' ? Buffer.from(body) : body ? new Uint8Array(body) : undefined });
  const text = await res.text();
  let parsed: any = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}
