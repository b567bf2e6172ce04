import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot, logInAs } from './support/browser';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { uploadImage } from './support/fuzz/fixtures';

/**
 * The customers' pages in a real browser (Chromium): a guest reads and searches, a new member
 * registers, joins, posts a thread and replies (with JavaScript and without), live replies, the
 * keyboard alone, a 360 px phone, CSRF; axe-core on every page.
 */
describeInBrowser('web pages in a browser', () => {
  jest.setTimeout(120_000); // a browser journey on a busy 2-core CI machine
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let thread: any;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
    const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'kettles', name: 'Kettles', kind: 'qa' });
    await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'showcase', name: 'Show your kitchen', kind: 'showcase' });
    thread = await createThread(t.http, cast.member.accessToken, board.id, {
      title: 'How do I descale the K2 kettle?',
      body: 'It has **white spots** inside.\n\n- bought in May\n- used daily',
      tags: ['descaling'],
      productSkus: ['K2'],
    });
    const answer = await reply(t.http, cast.staff.accessToken, thread.id, 'Use citric acid: 2 spoons, boil, rinse twice.');
    expect((await t.http.post(`/api/v1/threads/${thread.id}/accept`, { postId: answer.id }, { token: cast.member.accessToken })).status).toBe(200);
    expect((await t.http.post(`/api/v1/posts/${answer.id}/official`, undefined, { token: cast.staff.accessToken })).status).toBe(200);
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3a7' } }).png().toBuffer();
    const photo = await uploadImage(t.baseUrl, cast.member2.accessToken, cast.slug, png);
    await reply(t.http, cast.member2.accessToken, thread.id, 'Mine after descaling:', { attachmentIds: [photo.id] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;
  const threadPath = () => `/t/${thread.id}/how-do-i-descale-the-k2-kettle`;

  async function register(page: Page, name: string): Promise<string> {
    const email = `${name.toLowerCase()}-${Date.now()}@example.com`;
    await page.goto(url(`/register?next=${encodeURIComponent(`/c/${cast.slug}`)}`));
    await page.getByLabel('Display name').fill(name);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long enough password 7');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(url(`/c/${cast.slug}`));
    return email;
  }

  it('a guest reads a thread and searches (axe-core on each page)', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(url('/'));
    await expectAccessible(page);
    await page.getByRole('link', { name: `Community ${cast.slug}` }).first().click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Community ${cast.slug}`);
    expect(await page.locator('.boards .card').count()).toBe(2);
    expect(await page.locator('.boards .card').first().textContent()).toContain('Questions & answers');
    await expectAccessible(page);
    await screenshot(page, 'guest-community');

    await page.getByRole('link', { name: 'Kettles', exact: true }).click();
    expect(await page.locator('.thread-row').count()).toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'guest-board');

    await page.getByRole('link', { name: 'How do I descale the K2 kettle?' }).click();
    await page.waitForURL(url(threadPath()));
    expect(await page.locator('article.post').count()).toBe(3);
    expect(await page.locator('article.post').first().locator('.post-body strong').textContent()).toBe('white spots');
    expect(await page.locator('article.post').nth(1).locator('.badge').allTextContents()).toEqual(['Staff', 'Accepted answer', 'Official answer']);
    const photo = page.getByRole('img', { name: /^Photo 1 of 1 from Member/ });
    expect(await photo.evaluate((img: any) => img.complete && img.naturalWidth)).toBe(64);
    expect(await page.locator('link[rel="canonical"]').getAttribute('href')).toBe(`${t.config.publicUrl}${threadPath()}`);
    await expectAccessible(page);
    await screenshot(page, 'guest-thread');

    await page.getByRole('searchbox', { name: `Search Community ${cast.slug}` }).fill('citric');
    await page.getByRole('searchbox', { name: `Search Community ${cast.slug}` }).press('Enter');
    await page.waitForURL(/\/search\?q=citric/);
    expect(await page.locator('.hit mark').first().textContent()).toBe('citric');
    await expectAccessible(page);
    await screenshot(page, 'guest-search');

    await page.goto(url('/login'));
    await expectAccessible(page);
    await page.goto(url('/t/00000000-0000-4000-8000-000000000000/nothing'));
    expect(await page.locator('h1').textContent()).toBe('Page not found');
    await expectAccessible(page);
    await context.close();
  });

  it('a new member registers, joins, previews and posts a thread, and replies; a guest watching sees the reply live', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await register(page, 'Rosa');
    await expectAccessible(page);
    await page.getByRole('button', { name: `Join Community ${cast.slug}` }).click();
    expect(await page.locator('.member-note').textContent()).toContain('You are a member of this community.');

    await page.getByRole('link', { name: 'Show your kitchen', exact: true }).click();
    await page.getByRole('link', { name: 'New thread' }).click();
    await page.getByLabel('Title').fill('My kitchen after the move');
    await page.getByLabel('Details').fill('Finally **done**: new shelves.');
    await page.getByLabel('Tags (optional)').fill('kitchen, shelves');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('[data-preview-output] strong').waitFor();
    expect(await page.locator('[data-preview-output] strong').textContent()).toBe('done');
    await expectAccessible(page);
    await screenshot(page, 'member-new-thread');
    await page.getByRole('button', { name: 'Post thread' }).click();
    await page.waitForURL(/\/t\/[0-9a-f-]{36}\/my-kitchen-after-the-move$/);
    expect(await page.locator('h1').textContent()).toBe('My kitchen after the move');

    // A guest has the question open while Rosa answers it.
    const guestContext = await newContext(browser);
    const guest = await guestContext.newPage();
    await guest.goto(url(threadPath()));
    await guest.locator('body[data-live="on"]').waitFor(); // the socket is watching the thread

    await page.goto(url(threadPath()));
    await page.getByLabel('Your reply').fill('Mine had that too; **citric acid** worked.');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('[data-preview-output] strong').waitFor();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Post reply' }).click();
    await page.waitForURL(/#post-[0-9a-f-]{36}$/);
    expect(await page.locator('article.post').count()).toBe(4);
    expect(await page.locator('article.post').last().locator('.author').textContent()).toBe('Rosa');
    await screenshot(page, 'member-thread-replied');

    // Rosa finds the staff answer helpful (a plain form: it works without JavaScript too).
    const answer = page.locator('article.post').nth(1);
    await answer.getByRole('button', { name: 'Helpful' }).click();
    await page.waitForURL(/#post-/);
    expect(await page.locator('article.post').nth(1).getByRole('button', { name: 'Helpful 1' }).getAttribute('aria-pressed')).toBe('true');
    await page.locator('article.post').nth(1).getByRole('button', { name: 'Helpful 1' }).click();
    await page.waitForURL(/#post-/);
    expect(await page.locator('article.post').nth(1).getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed')).toBe('false');

    await guest.locator('article.post.is-new').waitFor();
    expect(await guest.locator('article.post').count()).toBe(4);
    expect(await guest.locator('article.post.is-new .post-body strong').textContent()).toBe('citric acid');
    expect(await guest.locator('#live-status').textContent()).toBe('New reply from Rosa');
    await guestContext.close();
    await context.close();
  });

  it('a reply works with JavaScript off', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false });
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, cast.member2, threadPath());
    expect(await page.getByRole('button', { name: 'Preview' }).isHidden()).toBe(true);
    await page.getByLabel('Your reply').fill('Replying without any JavaScript.');
    await page.getByRole('button', { name: 'Post reply' }).click();
    await page.waitForURL(/#post-[0-9a-f-]{36}$/);
    expect((await page.locator('article.post').last().locator('.post-body').textContent())?.trim()).toBe('Replying without any JavaScript.');
    await context.close();
  });

  it('a member replies with the keyboard alone', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(url(`/login?next=${encodeURIComponent(threadPath())}`));
    // Log in by keyboard: Tab to each field in order.
    await page.getByLabel('Email').focus();
    await page.keyboard.type(cast.moderator.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(cast.moderator.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(url(threadPath()));
    // From the skip link to the reply box, Tab by Tab.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    let steps = 0;
    while ((await page.evaluate('document.activeElement?.id')) !== 'reply-body') {
      await page.keyboard.press('Tab');
      if (++steps > 60) throw new Error('the reply box is not reachable with Tab');
    }
    await page.keyboard.type('Typed and sent with the keyboard only.');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('reply-photos'); // the photo field (issue 23, part 2)
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Post reply');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#post-[0-9a-f-]{36}$/);
    expect(await page.locator('article.post').last().locator('.post-body').innerText()).toBe('Typed and sent with the keyboard only.');
    expect(await page.locator('article.post').last().locator('.badge-role').textContent()).toBe('Moderator');
    await context.close();
  });

  it('fits a 360 px wide phone', async () => {
    const context = await newContext(browser, { viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    for (const path of [`/c/${cast.slug}`, `/c/${cast.slug}/b/kettles`, threadPath(), `/c/${cast.slug}/search?q=kettle`, '/register']) {
      await page.goto(url(path));
      expect({ path, width: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({ path, width: 360 });
      await expectAccessible(page);
    }
    await page.goto(url(threadPath()));
    await screenshot(page, 'phone-thread');
    await context.close();
  });

  it('meets contrast in the dark theme too (prefers-color-scheme: dark)', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const path of [`/c/${cast.slug}`, `/c/${cast.slug}/b/kettles`, threadPath(), `/c/${cast.slug}/search?q=citric`]) {
      await page.goto(url(path));
      expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(21, 23, 27)');
      await expectAccessible(page);
    }
    await page.goto(url(threadPath()));
    await screenshot(page, 'dark-thread');
    await context.close();
  });

  it('refuses a form sent without its CSRF token', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, cast.member, threadPath());
    const before = await page.locator('article.post').count();
    await page.locator('#reply-form input[name="_csrf"]').evaluate((input: any) => input.remove());
    await page.getByLabel('Your reply').fill('This must not be posted.');
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/reply')), page.getByRole('button', { name: 'Post reply' }).click()]);
    expect(response.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toBe('Not allowed');
    await page.goto(url(threadPath()));
    expect(await page.locator('article.post').count()).toBe(before);
    await context.close();
  });
});
