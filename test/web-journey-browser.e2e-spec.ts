import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot, logInAs } from './support/browser';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { eventually } from './support/factories';

/**
 * The asker's journey in Chromium (issue 23): a new member registers, joins, asks a question with
 * the similar-questions typeahead, adds a photo by the drop zone, posts; a staff answer arrives live
 * on the thread page and on the bell; the member opens the notification, accepts the answer and sees
 * points pending; then replies with the keyboard alone. axe-core on every page.
 */
describeInBrowser('the asker journey in a browser', () => {
  jest.setTimeout(150_000); // a browser journey on a busy 2-core CI machine
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let earlier: any;
  let png: Buffer;
  let asked: { id: string; path: string };
  const email = `noor-${Date.now()}@example.com`;
  const password = 'a long enough password 7';

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
    const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'kettles', name: 'Kettles', kind: 'qa' });
    earlier = await createThread(t.http, cast.member2.accessToken, board.id, { title: 'How do I descale the K2 kettle?', body: 'White spots inside.' });
    // The suggestion index has the earlier question before the journey starts.
    await eventually(async () => {
      const res = await t.http.get(`/api/v1/communities/${cast.slug}/search/suggest?q=descale`);
      return res.body.items?.some((i: any) => i.threadId === earlier.id);
    });
    png = await sharp({ create: { width: 120, height: 90, channels: 3, background: '#d9b38c' } }).png().toBuffer();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;
  const bellCount = (page: Page) => page.locator('a[data-bell] [data-unread]');

  /** Drops a file on the drop zone as a browser does on a real drag and drop (a DataTransfer carrying a File). */
  async function dropPhoto(page: Page, selector: string, name: string, data: Buffer) {
    // A string: the test's TypeScript has no DOM types; the page runs it as it is.
    await page.evaluate(`(() => {
      const zone = document.querySelector(${JSON.stringify(selector)});
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(${JSON.stringify([...data])})], ${JSON.stringify(name)}, { type: 'image/png' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
      }
    })()`);
  }

  it('registers, joins, asks with the typeahead and a dropped photo; the staff answer arrives live; accepts it; points pending', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();

    // Register and join.
    await page.goto(url(`/register?next=${encodeURIComponent(`/c/${cast.slug}`)}`));
    await expectAccessible(page);
    await page.getByLabel('Display name').fill('Noor');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(url(`/c/${cast.slug}`));
    await page.getByRole('button', { name: `Join Community ${cast.slug}` }).click();
    expect(await page.locator('.member-note').textContent()).toContain('You are a member of this community.');
    await page.locator('body[data-bell-live="on"]').waitFor(); // the bell's socket is connected on every page
    await expectAccessible(page);

    // Ask: the typeahead suggests the question already asked.
    await page.getByRole('link', { name: 'Kettles', exact: true }).click();
    await page.getByRole('link', { name: 'Ask a question' }).click();
    await page.waitForURL(url(`/c/${cast.slug}/b/kettles/new`));
    const title = page.getByLabel('Your question');
    await title.pressSequentially('How can I descale my kettle', { delay: 20 });
    const similar = page.getByRole('region', { name: 'Similar questions already asked' });
    await similar.waitFor();
    const suggestion = similar.getByRole('link', { name: 'How do I descale the K2 kettle?' });
    expect(await suggestion.getAttribute('href')).toBe(`/t/${earlier.id}/how-do-i-descale-the-k2-kettle`);
    expect(await similar.getByRole('link').count()).toBeLessThanOrEqual(5);
    expect(await page.locator('[data-similar-status]').textContent()).toMatch(/^\d similar questions? already asked/);
    await expectAccessible(page);
    await screenshot(page, 'ask-similar-questions');
    // Under 3 characters the suggestions go away; typed again they come back.
    await title.fill('Ho');
    await similar.waitFor({ state: 'hidden' });
    await title.fill('');
    await title.pressSequentially('Descaling a new kettle: vinegar or citric acid?', { delay: 10 });
    await similar.waitFor();

    await page.getByLabel('Details').fill('Mine is a **K3**, two weeks old. Photo of the inside below.');
    // The photo: dropped on the drop zone, uploaded at once, shown as a thumbnail before posting.
    await dropPhoto(page, '[data-photo-drop]', 'inside.png', png);
    const thumb = page.getByRole('img', { name: 'Photo 1: inside.png' });
    await thumb.waitFor();
    await page.locator('[data-photo-list] input[type="hidden"][name="attachmentIds"]').waitFor({ state: 'attached' });
    expect(await page.locator('[data-photo-status]').textContent()).toBe('Photo 1 (inside.png) is ready to post.');
    expect(await thumb.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    // A second one chosen with the file input (the keyboard's way), then removed again.
    await page.getByLabel('Photos (optional)').setInputFiles({ name: 'second.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('img', { name: 'Photo 2: second.png' }).waitFor();
    await page.getByRole('button', { name: 'Remove photo 2 (second.png)' }).click();
    expect(await page.locator('[data-photo-list] li').count()).toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'ask-photo-dropped');
    await page.getByRole('button', { name: 'Post question' }).click();
    await page.waitForURL(/\/t\/[0-9a-f-]{36}\/descaling-a-new-kettle-vinegar-or-citric-acid$/);
    asked = { id: /\/t\/([0-9a-f-]{36})\//.exec(page.url())![1], path: new URL(page.url()).pathname };
    expect(await page.locator('article.post .photos img').count()).toBe(1);
    expect(await page.locator('article.post .photos img').getAttribute('alt')).toBe('Photo 1 of 1 from Noor');
    await expectAccessible(page);

    // Staff answer through the API while Noor has the thread open: the reply and the bell, live.
    await page.locator('body[data-live="on"]').waitFor();
    await page.locator('body[data-bell-live="on"]').waitFor();
    expect(await bellCount(page).count()).toBe(0);
    const answer = await reply(t.http, cast.staff.accessToken, asked.id, 'Citric acid: **two spoons**, boil, rinse twice. Vinegar leaves a taste.');
    await page.locator(`#post-${answer.id}.is-new`).waitFor();
    expect(await page.locator(`#post-${answer.id} .post-body strong`).textContent()).toBe('two spoons');
    // Two notifications: the staff answer to the question, and a new reply in a thread Noor watches.
    await page.locator('a[data-bell] [data-unread="2"]').waitFor();
    expect(await page.getByRole('link', { name: /^Notifications/ }).textContent()).toBe('Notifications 2 unread');
    expect(await page.locator('[data-bell-status]').textContent()).toMatch(/^New notification: (Staff answered your question|New reply in) “Descaling a new kettle: vinegar or citric acid\?”$/);
    await expectAccessible(page);
    await screenshot(page, 'ask-answer-live');

    // Another reply collapses into the unread "new reply" notification: announced, but not counted twice.
    await reply(t.http, cast.moderator.accessToken, asked.id, 'Agreed, and descale monthly.');
    await page.locator('[data-bell-status]', { hasText: 'New notification: 2 new replies in “Descaling a new kettle: vinegar or citric acid?”' }).waitFor();
    expect(await bellCount(page).getAttribute('data-unread')).toBe('2');
    // A mention is a notification of its own: one more.
    await reply(t.http, cast.moderator.accessToken, asked.id, 'There is an FAQ on it too, @noor.');
    await page.locator('a[data-bell] [data-unread="3"]').waitFor();
    // The live count is the server's: a fresh page says the same.
    const check = await context.newPage();
    await check.goto(url('/me/notifications'));
    expect(await check.locator('#unread-summary').textContent()).toBe('3 unread notifications');
    await check.close();

    // The notification opens the answer (and is read); accept it there.
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await page.waitForURL(url('/me/notifications'));
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Staff answered your question “Descaling a new kettle: vinegar or citric acid?”' }).click();
    await page.waitForURL(url(`${asked.path}#post-${answer.id}`));
    expect(await page.getByRole('link', { name: /^Notifications/ }).textContent()).toBe('Notifications 2 unread');
    await page.locator('body[data-bell-live="on"]').waitFor();
    await page.locator(`#post-${answer.id}`).getByRole('button', { name: 'Accept this answer' }).click();
    await page.waitForURL(url(`${asked.path}#post-${answer.id}`));
    await page.locator(`#post-${answer.id} .badge-accepted`).waitFor();
    // The accepted answer has no button any more (the others keep theirs: the asker may change their mind).
    expect(await page.locator(`#post-${answer.id}`).getByRole('button', { name: 'Accept this answer' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Accept this answer' }).count()).toBe(2);
    await expectAccessible(page);
    await screenshot(page, 'ask-accepted');

    // Marking the rest read in another tab: this tab's bell follows.
    const other = await context.newPage();
    await other.goto(url('/me/notifications'));
    await other.getByRole('button', { name: 'Mark all read' }).click();
    await other.waitForURL(url('/me/notifications'));
    await bellCount(page).waitFor({ state: 'detached' });
    expect(await page.getByRole('link', { name: /^Notifications/ }).textContent()).toBe('Notifications');
    await other.close();

    // Points for the question wait out the moderation window: pending.
    await page.getByRole('navigation', { name: 'Community' }).getByRole('link', { name: 'Points' }).click();
    await page.waitForURL(url(`/c/${cast.slug}/points`));
    expect(Number(await page.locator('[data-points="pending"]').textContent())).toBeGreaterThan(0);
    expect(await page.locator('[data-points="balance"]').textContent()).toBe('0');
    await expectAccessible(page);
    await screenshot(page, 'ask-points-pending');
    await context.close();
  });

  it('replies with the keyboard alone: Tab to the reply box, type, Tab to the button, Space', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(url(`/login?next=${encodeURIComponent(asked.path)}`));
    await page.getByLabel('Email').focus();
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.waitForURL(url(asked.path));
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    let steps = 0;
    while ((await page.evaluate('document.activeElement?.id')) !== 'reply-body') {
      await page.keyboard.press('Tab');
      if (++steps > 80) throw new Error('the reply box is not reachable with Tab');
    }
    await page.keyboard.type('Thanks, citric acid worked.');
    // The photo field comes next (a file input, usable with the keyboard), then the button.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('reply-photos');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Post reply');
    await page.keyboard.press('Space');
    await page.waitForURL(/#post-[0-9a-f-]{36}$/);
    expect(await page.locator('article.post').last().locator('.post-body').innerText()).toBe('Thanks, citric acid worked.');
    await expectAccessible(page);
    await context.close();
  });

  it('posts a photo with JavaScript off through the plain file input', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(url(`/login?next=${encodeURIComponent(asked.path)}`));
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(url(asked.path));
    await page.getByLabel('Your reply').fill('After descaling, without JavaScript.');
    await page.getByLabel('Photos (optional)').setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('button', { name: 'Post reply' }).click();
    await page.waitForURL(/#post-[0-9a-f-]{36}$/);
    const last = page.locator('article.post').last();
    expect(await last.locator('.post-body').innerText()).toBe('After descaling, without JavaScript.');
    expect(await last.locator('.photos img').count()).toBe(1);
    // (axe-core needs JavaScript: this page was checked with it on above.)
    await context.close();
  });

  it('the ask form fits a 360 px phone and the dark theme, with suggestions and a photo', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, cast.member, `/c/${cast.slug}/b/kettles/new`);
    await page.getByLabel('Your question').pressSequentially('descale kettle', { delay: 10 });
    await page.getByRole('region', { name: 'Similar questions already asked' }).waitFor();
    await page.getByLabel('Photos (optional)').setInputFiles({ name: 'a-rather-long-file-name-for-a-small-phone-screen.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('img', { name: /^Photo 1: / }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBe(360);
    await expectAccessible(page);
    await screenshot(page, 'phone-ask-dark');
    await context.close();
  });
});
