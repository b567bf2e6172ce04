import { randomBytes } from 'node:crypto';
import { Db } from '../src/core/database/db.service';
import { IdentityService } from '../src/identity/identity.service';
import { RecoveryClock } from '../src/identity/recovery.clock';
import { RecoveryMail } from '../src/identity/recovery-mail';
import { startApp, TestApp } from './support/app';
import { eventually, registerUser, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';
import { startSmtp, TestSmtp } from './support/smtp';

const PUBLIC_URL = 'https://community.example.com';
const RESET_SUBJECT = 'Reset your password';

describe('password reset', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let db: Db;
  let clock: RecoveryClock;
  let ipCounter = 0;
  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startApp({
      env: { SMTP_URL: smtp.url, PUBLIC_URL, TRUST_PROXY: 'true', PASSWORD_RESETS_PER_IP_PER_HOUR: '5', PASSWORD_RESETS_PER_EMAIL_PER_HOUR: '3' },
    });
    db = t.app.get(Db);
    clock = t.app.get(RecoveryClock);
  });
  afterEach(() => clock.reset());
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /** Each test asks from its own address, so the per-address limit is only met where a test means to. */
  const newIp = () => `203.0.113.${++ipCounter}`;
  const requestReset = (email: string, ip: string) => t.http.post('/api/v1/auth/password-reset', { email }, { headers: { 'x-forwarded-for': ip } });
  const confirm = (token: string, password: string) => t.http.post('/api/v1/auth/password-reset/confirm', { token, password });
  const resetMails = (to: string) => smtp.received.filter((m) => m.subject === RESET_SUBJECT && m.to.includes(to.toLowerCase()));

  /** Waits for the n-th reset email to `to` and returns the token of its link. */
  async function tokenFromMail(to: string, n = 1): Promise<string> {
    const mail = await eventually(() => resetMails(to)[n - 1]);
    const link = /(https:\/\/community\.example\.com\/reset-password\?token=[A-Za-z0-9%_-]+)/.exec(mail.text)?.[1];
    expect(link).toBeDefined();
    return decodeURIComponent(new URL(link!).searchParams.get('token')!);
  }

  async function login(user: Pick<TestUser, 'email'>, password: string) {
    return t.http.post('/api/v1/auth/login', { email: user.email, password });
  }

  it('emails a single-use link that sets the password, ends every session and records user.password_reset', async () => {
    const user = await registerUser(t.http);
    const otherDevice = (await login(user, user.password)).body;

    const asked = await requestReset(user.email.toUpperCase(), newIp());
    expect(asked.status).toBe(202);
    expect(asked.text).toBe('');
    const token = await tokenFromMail(user.email);
    expect(token).toMatch(/^hpr_[A-Za-z0-9_-]{43}$/);
    // Only the token's SHA-256 is stored.
    const stored = await db.query<{ token_hash: string }>(`SELECT token_hash FROM account_tokens WHERE user_id = $1 AND purpose = 'password_reset'`, [user.id]);
    expect(stored.map((r) => r.token_hash)).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect(JSON.stringify(stored)).not.toContain(token);

    const newPassword = `a brand new password ${randomBytes(3).toString('hex')}`;
    const done = await confirm(token, newPassword);
    expect(done.status).toBe(204);

    // Every session is over: both access tokens and the refresh token.
    for (const accessToken of [user.accessToken, otherDevice.accessToken]) {
      expectProblem(await t.http.get('/api/v1/me', { token: accessToken }), 401, 'UNAUTHENTICATED');
    }
    expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
    expectProblem(await login(user, user.password), 401, 'INVALID_CREDENTIALS');
    const after = await login(user, newPassword);
    expect(after.status).toBe(200);
    // Following the emailed link also proves the address.
    expect(after.body.user.emailVerified).toBe(true);

    const events = await db.query<{ data: unknown }>(`SELECT data FROM events WHERE type = 'user.password_reset' AND data->>'userId' = $1`, [user.id]);
    expect(events.map((e) => e.data)).toEqual([{ userId: user.id }]);
    // The link works once.
    expectProblem(await confirm(token, 'yet another password 77'), 410, 'RESET_TOKEN_USED');
  });

  it('refuses an expired link (30 minutes by default) and a forged one, and keeps a link through a weak-password attempt', async () => {
    const user = await registerUser(t.http);
    await requestReset(user.email, newIp());
    const token = await tokenFromMail(user.email);

    expectProblem(await confirm(token, 'password'), 422, 'WEAK_PASSWORD');
    clock.advance(29 * 60_000);
    expectProblem(await confirm(token, 'short'), 422, 'WEAK_PASSWORD'); // still valid at 29 minutes
    clock.advance(60_000 + 1);
    expectProblem(await confirm(token, 'a perfectly fine new password'), 410, 'RESET_TOKEN_EXPIRED');
    expect((await login(user, user.password)).status).toBe(200);

    expectProblem(await confirm(`hpr_${randomBytes(32).toString('base64url')}`, 'a perfectly fine new password'), 400, 'INVALID_RESET_TOKEN');
    expectProblem(await confirm(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), 'a perfectly fine new password'), 400, 'INVALID_RESET_TOKEN');
    // Bad input is 400, never 500.
    expectProblem(await t.http.post('/api/v1/auth/password-reset/confirm', { token: '', password: 'x' }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.post('/api/v1/auth/password-reset', { email: 'not an email' }), 400, 'VALIDATION_FAILED');
  });

  it('answers 202 for an unknown email and sends nothing', async () => {
    const ip = newIp();
    const unknown = `${unique('nobody')}@example.com`;
    const res = await requestReset(unknown, ip);
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    // A known address asked after it: once its email has arrived, any email to the unknown one would have too.
    const user = await registerUser(t.http);
    expect((await requestReset(user.email, ip)).status).toBe(202);
    await tokenFromMail(user.email);
    await t.app.get(RecoveryMail).idle();
    expect(smtp.received.filter((m) => m.to.includes(unknown))).toEqual([]);
    const rows = await db.query(`SELECT 1 FROM account_tokens WHERE lower(email) = $1`, [unknown]);
    expect(rows).toEqual([]);
  });

  it('ends older links when a newer one is used, and lets only one of two concurrent uses win', async () => {
    const user = await registerUser(t.http);
    const ip = newIp();
    await requestReset(user.email, ip);
    const first = await tokenFromMail(user.email, 1);
    await requestReset(user.email, ip);
    const second = await tokenFromMail(user.email, 2);
    expect(second).not.toBe(first);

    const results = await Promise.all([confirm(second, 'concurrent password one'), confirm(second, 'concurrent password two')]);
    expect(results.map((r) => r.status).sort()).toEqual([204, 410]);
    expectProblem(results.find((r) => r.status === 410)!, 410, 'RESET_TOKEN_USED');
    expectProblem(await confirm(first, 'an older link password'), 410, 'RESET_TOKEN_USED');
    const winner = results[0].status === 204 ? 'concurrent password one' : 'concurrent password two';
    expect((await login(user, winner)).status).toBe(200);
  });

  it('lets an account without a password (store single sign-on) set one', async () => {
    const email = `${unique('sso')}@example.com`;
    await t.app.get(IdentityService).createPasswordlessAccount({ email, displayName: 'Shopper' });
    expectProblem(await login({ email }, 'any password at all'), 401, 'INVALID_CREDENTIALS');
    await requestReset(email, newIp());
    expect((await confirm(await tokenFromMail(email), 'my first password here')).status).toBe(204);
    const res = await login({ email }, 'my first password here');
    expect(res.status).toBe(200);
    expect(res.body.user.emailVerified).toBe(true);
  });

  it('limits requests per email and per address with 429 problem+json and Retry-After', async () => {
    const user = await registerUser(t.http);
    const ip = newIp();
    for (let i = 0; i < 3; i++) expect((await requestReset(user.email, ip)).status).toBe(202);
    const limited = expectProblem(await requestReset(user.email.toUpperCase(), newIp()), 429, 'RATE_LIMITED');
    expect(limited.detail).toBe('Too many password reset requests for this email, try again later');

    const busy = newIp();
    for (let i = 0; i < 5; i++) expect((await requestReset(`${unique('someone')}@example.com`, busy)).status).toBe(202);
    const res = await requestReset(`${unique('someone')}@example.com`, busy);
    expect(expectProblem(res, 429, 'RATE_LIMITED').detail).toBe('Too many password reset requests from this address, try again later');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(3000);
  });
});
