import { captureLogs } from './support/logs';
import { describeIfRedis, startApp, TestApp, usingPostgres, usingRedis } from './support/app';
import { eventually, registerUser, unique } from './support/factories';
import { expectProblem } from './support/http';

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t?.close());

  describe('register', () => {
    it('creates an account and returns the user with a token pair', async () => {
      const email = `${unique('ada')}@Example.com`;
      const res = await t.http.post('/api/v1/auth/register', { email, password: 'a long enough passphrase', displayName: '  Ada  ' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        user: { id: expect.any(String), username: 'ada', displayName: 'Ada', avatarUrl: null, bio: '', email, emailVerified: false, isPlatformAdmin: false },
        accessToken: expect.stringMatching(/^hat_[A-Za-z0-9_-]{43}$/),
        refreshToken: expect.stringMatching(/^hrt_[A-Za-z0-9_-]{43}$/),
        accessTokenExpiresAt: expect.any(String),
      });
      const expiresIn = Date.parse(res.body.accessTokenExpiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(10 * 60_000);
      expect(expiresIn).toBeLessThanOrEqual(15 * 60_000 + 5_000);
      const me = await t.http.get('/api/v1/me', { token: res.body.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ user: res.body.user, memberships: [] });
    });

    it('refuses an email already in use, whatever its letter case', async () => {
      const user = await registerUser(t.http);
      const res = await t.http.post('/api/v1/auth/register', { email: user.email.toUpperCase(), password: 'another fine password', displayName: 'Twin' });
      expectProblem(res, 409, 'EMAIL_IN_USE');
    });

    it.each([
      ['too short', 'short pw', /at least 10/],
      ['common', '1234567890', /too common/],
      ['common in another case', 'QwErTyUiOp', /too common/],
      ['repetitive', 'zzzzzzzzzzzzzz', /repetitive/],
    ])('refuses a weak password (%s) with 422 WEAK_PASSWORD', async (_label, password, message) => {
      const res = await t.http.post('/api/v1/auth/register', { email: `${unique('w')}@example.com`, password, displayName: 'Weak' });
      const body = expectProblem(res, 422, 'WEAK_PASSWORD');
      expect(body.errors).toEqual([{ field: 'password', message: expect.stringMatching(message) }]);
    });

    it('refuses a password over 256 characters', async () => {
      const res = await t.http.post('/api/v1/auth/register', { email: `${unique('w')}@example.com`, password: 'ab'.repeat(129), displayName: 'Long' });
      expectProblem(res, 422, 'WEAK_PASSWORD');
    });

    it('rejects unknown fields, bad emails and missing fields with field errors', async () => {
      const unknown = await t.http.post('/api/v1/auth/register', {
        email: `${unique('u')}@example.com`,
        password: 'a long enough passphrase',
        displayName: 'U',
        isPlatformAdmin: true,
      });
      expect(expectProblem(unknown, 400, 'VALIDATION_FAILED').errors).toEqual([{ field: 'isPlatformAdmin', message: expect.any(String) }]);
      const bad = await t.http.post('/api/v1/auth/register', { email: 'not-an-email', password: 'a long enough passphrase', displayName: '' });
      const fields = expectProblem(bad, 400, 'VALIDATION_FAILED').errors.map((e: { field: string }) => e.field);
      expect(new Set(fields)).toEqual(new Set(['email', 'displayName']));
      const missing = await t.http.post('/api/v1/auth/register', {});
      expectProblem(missing, 400, 'VALIDATION_FAILED');
      const malformed = await t.http.request('POST', '/api/v1/auth/register', { rawBody: '{"email":', headers: { 'content-type': 'application/json' } });
      expectProblem(malformed, 400, 'MALFORMED_JSON');
    });
  });

  describe('login', () => {
    it('logs in with the right password, any email case', async () => {
      const user = await registerUser(t.http);
      const res = await t.http.post('/api/v1/auth/login', { email: user.email.toUpperCase(), password: user.password });
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(user.id);
      expect((await t.http.get('/api/v1/me', { token: res.body.accessToken })).status).toBe(200);
    });

    it('answers a wrong password and an unknown email the same way', async () => {
      const user = await registerUser(t.http);
      const wrong = await t.http.post('/api/v1/auth/login', { email: user.email, password: 'not the password' });
      const unknown = await t.http.post('/api/v1/auth/login', { email: `${unique('nobody')}@example.com`, password: 'not the password' });
      const a = expectProblem(wrong, 401, 'INVALID_CREDENTIALS');
      const b = expectProblem(unknown, 401, 'INVALID_CREDENTIALS');
      expect({ ...a, requestId: undefined }).toEqual({ ...b, requestId: undefined });
    });

    it('throttles an account after 10 failures, also for the right password, with Retry-After', async () => {
      const user = await registerUser(t.http);
      for (let i = 0; i < 10; i++) {
        expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: `wrong ${i} password` })).status).toBe(401);
      }
      const blocked = await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password });
      expectProblem(blocked, 429, 'RATE_LIMITED');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      // Other accounts are not affected.
      const other = await registerUser(t.http);
      expect((await t.http.post('/api/v1/auth/login', { email: other.email, password: other.password })).status).toBe(200);
    });

    it('throttles unknown emails the same way, so throttling reveals nothing', async () => {
      const email = `${unique('ghost')}@example.com`;
      for (let i = 0; i < 10; i++) {
        expect((await t.http.post('/api/v1/auth/login', { email, password: 'whatever it is' })).status).toBe(401);
      }
      expectProblem(await t.http.post('/api/v1/auth/login', { email, password: 'whatever it is' }), 429, 'RATE_LIMITED');
    });
  });

  describe('refresh and logout', () => {
    it('rotates the refresh token on every use', async () => {
      const user = await registerUser(t.http);
      const first = await t.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), accessTokenExpiresAt: expect.any(String) });
      expect(first.body.refreshToken).not.toBe(user.refreshToken);
      // The previous access token is replaced too.
      expectProblem(await t.http.get('/api/v1/me', { token: user.accessToken }), 401, 'UNAUTHENTICATED');
      expect((await t.http.get('/api/v1/me', { token: first.body.accessToken })).status).toBe(200);
      const second = await t.http.post('/api/v1/auth/refresh', { refreshToken: first.body.refreshToken });
      expect(second.status).toBe(200);
    });

    it('revokes the whole session when a rotated refresh token is presented again', async () => {
      const user = await registerUser(t.http);
      const rotated = await t.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
      expect(rotated.status).toBe(200);
      expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken }), 401, 'REFRESH_TOKEN_REUSED');
      // The legitimate holder's newer tokens are dead too.
      expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: rotated.body.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
      expectProblem(await t.http.get('/api/v1/me', { token: rotated.body.accessToken }), 401, 'UNAUTHENTICATED');
      // Other sessions of the same account live on.
      const again = await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password });
      expect((await t.http.get('/api/v1/me', { token: again.body.accessToken })).status).toBe(200);
    });

    it('logout revokes the access and refresh tokens at once', async () => {
      const user = await registerUser(t.http);
      const out = await t.http.post('/api/v1/auth/logout', undefined, { token: user.accessToken });
      expect(out.status).toBe(204);
      expectProblem(await t.http.get('/api/v1/me', { token: user.accessToken }), 401, 'UNAUTHENTICATED');
      expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
      expectProblem(await t.http.post('/api/v1/auth/logout', undefined, { token: user.accessToken }), 401, 'UNAUTHENTICATED');
    });

    it('drops a token verified a moment ago (and so cached) the moment its session is rotated or revoked', async () => {
      const user = await registerUser(t.http);
      expect((await t.http.get('/api/v1/me', { token: user.accessToken })).status).toBe(200);
      const rotated = await t.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
      expectProblem(await t.http.get('/api/v1/me', { token: user.accessToken }), 401, 'UNAUTHENTICATED');
      expect((await t.http.get('/api/v1/me', { token: rotated.body.accessToken })).status).toBe(200);
      expect((await t.http.post('/api/v1/auth/logout', undefined, { token: rotated.body.accessToken })).status).toBe(204);
      expectProblem(await t.http.get('/api/v1/me', { token: rotated.body.accessToken }), 401, 'UNAUTHENTICATED');
    });

    it('rejects garbage tokens', async () => {
      expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: 'hrt_nope' }), 401, 'INVALID_REFRESH_TOKEN');
      expectProblem(await t.http.get('/api/v1/me', { token: 'hat_nope' }), 401, 'UNAUTHENTICATED');
      expectProblem(await t.http.get('/api/v1/me', { headers: { authorization: 'Basic abc' } }), 401, 'UNAUTHENTICATED');
      expectProblem(await t.http.post('/api/v1/auth/logout'), 401, 'UNAUTHENTICATED');
    });
  });
});

