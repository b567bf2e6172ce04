import { Db } from '../src/core/database/db.service';
import { hashToken } from '../src/identity/tokens';
import { startApp, TestApp } from './support/app';
import { registerUser, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

describe('sessions, password change and session lifetime', () => {
  let t: TestApp;
  let db: Db;
  beforeAll(async () => {
    t = await startApp({ env: { TRUST_PROXY: 'true', SESSION_MAX_DAYS: '90' } });
    db = t.app.get(Db);
  });
  afterAll(() => t?.close());

  /** Logs the user in again from another "device". */
  async function login(user: TestUser, userAgent: string, ip = '198.51.100.7', password = user.password) {
    const res = await t.http.post('/api/v1/auth/login', { email: user.email, password }, { headers: { 'user-agent': userAgent, 'x-forwarded-for': ip } });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; refreshToken: string };
  }
  const sessionIdOf = async (accessToken: string) => {
    const list = await t.http.get('/api/v1/me/sessions', { token: accessToken });
    return (list.body.items as { id: string; current: boolean }[]).find((s) => s.current)!.id;
  };

  it('lists the caller\'s live sessions, newest first, with device, address and the current one marked', async () => {
    const user = await registerUser(t.http);
    const phone = await login(user, IPHONE, '203.0.113.9');
    const laptop = await login(user, FIREFOX, '198.51.100.7');
    const other = await registerUser(t.http);
    await login(other, FIREFOX);

    const res = await t.http.get('/api/v1/me/sessions', { token: laptop.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items).toEqual([
      { id: expect.any(String), current: true, createdAt: expect.any(String), lastUsedAt: expect.any(String), ip: '198.51.100.7', userAgent: FIREFOX, device: 'Firefox on Windows' },
      { id: expect.any(String), current: false, createdAt: expect.any(String), lastUsedAt: expect.any(String), ip: '203.0.113.9', userAgent: IPHONE, device: 'Safari on iOS' },
      expect.objectContaining({ current: false }), // the sign-up
    ]);
    // Paging walks the same list.
    const first = await t.http.get('/api/v1/me/sessions?limit=2', { token: phone.accessToken });
    const second = await t.http.get(`/api/v1/me/sessions?limit=2&cursor=${first.body.nextCursor}`, { token: phone.accessToken });
    expect([...first.body.items, ...second.body.items].map((s: { id: string }) => s.id)).toEqual(res.body.items.map((s: { id: string }) => s.id));
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a forged cursor, and guests', async () => {
    const user = await registerUser(t.http);
    for (const cursor of ['nope', Buffer.from(JSON.stringify(['2020-01-01', 'x'])).toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
      expectProblem(await t.http.get(`/api/v1/me/sessions?cursor=${cursor}`, { token: user.accessToken }), 400, 'INVALID_CURSOR');
    }
    expectProblem(await t.http.get('/api/v1/me/sessions'), 401, 'UNAUTHENTICATED');
  });

  it('records when a session was last used', async () => {
    const user = await registerUser(t.http);
    const device = await login(user, FIREFOX);
    const id = await sessionIdOf(device.accessToken);
    await db.query(`UPDATE sessions SET last_used_at = now() - interval '2 hours' WHERE id = $1`, [id]);
    const fresh = await login(user, IPHONE); // a token this instance has not verified (nor cached) yet
    const freshId = (await t.http.get('/api/v1/me/sessions', { token: device.accessToken })).body.items[0].id;
    await db.query(`UPDATE sessions SET last_used_at = now() - interval '2 hours' WHERE id = $1`, [freshId]);
    expect((await t.http.get('/api/v1/me', { token: fresh.accessToken })).status).toBe(200);
    const items = (await t.http.get('/api/v1/me/sessions', { token: fresh.accessToken })).body.items as { id: string; current: boolean; lastUsedAt: string }[];
    const current = items.find((s) => s.current)!;
    expect(current.id).toBe(freshId);
    expect(Date.now() - Date.parse(current.lastUsedAt)).toBeLessThan(5 * 60_000);
    expect(Date.now() - Date.parse(items.find((s) => s.id === id)!.lastUsedAt)).toBeGreaterThan(60 * 60_000);
  });

  it('ends one session at once: its access and refresh tokens stop working; the others live on', async () => {
    const user = await registerUser(t.http);
    const thief = await login(user, FIREFOX, '192.0.2.66');
    expect((await t.http.get('/api/v1/me', { token: thief.accessToken })).status).toBe(200); // verified, so cached
    const thiefSession = await sessionIdOf(thief.accessToken);

    const ended = await t.http.delete(`/api/v1/me/sessions/${thiefSession}`, { token: user.accessToken });
    expect(ended.status).toBe(204);
    expectProblem(await t.http.get('/api/v1/me', { token: thief.accessToken }), 401, 'UNAUTHENTICATED');
    expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: thief.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
    expect((await t.http.get('/api/v1/me', { token: user.accessToken })).status).toBe(200);
    // Gone from the list; a second delete is 404.
    const ids = (await t.http.get('/api/v1/me/sessions', { token: user.accessToken })).body.items.map((s: { id: string }) => s.id);
    expect(ids).not.toContain(thiefSession);
    expectProblem(await t.http.delete(`/api/v1/me/sessions/${thiefSession}`, { token: user.accessToken }), 404, 'NOT_FOUND');
  });

  it('never lets a member end or see another member\'s session', async () => {
    const alice = await registerUser(t.http);
    const bob = await registerUser(t.http);
    const bobSession = await sessionIdOf(bob.accessToken);
    expectProblem(await t.http.delete(`/api/v1/me/sessions/${bobSession}`, { token: alice.accessToken }), 404, 'NOT_FOUND');
    expect((await t.http.get('/api/v1/me', { token: bob.accessToken })).status).toBe(200);
    expectProblem(await t.http.delete('/api/v1/me/sessions/not-an-id', { token: alice.accessToken }), 404, 'NOT_FOUND');
    expectProblem(await t.http.delete(`/api/v1/me/sessions/${bobSession}`), 401, 'UNAUTHENTICATED');
  });

  it('logs out everywhere else with ?others=true, and refuses a bare DELETE of the collection', async () => {
    const user = await registerUser(t.http);
    const a = await login(user, FIREFOX);
    const b = await login(user, IPHONE);
    expectProblem(await t.http.delete('/api/v1/me/sessions', { token: b.accessToken }), 400, 'VALIDATION_FAILED');
    expect((await t.http.get('/api/v1/me', { token: a.accessToken })).status).toBe(200);

    expect((await t.http.delete('/api/v1/me/sessions?others=true', { token: b.accessToken })).status).toBe(204);
    expectProblem(await t.http.get('/api/v1/me', { token: a.accessToken }), 401, 'UNAUTHENTICATED');
    expectProblem(await t.http.get('/api/v1/me', { token: user.accessToken }), 401, 'UNAUTHENTICATED');
    expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: a.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
    expect((await t.http.get('/api/v1/me', { token: b.accessToken })).status).toBe(200);
    const list = await t.http.get('/api/v1/me/sessions', { token: b.accessToken });
    expect(list.body.items).toEqual([expect.objectContaining({ current: true })]);
  });

  describe('password change', () => {
    it('changes the password and ends every other session, keeping the current one', async () => {
      const user = await registerUser(t.http);
      const elsewhere = await login(user, FIREFOX);
      const here = await login(user, IPHONE);
      const newPassword = `a brand new passphrase ${unique('p')}`;
      const res = await t.http.post('/api/v1/me/password', { currentPassword: user.password, newPassword }, { token: here.accessToken });
      expect(res.status).toBe(204);
      expectProblem(await t.http.get('/api/v1/me', { token: elsewhere.accessToken }), 401, 'UNAUTHENTICATED');
      expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: elsewhere.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
      expect((await t.http.get('/api/v1/me', { token: here.accessToken })).status).toBe(200);
      expectProblem(await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password }), 401, 'INVALID_CREDENTIALS');
      expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: newPassword })).status).toBe(200);
    });

    it('refuses a wrong current password and a weak new one, changing nothing', async () => {
      const user = await registerUser(t.http);
      const other = await login(user, FIREFOX);
      const wrong = await t.http.post('/api/v1/me/password', { currentPassword: 'not my password at all', newPassword: 'a brand new passphrase' }, { token: user.accessToken });
      expect(expectProblem(wrong, 422, 'INVALID_CURRENT_PASSWORD').errors).toEqual([{ field: 'currentPassword', message: expect.any(String) }]);
      const weak = await t.http.post('/api/v1/me/password', { currentPassword: user.password, newPassword: '1234567890' }, { token: user.accessToken });
      expect(expectProblem(weak, 422, 'WEAK_PASSWORD').errors).toEqual([{ field: 'newPassword', message: expect.stringMatching(/too common/) }]);
      expectProblem(await t.http.post('/api/v1/me/password', { currentPassword: user.password }, { token: user.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.post('/api/v1/me/password', { currentPassword: user.password, newPassword: 'x'.repeat(20) }), 401, 'UNAUTHENTICATED');
      // Nothing changed: the old password still logs in and the other session lives.
      expect((await t.http.get('/api/v1/me', { token: other.accessToken })).status).toBe(200);
      expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    });

    it('limits guesses of the current password, so a stolen token cannot guess it, nor lock the owner out of logging in', async () => {
      const user = await registerUser(t.http);
      const headers = { 'x-forwarded-for': '192.0.2.200' };
      const tries = await Promise.all(
        Array.from({ length: 14 }, (_, i) =>
          t.http.post('/api/v1/me/password', { currentPassword: `guess number ${i}`, newPassword: 'a brand new passphrase' }, { token: user.accessToken, headers }),
        ),
      );
      expect(tries.filter((r) => r.status === 422)).toHaveLength(10);
      expect(tries.filter((r) => r.status === 429)).toHaveLength(4);
      // Its own budget: the owner still logs in.
      expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    });
  });

  describe('absolute session lifetime (SESSION_MAX_DAYS)', () => {
    it('never issues tokens past the session\'s lifetime, however often it is refreshed', async () => {
      const user = await registerUser(t.http);
      const id = await sessionIdOf(user.accessToken);
      // Created 89 days and 23 hours ago: one hour of life left.
      await db.query(`UPDATE sessions SET created_at = now() - interval '89 days 23 hours' WHERE id = $1`, [id]);
      const refreshed = await t.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
      expect(refreshed.status).toBe(200);
      const [row] = await db.query<{ refresh_left: number; access_left: number }>(
        `SELECT extract(epoch FROM refresh_expires_at - now())::float8 AS refresh_left, extract(epoch FROM access_expires_at - now())::float8 AS access_left
           FROM sessions WHERE id = $1`,
        [id],
      );
      expect(row.refresh_left).toBeLessThanOrEqual(3600 + 5);
      expect(row.access_left).toBeLessThanOrEqual(15 * 60 + 5);

      // Past it: the refresh token is refused and the session leaves the list.
      await db.query(`UPDATE sessions SET created_at = now() - interval '90 days 1 minute' WHERE id = $1`, [id]);
      expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: refreshed.body.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
    });

    it('takes its lifetime from the setting', async () => {
      const short = await startApp({ env: { SESSION_MAX_DAYS: '1' } });
      try {
        const user = await registerUser(short.http);
        const res = await short.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
        expect(res.status).toBe(200);
        const [row] = await short.app.get(Db).query<{ days: number }>(
          `SELECT extract(epoch FROM s.refresh_expires_at - s.created_at)::float8 / 86400 AS days FROM sessions s
             JOIN refresh_tokens rt ON rt.session_id = s.id WHERE rt.token_hash = $1`,
          [hashToken(res.body.refreshToken)],
        );
        expect(row.days).toBeCloseTo(1, 2);
      } finally {
        await short.close();
      }
    });
  });
});
