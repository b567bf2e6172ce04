import { captureLogs } from './support/logs';
import { startApp, TestApp } from './support/app';
import { registerUser } from './support/factories';
import { expectProblem } from './support/http';

describe('HTTP basics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { CORS_ORIGINS: 'https://shop.example.com' } });
  });
  afterAll(() => t?.close());

  it('serves liveness and readiness (which checks the database)', async () => {
    const live = await t.http.get('/health/live');
    expect({ status: live.status, body: live.body }).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await t.http.get('/health/ready');
    expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'ok', database: 'ok' } });
  });

  it('gives every response a request id, echoing a valid incoming one', async () => {
    const res = await t.http.get('/health/live');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await t.http.get('/api/v1/communities/nope', { headers: { 'x-request-id': 'trace-abc-123' } });
    const refused = await t.http.get('/health/live', { headers: { 'x-request-id': 'bad id with spaces ' + 'x'.repeat(100) } });
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc-123');
    expect(echoed.body.requestId).toBe('trace-abc-123');
  });

  it('sets security headers', async () => {
    const res = await t.http.get('/health/live');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('answers CORS preflights for configured origins only', async () => {
    const allowed = await t.http.request('OPTIONS', '/api/v1/me', {
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    const denied = await t.http.get('/health/live', { headers: { origin: 'https://evil.example.com' } });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers unknown routes and methods with problem+json', async () => {
    expectProblem(await t.http.get('/api/v1/no/such/route'), 404, 'NOT_FOUND');
    expectProblem(await t.http.delete('/api/v1/communities'), 404, 'NOT_FOUND');
  });

  it('refuses bodies over 1 MiB with 413, and wrong content types with 415', async () => {
    const big = await t.http.request('POST', '/api/v1/auth/login', {
      rawBody: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(1024 * 1024 + 10) }),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(big, 413, 'PAYLOAD_TOO_LARGE');
    const xml = await t.http.request('POST', '/api/v1/auth/login', { rawBody: '<a/>', headers: { 'content-type': 'application/xml' } });
    expectProblem(xml, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('takes an empty JSON body as {} (what many clients send on routes without a body)', async () => {
    const admin = await registerUser(t.http);
    const empty = { rawBody: '', headers: { 'content-type': 'application/json' }, token: admin.accessToken };
    // No body needed: it works. A body needed: the fields are missing (400 VALIDATION_FAILED), not malformed JSON.
    expectProblem(await t.http.request('POST', '/api/v1/communities/no-such-place/join', empty), 404, 'NOT_FOUND');
    expect((await t.http.request('POST', '/api/v1/auth/logout', empty)).status).toBe(204);
    const login = await t.http.request('POST', '/api/v1/auth/login', { rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(expectProblem(login, 400, 'VALIDATION_FAILED').errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['email', 'password']));
  });

  it('keeps Prometheus metrics off the public listener (see security-access for METRICS_PORT and METRICS_TOKEN)', async () => {
    expectProblem(await t.http.get('/metrics'), 404, 'NOT_FOUND');
    expectProblem(await t.http.get('/metrics', { token: 'any-token-at-all-0123456789' }), 404, 'NOT_FOUND');
    expect(t.metricsUrl).toBeNull();
  });

  it('publishes an OpenAPI document describing the routes, and the docs page', async () => {
    const res = await t.http.get('/api/docs-json');
    expect(res.status).toBe(200);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/auth/refresh',
      '/api/v1/auth/logout',
      '/api/v1/me',
      '/api/v1/communities',
      '/api/v1/communities/{slug}',
      '/api/v1/communities/{slug}/join',
      '/api/v1/communities/{slug}/members',
      '/api/v1/communities/{slug}/members/{userId}/role',
      '/api/v1/communities/{slug}/settings',
      '/health/ready',
      '/api/v1/communities/{slug}/boards',
      '/api/v1/boards/{boardId}',
      '/api/v1/boards/{boardId}/threads',
      '/api/v1/threads/{threadId}',
      '/api/v1/threads/{threadId}/posts',
      '/api/v1/posts/{postId}',
      '/api/v1/posts/{postId}/reactions/{kind}',
      '/api/v1/threads/{threadId}/lock',
      '/api/v1/threads/{threadId}/unlock',
      '/api/v1/threads/{threadId}/pin',
      '/api/v1/threads/{threadId}/unpin',
      '/api/v1/threads/{threadId}/move',
      '/api/v1/communities/{slug}/search',
      '/api/v1/communities/{slug}/uploads',
      '/api/v1/attachments/{attachmentId}/reuse-consent',
      '/api/v1/posts/{postId}/vote',
      '/api/v1/threads/{threadId}/accept',
      '/api/v1/posts/{postId}/official',
      '/api/v1/posts/{postId}/faq',
      '/api/v1/communities/{slug}/faq',
      '/api/v1/threads/{threadId}/close-as-duplicate',
      '/api/v1/communities/{slug}/qa/unanswered',
      '/api/v1/communities/{slug}/qa/response-times',
    ]) {
      expect(paths).toContain(p);
    }
    const register = res.body.paths['/api/v1/auth/register'].post;
    expect(register.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/RegisterDto');
    expect(res.body.components.schemas.UpdateCommunitySettingsDto.properties.flagsToHide).toEqual(
      expect.objectContaining({ minimum: 1, maximum: 100, default: 3 }),
    );
    const page = await t.http.get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger');
  });
});

describe('unexpected errors', () => {
  it('answer 500 INTERNAL without internals, and are logged with the request id', async () => {
    const { sink, lines } = captureLogs();
    const t = await startApp({ env: { LOG_LEVEL: 'error' }, options: { logDestination: sink } });
    try {
      const user = await registerUser(t.http);
      // Pull the database out from under the running server.
      await t.database.dataSource.destroy();
      const res = await t.http.get('/api/v1/me', { token: user.accessToken });
      const body = expectProblem(res, 500, 'INTERNAL');
      expect(body.detail).toBe('An unexpected error occurred');
      expect(res.text).not.toMatch(/DataSource|stack|node_modules|typeorm/i);
      const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error');
      expect(logged).toEqual(expect.objectContaining({ reqId: body.requestId, err: expect.objectContaining({ stack: expect.any(String) }) }));
      const ready = await t.http.get('/health/ready');
      expectProblem(ready, 503, 'NOT_READY');
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