describe('auth rate limits per IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { REGISTRATIONS_PER_IP_PER_HOUR: '2', LOGINS_PER_IP_PER_MINUTE: '3' } });
  });
  afterAll(() => t?.close());

  it('limits sign-ups per IP per hour', async () => {
    await registerUser(t.http);
    await registerUser(t.http);
    const res = await t.http.post('/api/v1/auth/register', { email: `${unique('r')}@example.com`, password: 'a long enough passphrase', displayName: 'Third' });
    expectProblem(res, 429, 'RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it('limits log-ins per IP per minute, whatever the account', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await t.http.post('/api/v1/auth/login', { email: `${unique('a')}@example.com`, password: 'whatever it is' })).status).toBe(401);
    }
    const res = await t.http.post('/api/v1/auth/login', { email: `${unique('a')}@example.com`, password: 'whatever it is' });
    expectProblem(res, 429, 'RATE_LIMITED');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});

describe('secrets in logs', () => {
  it('never writes passwords or tokens to the log', async () => {
    const { sink, lines } = captureLogs();
    const t = await startApp({ env: { LOG_LEVEL: 'trace' }, options: { logDestination: sink } });
    try {
      const password = 'very secret passphrase 42';
      const reg = await t.http.post('/api/v1/auth/register', { email: `${unique('s')}@example.com`, password, displayName: 'S' });
      expect(reg.status).toBe(201);
      await t.http.get('/api/v1/me', { token: reg.body.accessToken });
      await t.http.post('/api/v1/auth/refresh', { refreshToken: reg.body.refreshToken });
      await t.http.post('/api/v1/auth/login', { email: 'x@example.com', password });
      const log = lines.join('');
      expect(log).toContain('"url":"/api/v1/me"'); // the request lines are there...
      expect(log).not.toContain(password); // ...but no secret is
      expect(log).not.toContain(reg.body.accessToken);
      expect(log).not.toContain(reg.body.refreshToken);
    } finally {
      await t.close();
    }
  });
});

