import sharp from 'sharp';
import { RecoveryClock } from '../src/identity/recovery.clock';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { eventually, registerUser, TestUser, unique } from './support/factories';
import { startSmtp, TestSmtp } from './support/smtp';
import { PageClient } from './support/page-client';

/**
 * The account pages over plain HTTP: forgot and reset password (through the real SMTP test server),
 * the email verification link, public profiles and the settings (profile with an avatar, password,
 * notification preferences, export, deletion).
 */
describe('web account pages (HTTP)', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let cast: Cast;
  let clock: RecoveryClock;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startApp({ env: { SMTP_URL: smtp.url, PASSWORD_RESETS_PER_EMAIL_PER_HOUR: '3', PASSWORD_RESETS_PER_IP_PER_HOUR: '1000' } });
    clock = t.app.get(RecoveryClock);
    cast = await createCast(t.http);
  }, 180_000);
  afterEach(() => clock.reset());
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });


  async function signIn(email: string, password: string): Promise<PageClient> {
    const b = new PageClient(t.baseUrl);
    const page = await b.get('/login');
    const res = await b.post('/login', { _csrf: b.csrfFrom(page.text), email, password, next: '/' });
    expect(res.status).toBe(303);
    return b;
  }

  /** The path and query of the link in the n-th email with `subject` to `email`. */
  async function emailedPath(email: string, subject: string, n = 1): Promise<string> {
    const mail = await eventually(() => smtp.received.filter((m) => m.subject === subject && m.to.includes(email.toLowerCase()))[n - 1]);
    const link = mail.text.split(/\s+/).find((word) => word.startsWith(t.config.publicUrl));
    if (!link) throw new Error(`no link in: ${mail.text}`);
    const url = new URL(link);
    return url.pathname + url.search;
  }

  const me = async (user: TestUser) => (await t.http.get('/api/v1/me', { token: user.accessToken })).body.user;

  describe('forgot and reset password', () => {
    it('links the log-in page to it; asks for the email and always answers "check your email"', async () => {
      const b = new PageClient(t.baseUrl);
      expect((await b.get('/login')).text).toContain('<a href="/forgot-password">Forgot your password?</a>');
      const page = await b.get('/forgot-password');
      expect(page.status).toBe(200);
      expect(page.text).toContain('<h1>Forgot your password?</h1>');
      const bad = await b.post('/forgot-password', { _csrf: b.csrfFrom(page.text), email: 'not an email' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('<p id="forgot-email-error" class="field-error">email must be an email address</p>');
      expect(bad.text).toContain('value="not an email"');
      expect(bad.text).toContain('aria-describedby="forgot-email-error" aria-invalid="true">');

      const user = await registerUser(t.http);
      const unknown = `${unique('nobody')}@example.com`;
      for (const email of [unknown, user.email]) {
        const res = await b.post('/forgot-password', { _csrf: b.csrfFrom(page.text), email });
        expect([res.status, res.headers.get('location')]).toEqual([303, '/forgot-password?sent=1']);
      }
      const sent = await b.get('/forgot-password?sent=1');
      expect(sent.text).toContain('Check your email. If an account has that address');
      expect(sent.text).not.toContain('name="email"');
      expect(await emailedPath(user.email, 'Reset your password')).toMatch(/^\/reset-password\?token=hpr_[A-Za-z0-9_-]{43}$/);
      expect(smtp.received.filter((m) => m.to.includes(unknown))).toEqual([]);
      expect((await b.post('/forgot-password', { email: user.email })).status).toBe(403); // no CSRF token
    });

    it('shows the rate limit as a message on the form', async () => {
      const user = await registerUser(t.http);
      const b = new PageClient(t.baseUrl);
      const page = await b.get('/forgot-password');
      for (let i = 0; i < 3; i++) expect((await b.post('/forgot-password', { _csrf: b.csrfFrom(page.text), email: user.email })).status).toBe(303);
      const limited = await b.post('/forgot-password', { _csrf: b.csrfFrom(page.text), email: user.email });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.text).toContain('<p class="form-error" role="alert">Too many password reset requests for this email, try again later</p>');
      expect(limited.text).toContain('name="email"');
    });

    it('sets a new password from the emailed link, ends every session, then shows the log-in page with a notice', async () => {
      const user = await registerUser(t.http);
      const signedIn = await signIn(user.email, user.password);
      const b = new PageClient(t.baseUrl);
      const ask = await b.get('/forgot-password');
      await b.post('/forgot-password', { _csrf: b.csrfFrom(ask.text), email: user.email });
      const path = await emailedPath(user.email, 'Reset your password');
      const token = decodeURIComponent(new URL(path, t.baseUrl).searchParams.get('token')!);

      const form = await b.get(path);
      expect(form.status).toBe(200);
      expect(form.headers.get('referrer-policy')).toBe('no-referrer');
      expect(form.text).toContain(`<input type="hidden" name="token" value="${token}">`);
      const weak = await b.post('/reset-password', { _csrf: b.csrfFrom(form.text), token, password: 'short' });
      expect(weak.status).toBe(422);
      expect(weak.text).toContain('id="reset-password-error"');
      expect(weak.text).toContain(`name="token" value="${token}"`);

      const done = await b.post('/reset-password', { _csrf: b.csrfFrom(weak.text), token, password: 'my brand new password 42' });
      expect(done.status).toBe(200);
      expect(done.text).toContain('<p class="notice" role="status">Your new password is set. Log in with it.</p>');
      expect(done.text).toContain('<form method="post" action="/login"');
      expect((await t.http.get('/api/v1/me', { token: user.accessToken })).status).toBe(401);
      expect((await signedIn.get('/settings')).status).toBe(303); // the page session ended too
      const login = await b.post('/login', { _csrf: b.csrfFrom(done.text), email: user.email, password: 'my brand new password 42', next: '/settings' });
      expect([login.status, login.headers.get('location')]).toEqual([303, '/settings']);

      const again = await b.post('/reset-password', { _csrf: b.csrfFrom((await b.get(path)).text), token, password: 'yet another password 43' });
      expect(again.status).toBe(410);
      expect(again.text).toContain('<p class="form-error" role="alert">This password reset link was already used</p>');
      expect(again.text).toContain('<a href="/forgot-password">Ask for a new link</a>');
      expect(again.text).not.toContain('name="token"');
    });

    it('says plainly when a link is missing, forged or expired', async () => {
      const b = new PageClient(t.baseUrl);
      const missing = await b.get('/reset-password');
      expect(missing.status).toBe(400);
      expect(missing.text).toContain('This password reset link is not valid');
      const page = await b.get('/reset-password?token=hpr_forged');
      expect(page.status).toBe(200);
      const forged = await b.post('/reset-password', { _csrf: b.csrfFrom(page.text), token: 'hpr_forged', password: 'a fine new password 1' });
      expect(forged.status).toBe(400);
      expect(forged.text).toContain('<p class="form-error" role="alert">This password reset link is not valid</p>');

      const user = await registerUser(t.http);
      await b.post('/forgot-password', { _csrf: b.csrfFrom((await b.get('/forgot-password')).text), email: user.email });
      const path = await emailedPath(user.email, 'Reset your password');
      const form = await b.get(path);
      clock.advance(31 * 60_000);
      const token = decodeURIComponent(new URL(path, t.baseUrl).searchParams.get('token')!);
      const expired = await b.post('/reset-password', { _csrf: b.csrfFrom(form.text), token, password: 'a fine new password 2' });
      expect(expired.status).toBe(410);
      expect(expired.text).toContain('This password reset link has expired; ask for a new one');
      expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    });
  });

  describe('email verification', () => {
    it('emails a link to the page, which verifies the email once and says so', async () => {
      const user = await registerUser(t.http);
      const path = await emailedPath(user.email, 'Confirm your email address');
      expect(path).toMatch(/^\/verify-email\?token=hev_[A-Za-z0-9_-]{43}$/);
      const b = new PageClient(t.baseUrl);
      const page = await b.get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<h1>Email verified</h1>');
      expect((await me(user)).emailVerified).toBe(true);
      const again = await b.get(path);
      expect(again.status).toBe(410);
      expect(again.text).toContain('<p class="form-error" role="alert">This verification link was already used</p>');
      for (const bad of ['/verify-email', '/verify-email?token=hev_forged', '/verify-email?token=a&token=b']) {
        const res = await b.get(bad);
        expect([bad, res.status]).toEqual([bad, 400]);
        expect(res.text).toContain('This verification link is not valid');
      }
    });

    it('sends another link from the settings while the email is not verified', async () => {
      const user = await registerUser(t.http);
      await emailedPath(user.email, 'Confirm your email address');
      const b = await signIn(user.email, user.password);
      const page = await b.get('/settings');
      expect(page.text).toContain('(not confirmed yet)');
      const res = await b.post('/settings/verify-email', { _csrf: b.csrfFrom(page.text) });
      expect([res.status, res.headers.get('location')]).toEqual([303, '/settings?saved=verify']);
      const second = await emailedPath(user.email, 'Confirm your email address', 2);
      expect((await b.get(second)).status).toBe(200);
      const after = await b.get('/settings');
      expect(after.text).not.toContain('Send a new confirmation link');
    });
  });

  describe('public profiles', () => {
    let board: { id: string };
    let staffOnly: { id: string };

    beforeAll(async () => {
      board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk', name: 'Talk' });
      staffOnly = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'backroom', name: 'Backroom', visibility: 'staff' });
    });

    it('shows the avatar, name, @username, bio as plain text, and communities with role and the counts the viewer may see', async () => {
      const staff = cast.staff;
      expect((await t.http.patch('/api/v1/me', { bio: 'Kettle expert.\n<b>Not bold</b>' }, { token: staff.accessToken })).status).toBe(200);
      const username = (await me(staff)).username;
      const thread = await createThread(t.http, staff.accessToken, board.id, { title: 'Staff thread in public' });
      await createThread(t.http, staff.accessToken, staffOnly.id, { title: 'Staff thread in the backroom' });
      await reply(t.http, staff.accessToken, thread.id, 'A staff reply');

      const guest = await new PageClient(t.baseUrl).get(`/u/${username}`);
      expect(guest.status).toBe(200);
      expect(guest.text).toContain(`<h1>${staff.displayName}</h1>`);
      expect(guest.text).toContain(`<p class="handle">@${username}</p>`);
      expect(guest.text).toContain('<p class="bio">Kettle expert.<br>&lt;b&gt;Not bold&lt;/b&gt;</p>');
      expect(guest.text).toContain(`<link rel="canonical" href="${t.config.publicUrl}/u/${username}">`);
      expect(guest.text).toContain(`<h3><a href="/c/${cast.slug}">Community ${cast.slug}</a></h3>`);
      expect(guest.text).toContain('<span class="badge badge-role">Staff</span>');
      expect(guest.text).toContain('1 thread · 1 reply · 0 accepted answers');
      const asStaff = await (await signIn(cast.moderator.email, cast.moderator.password)).get(`/u/${username}`);
      expect(asStaff.text).toContain('2 threads · 1 reply · 0 accepted answers');

      // The thread page links the author's name to the profile.
      const threadPage = await new PageClient(t.baseUrl).get(`/t/${thread.id}/staff-thread-in-public`);
      expect(threadPage.text).toContain(`<a href="/u/${username}">${staff.displayName}</a>`);
    });

    it('redirects an id or another letter case to the username, and answers 404 for unknown and deleted accounts', async () => {
      const user = await registerUser(t.http);
      const username = (await me(user)).username;
      const b = new PageClient(t.baseUrl);
      for (const other of [user.id, username.toUpperCase()]) {
        const res = await b.get(`/u/${other}`);
        expect([res.status, res.headers.get('location')]).toEqual([302, `/u/${username}`]);
      }
      const own = await (await signIn(user.email, user.password)).get(`/u/${username}`);
      expect(own.text).toContain('<a class="button" href="/settings">Edit your profile</a>');
      expect(own.text).toContain('Not a member of any community you can see.');
      const unknown = await b.get('/u/nobody-here-at-all');
      expect([unknown.status, unknown.headers.get('content-type')]).toEqual([404, 'text/html; charset=utf-8']);
      expect(unknown.text).toContain('User not found');
      expect((await t.http.delete('/api/v1/me', { body: { password: user.password }, token: user.accessToken })).status).toBe(204);
      expect((await b.get(`/u/${user.id}`)).status).toBe(404);
    });
  });

  describe('settings', () => {
    it('sends a guest to log in, and links Settings from the account menu', async () => {
      const guest = await new PageClient(t.baseUrl).get('/settings');
      expect([guest.status, guest.headers.get('location')]).toEqual([303, '/login?next=%2Fsettings']);
      const exported = await new PageClient(t.baseUrl).get('/settings/export');
      expect([exported.status, exported.headers.get('location')]).toEqual([303, '/login?next=%2Fsettings%2Fexport']);
      const b = await signIn(cast.member.email, cast.member.password);
      const page = await b.get(`/c/${cast.slug}`);
      expect(page.text).toContain('<a href="/settings">Settings</a>');
    });

    it('edits the profile with an avatar, showing errors beside the fields first', async () => {
      const user = await registerUser(t.http);
      expect((await t.http.post(`/api/v1/communities/${cast.slug}/join`, undefined, { token: user.accessToken })).status).toBe(201);
      const b = await signIn(user.email, user.password);
      const page = await b.get('/settings');
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('private, no-store');
      expect(page.text).toContain(`id="profile-displayName" name="displayName" type="text" value="${user.displayName}"`);
      const csrf = b.csrfFrom(page.text);

      const bad = await b.post('/settings/profile', { _csrf: csrf, displayName: '  ', username: 'ab', bio: '' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('id="profile-displayName-error"');
      const invalid = await b.post('/settings/profile', { _csrf: csrf, displayName: 'Ada', username: 'ab', bio: '' });
      expect(invalid.status).toBe(422);
      expect(invalid.text).toContain('<p id="profile-username-error" class="field-error">');
      expect(invalid.text).toContain('value="Ada"');
      const notImage = await b.post('/settings/profile', { _csrf: csrf, displayName: 'Ada', username: (await me(user)).username, bio: '', avatar: new Blob(['not an image at all'], { type: 'image/png' }) });
      expect(notImage.status).toBe(415);
      expect(notImage.text).toContain('id="profile-avatar-error"');

      const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#c63' } }).png().toBuffer();
      const newName = unique('ada');
      const saved = await b.post('/settings/profile', {
        _csrf: csrf,
        displayName: 'Ada Lovelace',
        username: newName,
        bio: 'Engines & notes.',
        avatar: new Blob([new Uint8Array(png)], { type: 'image/png' }),
      });
      expect([saved.status, saved.headers.get('location')]).toEqual([303, '/settings?saved=profile#profile']);
      const after = await me(user);
      expect([after.displayName, after.username, after.bio]).toEqual(['Ada Lovelace', newName, 'Engines & notes.']);
      expect(after.avatarUrl).toMatch(/\/api\/v1\/uploads\/[0-9a-f]{32}\.webp$/);
      const avatar = await fetch(t.baseUrl + new URL(after.avatarUrl).pathname);
      expect([avatar.status, avatar.headers.get('content-type')]).toEqual([200, 'image/webp']);
      const shown = await b.get('/settings?saved=profile');
      expect(shown.text).toContain('<p class="notice" role="status">Your profile is saved.</p>');
      // Pages show uploads through /media (the session cookie, not a bearer token, says who may see them).
      const shownPath = `/media/${new URL(after.avatarUrl).pathname.split('/').pop()}`;
      expect(shown.text).toContain(`<img class="avatar" src="${shownPath}"`);
      expect((await new PageClient(t.baseUrl).get(`/u/${newName}`)).text).toContain(`src="${shownPath}"`);
      const viaPage = await fetch(t.baseUrl + shownPath);
      expect([viaPage.status, viaPage.headers.get('content-type')]).toEqual([200, 'image/webp']);
      expect((await b.post('/settings/profile', { displayName: 'No token' })).status).toBe(403);
    });

    it('shows an avatar over 10 MiB as an error beside the field, keeping what was typed', async () => {
      const b = await signIn(cast.member.email, cast.member.password);
      const csrf = b.csrfFrom((await b.get('/settings')).text);
      const huge = await b.post('/settings/profile', { _csrf: csrf, displayName: 'Typed name', username: 'x', bio: '', avatar: new Blob([new Uint8Array(10 * 1024 * 1024 + 1)], { type: 'image/png' }) });
      expect(huge.status).toBe(413);
      expect(huge.text).toContain('<p id="profile-avatar-error" class="field-error">Images may be at most 10 MiB</p>');
      expect(huge.text).toContain('value="Typed name"');
      expect((await me(cast.member)).displayName).toBe(cast.member.displayName);
    });

    it('changes the password (other sessions end, this one stays) and shows a wrong current password beside its field', async () => {
      const user = await registerUser(t.http);
      const b = await signIn(user.email, user.password);
      const csrf = b.csrfFrom((await b.get('/settings')).text);
      const wrong = await b.post('/settings/password', { _csrf: csrf, currentPassword: 'not my password', newPassword: 'a new password 123' });
      expect(wrong.status).toBe(422);
      expect(wrong.text).toContain('<p class="form-error" role="alert">The current password is wrong</p>');
      expect(wrong.text).toContain('id="password-currentPassword-error"');
      const ok = await b.post('/settings/password', { _csrf: csrf, currentPassword: user.password, newPassword: 'a new password 123' });
      expect([ok.status, ok.headers.get('location')]).toEqual([303, '/settings?saved=password#password']);
      expect((await t.http.get('/api/v1/me', { token: user.accessToken })).status).toBe(401);
      const page = await b.get('/settings?saved=password');
      expect(page.status).toBe(200);
      expect(page.text).toContain('Your password is changed. Your other sessions have ended.');
      expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: 'a new password 123' })).status).toBe(200);
    });

    it('saves notification preferences as the API does, and refuses a value that is not a delivery', async () => {
      const user = await registerUser(t.http);
      const b = await signIn(user.email, user.password);
      const page = await b.get('/settings');
      expect(page.text).toContain('<option value="email" selected>In the app and by email</option>');
      const csrf = b.csrfFrom(page.text);
      const bad = await b.post('/settings/notifications', { _csrf: csrf, mention: 'loudly', digestFrequency: 'weekly' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('<p id="pref-mention-error" class="field-error">must be one of email, digest, inapp, off</p>');
      const ok = await b.post('/settings/notifications', { _csrf: csrf, mention: 'off', points_earned: 'email', digestFrequency: 'daily' });
      expect([ok.status, ok.headers.get('location')]).toEqual([303, '/settings?saved=notifications#notifications']);
      const prefs = (await t.http.get('/api/v1/me/notification-preferences', { token: user.accessToken })).body;
      expect([prefs.types.mention, prefs.types.points_earned, prefs.types.thread_reply, prefs.digestFrequency]).toEqual(['off', 'email', 'digest', 'daily']);
      const after = await b.get('/settings?saved=notifications');
      expect(after.text).toContain('Your notification preferences are saved.');
      expect(after.text).toContain('<option value="daily" selected>Daily</option>');
    });

    it('downloads the same export as GET /me/export with the cookie session', async () => {
      const b = await signIn(cast.member2.email, cast.member2.password);
      const res = await fetch(`${t.baseUrl}/settings/export`, { headers: { cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
      expect([res.status, res.headers.get('content-type'), res.headers.get('content-disposition'), res.headers.get('cache-control')]).toEqual([
        200,
        'application/json; charset=utf-8',
        'attachment; filename="hearth-export.json"',
        'private, no-store',
      ]);
      const page = JSON.parse(await res.text());
      const api = JSON.parse((await t.http.get('/api/v1/me/export', { token: cast.member2.accessToken })).text);
      expect(page.format).toBe('hearth-export/1');
      expect(page.account.email).toBe(cast.member2.email);
      expect({ ...page, exportedAt: null }).toEqual({ ...api, exportedAt: null });
    });

    it('deletes the account after the password, then logs out', async () => {
      const user = await registerUser(t.http);
      const b = await signIn(user.email, user.password);
      const csrf = b.csrfFrom((await b.get('/settings')).text);
      const empty = await b.post('/settings/delete', { _csrf: csrf, password: '' });
      expect(empty.status).toBe(400);
      expect(empty.text).toContain('<p id="delete-password-error" class="field-error">is required</p>');
      const wrong = await b.post('/settings/delete', { _csrf: csrf, password: 'not my password' });
      expect(wrong.status).toBe(403);
      expect(wrong.text).toContain('<p id="delete-password-error" class="field-error">The password is wrong</p>');
      const done = await b.post('/settings/delete', { _csrf: csrf, password: user.password });
      expect([done.status, done.headers.get('location')]).toEqual([303, '/']);
      expect(b.cookies.has('hearth_session')).toBe(false);
      expect((await t.http.get(`/api/v1/users/${user.id}`)).status).toBe(404);
      expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(401);
    });
  });
});
