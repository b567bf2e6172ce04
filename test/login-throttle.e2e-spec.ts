import { startApp, TestApp } from './support/app';
import { registerUser, unique } from './support/factories';
import { expectProblem } from './support/http';

/** The log-in throttle's policy (src/identity/login-throttle.ts): slow guessing, never a lockout of the owner. */
describe('log-in throttling', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => t?.close());

  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
  const login = (email: string, password: string, ip: string) => t.http.post('/api/v1/auth/login', { email, password }, from(ip));

  it('spends the attempt before checking the password, so parallel guesses cannot pass the limit', async () => {
    const user = await registerUser(t.http);
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => login(user.email, `parallel guess ${i}`, '192.0.2.10')));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    for (const r of answers.filter((a) => a.status === 429)) {
      expectProblem(r, 429, 'RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('stops the guessing address, not the owner: the right password still works from another address', async () => {
    const user = await registerUser(t.http); // signed up from 127.0.0.1: a known address
    for (let i = 0; i < 10; i++) expect((await login(user.email, `wrong guess ${i}`, '192.0.2.20')).status).toBe(401);
    // The attacker's address is stopped, even with the right password.
    expectProblem(await login(user.email, user.password, '192.0.2.20'), 429, 'RATE_LIMITED');
    // The owner, from an address never used with this account, gets in.
    expect((await login(user.email, user.password, '198.51.100.30')).status).toBe(200);
    // And from one they used before, at once, however hard others keep guessing.
    expect((await login(user.email, user.password, '127.0.0.1')).status).toBe(200);
  });

  it('slows an attacker spreading guesses over many addresses to one attempt per growing delay', async () => {
    const user = await registerUser(t.http);
    // Ten failures from ten addresses: none of them is stopped by the per-address limit.
    for (let i = 0; i < 10; i++) expect((await login(user.email, `spread guess ${i}`, `203.0.113.${i + 1}`)).status).toBe(401);
    // Now new addresses share one gate: the first gets an attempt, the next ones wait.
    expect((await login(user.email, 'spread guess 10', '203.0.113.50')).status).toBe(401);
    const waited = await login(user.email, 'spread guess 11', '203.0.113.51');
    expectProblem(waited, 429, 'RATE_LIMITED');
    expect(Number(waited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The owner's known address is never delayed.
    expect((await login(user.email, user.password, '127.0.0.1')).status).toBe(200);
  });

  it('treats unknown emails exactly like accounts', async () => {
    const email = `${unique('ghost')}@example.com`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => login(email, 'whatever it is', '192.0.2.40')));
    expect(answers.map((r) => r.status).sort()).toEqual([...Array(10).fill(401), 429, 429]);
    // Another address gets its attempt through the account's gate, then waits, as for a real account.
    expect((await login(email, 'whatever it is', '192.0.2.41')).status).toBe(401);
    expectProblem(await login(email, 'whatever it is', '192.0.2.42'), 429, 'RATE_LIMITED');
  });
});