describeIfRedis('auth rate limits shared through Redis', () => {
  it('counts log-ins across two instances', async () => {
    const prefix = `shared-${unique('p')}`;
    const a = await startApp({ env: { LOGINS_PER_IP_PER_MINUTE: '3' }, options: { rateLimitPrefix: prefix } });
    const b = await startApp({ env: { LOGINS_PER_IP_PER_MINUTE: '3' }, options: { rateLimitPrefix: prefix }, databaseUrl: a.databaseUrl ?? undefined });
    try {
      const attempt = (t: TestApp) => t.http.post('/api/v1/auth/login', { email: `${unique('a')}@example.com`, password: 'whatever it is' });
      expect((await attempt(a)).status).toBe(401);
      expect((await attempt(b)).status).toBe(401);
      expect((await attempt(a)).status).toBe(401);
      expectProblem(await attempt(b), 429, 'RATE_LIMITED');
    } finally {
      await b.close();
      await a.close();
    }
  });
});

(usingPostgres && usingRedis ? describe : describe.skip)('sessions across two instances (PostgreSQL and Redis)', () => {
  it('a log-out or a refresh on one instance stops the old access token on the other at once', async () => {
    const a = await startApp();
    const b = await startApp({ databaseUrl: a.databaseUrl! });
    try {
      const user = await registerUser(a.http);
      expect((await b.http.get('/api/v1/me', { token: user.accessToken })).status).toBe(200); // b has verified it
      const rotated = await a.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
      expect(rotated.status).toBe(200);
      await eventually(async () => (await b.http.get('/api/v1/me', { token: user.accessToken })).status === 401, 1_000);
      expect((await b.http.get('/api/v1/me', { token: rotated.body.accessToken })).status).toBe(200);
      expect((await a.http.post('/api/v1/auth/logout', undefined, { token: rotated.body.accessToken })).status).toBe(204);
      await eventually(async () => (await b.http.get('/api/v1/me', { token: rotated.body.accessToken })).status === 401, 1_000);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
