import * as argon2 from 'argon2';
import { startApp, TestApp } from './support/app';
import { registerUser } from './support/factories';

/** Password hashes use argon2id m=7 MiB, t=5 (OWASP's equal-strength, low-memory setting); older ones are redone at log-in. */
describe('password hashing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t?.close());

  const storedHash = async (id: string) =>
    ((await t.database.dataSource.query('SELECT password_hash FROM users WHERE id = $1', [id])) as Array<{ password_hash: string }>)[0].password_hash;

  it('hashes new passwords with 7 MiB and 5 passes', async () => {
    const user = await registerUser(t.http);
    expect(await storedHash(user.id)).toMatch(/^\$argon2id\$v=19\$m=7168,p=1,t=5\$/);
  });

  it('accepts a hash made with the old 19 MiB setting, and redoes it at the next log-in', async () => {
    const user = await registerUser(t.http);
    const old = await argon2.hash(user.password, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    await t.database.dataSource.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, old]);

    const wrong = await t.http.post('/api/v1/auth/login', { email: user.email, password: `${user.password}x` });
    expect(wrong.status).toBe(401);
    expect(await storedHash(user.id)).toBe(old); // a failed log-in changes nothing

    const ok = await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password });
    expect(ok.status).toBe(200);
    const redone = await storedHash(user.id);
    expect(redone).toMatch(/^\$argon2id\$v=19\$m=7168,p=1,t=5\$/);
    expect(await argon2.verify(redone, user.password)).toBe(true);
    expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });
});
