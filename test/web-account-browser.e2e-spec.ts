import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot } from './support/browser';
import { Cast, createBoard, createCast, createThread } from './support/content';
import { eventually, registerUser, unique } from './support/factories';
import { startSmtp, TestSmtp } from './support/smtp';

/**
 * The account pages in a real browser (Chromium): forgot and reset password following the link the
 * real SMTP test server received, editing the profile (with an avatar file) in the settings, the
 * public profile, a 360 px phone; axe-core on each new page.
 */
describeInBrowser('account pages in a browser', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  let cast: Cast;

  beforeAll(async () => {
    smtp = await startSmtp();
    [t, browser] = await Promise.all([startApp({ env: { SMTP_URL: smtp.url } }), launchBrowser()]);
    cast = await createCast(t.http);
    const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'kettles', name: 'Kettles' });
    await createThread(t.http, cast.member.accessToken, board.id, { title: 'My first kettle' });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  const url = (path: string) => t.baseUrl + path;

  /** The emailed link, opened on this server (PUBLIC_URL is the default http://localhost:3000 here). */
  async function emailedLink(email: string, subject: string): Promise<string> {
    const mail = (await eventually(() => smtp.received.find((m) => m.subject === subject && m.to.includes(email.toLowerCase()))))!;
    const link = mail.text.split(/\s+/).find((word) => word.startsWith(t.config.publicUrl));
    if (!link) throw new Error(`no link in: ${mail.text}`);
    const { pathname, search } = new URL(link);
    return url(pathname + search);
  }

  async function logIn(page: Page, email: string, password: string, next = '/settings') {
    await page.goto(url(`/login?next=${encodeURIComponent(next)}`));
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(url(next));
  }

  it('a member who forgot the password asks for a link, follows it from the email and logs in with the new one', async () => {
    const user = await registerUser(t.http);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(url('/login'));
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(url('/forgot-password'));
    await expectAccessible(page);
    await page.getByLabel('Email').fill('not an email');
    await page.getByRole('button', { name: 'Send the link' }).click();
    expect(await page.locator('#forgot-email-error').textContent()).toBe('email must be an email address');
    await page.waitForLoadState();
    expect(await page.evaluate('document.activeElement?.id')).toBe('forgot-email'); // the invalid field has the focus
    await expectAccessible(page);
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.waitForURL(url('/forgot-password?sent=1'));
    expect(await page.getByRole('status').textContent()).toContain('Check your email.');
    await expectAccessible(page);
    await screenshot(page, 'account-forgot-sent');

    await page.goto(await emailedLink(user.email, 'Reset your password'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Choose a new password');
    await expectAccessible(page);
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Set the password' }).click();
    expect(await page.locator('#reset-password-error').count()).toBe(1);
    await page.getByLabel('New password').fill('my brand new password 9');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByText('Your new password is set. Log in with it.').waitFor();
    await expectAccessible(page);
    await screenshot(page, 'account-reset-done');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('my brand new password 9');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(url('/'));
    expect(await page.locator('.signed-in strong').textContent()).toBe(user.displayName);

    // The link worked once: opened again, it says so plainly.
    await page.goto(await emailedLink(user.email, 'Reset your password'));
    await page.getByLabel('New password').fill('another new password 10');
    await page.getByRole('button', { name: 'Set the password' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('This password reset link was already used');
    await expectAccessible(page);
    await context.close();
  });

  it('a member edits the profile with an avatar in the settings, and sees the public profile', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page, cast.member.email, cast.member.password, `/c/${cast.slug}`);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(url('/settings'));
    await expectAccessible(page);

    const username = unique('rosa');
    await page.getByLabel('Display name').fill('Rosa Parks');
    await page.getByLabel('Username').fill('no');
    await page.getByRole('button', { name: 'Save profile' }).click();
    expect(await page.locator('#profile-username-error').count()).toBe(1);
    expect(await page.getByLabel('Display name').inputValue()).toBe('Rosa Parks'); // what was typed stays
    await expectAccessible(page);

    await page.getByLabel('Username').fill(username);
    await page.getByLabel('About you (optional)').fill('I descale kettles.\nEvery month.');
    const png = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#2a6' } }).png().toBuffer();
    await page.locator('#profile-avatar').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.waitForURL(url('/settings?saved=profile#profile'));
    expect(await page.getByRole('status').textContent()).toBe('Your profile is saved.');
    const avatar = page.getByRole('img', { name: 'Your avatar now' });
    expect(await avatar.evaluate((img: any) => img.complete && img.naturalWidth)).toBe(256);
    expect(await page.locator('.signed-in strong').textContent()).toBe('Rosa Parks');
    await expectAccessible(page);
    await screenshot(page, 'account-settings');

    await page.getByRole('link', { name: `@${username}` }).click();
    await page.waitForURL(url(`/u/${username}`));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Rosa Parks');
    expect(await page.locator('.bio').innerText()).toBe('I descale kettles.\nEvery month.');
    expect(await page.locator('.cards .card').count()).toBe(1);
    expect(await page.locator('.cards .card').textContent()).toContain('1 thread · 0 replies · 0 accepted answers');
    await expectAccessible(page);
    await screenshot(page, 'account-profile');

    // The thread page links the author's name to the profile.
    await page.goto(url(`/c/${cast.slug}/b/kettles`));
    await page.getByRole('link', { name: 'My first kettle' }).click();
    await page.locator('article.post').first().getByRole('link', { name: 'Rosa Parks' }).click();
    await page.waitForURL(url(`/u/${username}`));
    await context.close();
  });

  it('shows the verification result, the settings with errors, and a 404 profile accessibly, also on a 360 px phone and in the dark theme', async () => {
    const user = await registerUser(t.http);
    const context = await newContext(browser, { viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(await emailedLink(user.email, 'Confirm your email address'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Email verified');
    await expectAccessible(page);
    await page.goto(url('/verify-email?token=hev_forged'));
    expect(await page.getByRole('alert').textContent()).toBe('This verification link is not valid');
    await expectAccessible(page);

    await logIn(page, user.email, user.password);
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('a new password 55');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await page.locator('#password-currentPassword-error').textContent()).toBe('is wrong');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBe(360);
      await expectAccessible(page);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    for (const path of ['/forgot-password', '/reset-password?token=hpr_x', `/u/${(await (await t.http.get('/api/v1/me', { token: user.accessToken })).body.user.username)}`, '/u/nobody-at-all']) {
      await page.goto(url(path));
      expect({ path, width: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({ path, width: 360 });
      await expectAccessible(page);
    }
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
    await screenshot(page, 'account-phone-404');
    await context.close();
  });
});
