import { Db } from '../src/core/database/db.service';
import { IdentityService } from '../src/identity/identity.service';
import { RecoveryClock } from '../src/identity/recovery.clock';
import { RecoveryMail } from '../src/identity/recovery-mail';
import { ADMIN_EMAIL, startApp, TestApp } from './support/app';
import { createBoard, createThread } from './support/content';
import { createCommunity, eventually, loginAdmin, registerUser, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';
import { startSmtp, TestSmtp } from './support/smtp';

const PUBLIC_URL = 'https://community.example.com';
const SUBJECT = 'Confirm your email address';

describe('email verification', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let clock: RecoveryClock;
  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startApp({ env: { SMTP_URL: smtp.url, PUBLIC_URL, PASSWORD_RESETS_PER_EMAIL_PER_HOUR: '2' } });
    clock = t.app.get(RecoveryClock);
  });
  afterEach(() => clock.reset());
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const mailsTo = (email: string) => smtp.received.filter((m) => m.subject === SUBJECT && m.to.includes(email.toLowerCase()));
  /**
   * The API path verifying the link in the n-th verification email to `email`: the link opens the
   * web page /verify-email (test/web-account.e2e-spec.ts), the API's GET route takes the same query.
   */
  async function linkPath(email: string, n = 1): Promise<string> {
    const mail = await eventually(() => mailsTo(email)[n - 1]);
    const link = /(https:\/\/community\.example\.com\/verify-email\?token=[A-Za-z0-9%_-]+)/.exec(mail.text)?.[1];
    expect(link).toBeDefined();
    return `/api/v1/auth/verify-email${new URL(link!).search}`;
  }
  const tokenOf = (path: string) => new URL(path, PUBLIC_URL).searchParams.get('token')!;
  const me = async (user: TestUser) => (await t.http.get('/api/v1/me', { token: user.accessToken })).body.user;

  it('emails a link at sign-up; following it verifies the email, once', async () => {
    const user = await registerUser(t.http);
    expect(await me(user)).toEqual(expect.objectContaining({ email: user.email, emailVerified: false }));
    const path = await linkPath(user.email);
    expect(tokenOf(path)).toMatch(/^hev_[A-Za-z0-9_-]{43}$/);

    const res = await t.http.get(path);
    expect(res.status).toBe(204);
    expect(await me(user)).toEqual(expect.objectContaining({ emailVerified: true }));
    expectProblem(await t.http.get(path), 410, 'VERIFICATION_TOKEN_USED');
  });

  it('sends another link on request (POST verifies too), not once verified, and at most PASSWORD_RESETS_PER_EMAIL_PER_HOUR an hour', async () => {
    const user = await registerUser(t.http);
    const first = await linkPath(user.email, 1);
    expect((await t.http.post('/api/v1/me/verify-email', undefined, { token: user.accessToken })).status).toBe(202);
    const second = await linkPath(user.email, 2);
    expect((await t.http.post('/api/v1/me/verify-email', undefined, { token: user.accessToken })).status).toBe(202);
    await linkPath(user.email, 3);
    const limited = await t.http.post('/api/v1/me/verify-email', undefined, { token: user.accessToken });
    expect(expectProblem(limited, 429, 'RATE_LIMITED').detail).toBe('Too many verification emails, try again later');
    expect(limited.headers.get('retry-after')).not.toBeNull();

    expect((await t.http.post('/api/v1/auth/verify-email', { token: tokenOf(second) })).status).toBe(204);
    expect(await me(user)).toEqual(expect.objectContaining({ emailVerified: true }));
    // Using one link ends the others.
    expectProblem(await t.http.get(first), 410, 'VERIFICATION_TOKEN_USED');
    expectProblem(await t.http.post('/api/v1/me/verify-email', undefined, { token: user.accessToken }), 409, 'EMAIL_ALREADY_VERIFIED');
    expectProblem(await t.http.post('/api/v1/me/verify-email'), 401, 'UNAUTHENTICATED');
  });

  it('refuses an expired link (7 days) and a forged one', async () => {
    const user = await registerUser(t.http);
    const path = await linkPath(user.email);
    clock.advance(7 * 24 * 3600_000 + 1000);
    expectProblem(await t.http.get(path), 410, 'VERIFICATION_TOKEN_EXPIRED');
    expectProblem(await t.http.post('/api/v1/auth/verify-email', { token: 'hev_forged' }), 400, 'INVALID_VERIFICATION_TOKEN');
    expectProblem(await t.http.get('/api/v1/auth/verify-email'), 400, 'VALIDATION_FAILED');
    expect(await me(user)).toEqual(expect.objectContaining({ emailVerified: false }));
  });

  it('lets unverified members read and post', async () => {
    const admin = await loginAdmin(t.http);
    const { slug } = await createCommunity(t.http, admin.accessToken);
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: unique('b') });
    const user = await registerUser(t.http);
    expect((await t.http.post(`/api/v1/communities/${slug}/join`, undefined, { token: user.accessToken })).status).toBe(201);
    const thread = await createThread(t.http, user.accessToken, board.id, { title: 'Posted before verifying', body: 'Hello there' });
    const read = await t.http.get(`/api/v1/threads/${thread.id}`, { token: user.accessToken });
    expect(read.status).toBe(200);
    expect(read.body.title).toBe('Posted before verifying');
    expect(await me(user)).toEqual(expect.objectContaining({ emailVerified: false }));
  });

  it('counts store sign-on accounts and the configured admin as verified, and sends them nothing', async () => {
    const email = `${unique('sso')}@example.com`;
    const identity = t.app.get(IdentityService);
    const userId = await identity.createPasswordlessAccount({ email, displayName: 'Shopper' });
    const session = await t.app.get(Db).transaction(() => identity.startSession(userId, { ip: '127.0.0.1' }));
    expect(session.user.emailVerified).toBe(true);
    const admin = await loginAdmin(t.http);
    expect(await me(admin)).toEqual(expect.objectContaining({ email: ADMIN_EMAIL, emailVerified: true }));
    expectProblem(await t.http.post('/api/v1/me/verify-email', undefined, { token: session.accessToken }), 409, 'EMAIL_ALREADY_VERIFIED');
    await t.app.get(RecoveryMail).idle();
    expect(mailsTo(email)).toEqual([]);
  });
});
