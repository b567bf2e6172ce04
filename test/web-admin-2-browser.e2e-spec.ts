import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { WebhookSettings } from '../src/store/webhook-settings';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot } from './support/browser';
import { Cast, createCast } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';
import { Receiver, verifyDelivery } from './support/store';

/**
 * An admin sets a loyalty rule, creates a reward and uploads its coupon codes (with and without
 * JavaScript), connects the store to a local receiver, sends a test event that arrives signed, makes
 * a delivery fail and sends it again from the delivery log, and downloads the engagement export;
 * axe-core on each page.
 */
describeInBrowser('admin loyalty, store and export pages in a browser', () => {
  jest.setTimeout(180_000);
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let owner: TestUser;
  let receiver: Receiver;
  let settings: WebhookSettings;

  beforeAll(async () => {
    [t, browser, receiver] = await Promise.all([startApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } }), launchBrowser(), new Receiver().start()]);
    settings = t.app.get(WebhookSettings);
    settings.retryDelaysMs = [];
    settings.jitter = 0;
    settings.pollMs = 50;
    cast = await createCast(t.http);
    owner = await createMember(t.http, cast.admin.accessToken, cast.slug, 'admin');
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await receiver?.close();
  });

  const url = (path: string) => t.baseUrl + path;
  const admin = (path: string) => url(`/c/${cast.slug}/admin/${path}`);

  async function logIn(page: Page) {
    await page.goto(url(`/login?next=${encodeURIComponent(`/c/${cast.slug}/admin/loyalty`)}`));
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(admin('loyalty'));
  }

  it('sets a points rule, creates a reward and uploads coupon codes with progress, then without JavaScript', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page);
    expect(await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Loyalty' }).getAttribute('aria-current')).toBe('page');
    await expectAccessible(page);

    await page.getByLabel('A new thread').fill('8');
    await page.getByLabel('Moderation window (hours)').fill('12');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.waitForURL(admin('loyalty?saved=rules#rules'));
    expect(await page.locator('.notice[role="status"]').textContent()).toBe('The rules and tiers are saved.');
    expect(await page.getByLabel('A new thread').inputValue()).toBe('8');
    const rules = await t.http.get(`/api/v1/communities/${cast.slug}/loyalty/rules`, { token: owner.accessToken });
    expect(rules.body.threadCreated).toBe(8);

    // A bad value: the error next to the field, nothing saved.
    await page.getByLabel('A reply').fill('-3');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.waitForURL(admin('loyalty/rules'));
    expect(await page.locator('#rule-replyCreated-error').textContent()).toBe('Must be at least 0');
    expect(await page.getByLabel('A reply').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page);

    await page.goto(admin('loyalty'));
    await page.getByLabel('Name', { exact: true }).fill('Barista class');
    await page.getByLabel('Cost (points)').fill('250');
    await page.getByLabel('Description (optional)').fill('One evening with our head barista');
    await page.getByRole('button', { name: 'Create reward' }).click();
    await page.waitForURL(/\/admin\/loyalty\?saved=reward#reward-[0-9a-f-]{36}$/);
    const card = page.locator('.loyalty-rewards .card', { has: page.getByRole('heading', { name: 'Barista class' }) });
    expect(await card.locator('[data-available]').textContent()).toBe('0');

    // Record what the status region says while the script uploads.
    await card.locator('.codes-status').evaluate((el) => {
      const seen: string[] = [];
      const g = globalThis as any;
      g.seenStatus = seen;
      new g.MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
    });
    const codes = ['code', ...Array.from({ length: 2000 }, (_, i) => `BARISTA-${String(i).padStart(5, '0')}`), 'BARISTA-00001'].join('\n');
    await card.getByLabel('Coupon codes (CSV file) for Barista class').setInputFiles({ name: 'barista.csv', mimeType: 'text/csv', buffer: Buffer.from(codes) });
    await card.getByRole('button', { name: 'Upload codes' }).click();
    const status = card.locator('.codes-status');
    await eventually(async () => (await status.textContent()) === '2,000 codes added, 1 duplicate skipped. 2,000 codes available now.');
    expect(await status.getAttribute('aria-live')).toBe('polite');
    const seen: string[] = await page.evaluate(() => (globalThis as any).seenStatus);
    expect(seen.some((s) => s.startsWith('Uploading…'))).toBe(true);
    expect(seen[seen.length - 1]).toBe('2,000 codes added, 1 duplicate skipped. 2,000 codes available now.');
    expect(await card.locator('[data-available]').textContent()).toBe('2000');
    expect(page.url()).toMatch(/#reward-/); // no page load: the script did it

    // A bad file: the lines at fault, said in the same region.
    await card.getByLabel('Coupon codes (CSV file) for Barista class').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('GOOD-1\n"BROKEN\n') });
    await card.getByRole('button', { name: 'Upload codes' }).click();
    await eventually(async () => (await status.textContent())?.startsWith('The file was not used'));
    expect(await status.locator('li').allTextContents()).toEqual(['Line 2: a quote is not closed']);
    await expectAccessible(page);
    await screenshot(page, 'admin-loyalty');
    await context.close();

    // Without JavaScript: the plain form, then the page with the result.
    const plain = await newContext(browser, { javaScriptEnabled: false });
    const noJs = await plain.newPage();
    await logIn(noJs);
    const plainCard = noJs.locator('.loyalty-rewards .card', { has: noJs.getByRole('heading', { name: 'Barista class' }) });
    await plainCard.getByLabel('Coupon codes (CSV file) for Barista class').setInputFiles({ name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from('BARISTA-00001\nBARISTA-90000\nBARISTA-90001\n') });
    await plainCard.getByRole('button', { name: 'Upload codes' }).click();
    await noJs.waitForURL(/\/admin\/loyalty\/rewards\/[0-9a-f-]{36}\/codes$/);
    expect(await noJs.locator('#codes-result').textContent()).toBe('Barista class: 2 codes added, 1 duplicate skipped. 2,002 codes available now.');
    await plain.close();

    // axe-core needs JavaScript: the same result page in a browser with scripts, but not the upload script.
    const blocked = await newContext(browser);
    await blocked.route(/\/assets\/codes-upload\.[0-9a-f]+\.js$/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: '' }));
    const result = await blocked.newPage();
    await logIn(result);
    const again = result.locator('.loyalty-rewards .card', { has: result.getByRole('heading', { name: 'Barista class' }) });
    await again.getByLabel('Coupon codes (CSV file) for Barista class').setInputFiles({ name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from('BARISTA-90000\n') });
    await again.getByRole('button', { name: 'Upload codes' }).click();
    await result.waitForURL(/\/admin\/loyalty\/rewards\/[0-9a-f-]{36}\/codes$/);
    expect(await result.locator('#codes-result').textContent()).toBe('Barista class: 0 codes added, 1 duplicate skipped. 2,002 codes available now.');
    await expectAccessible(result);
    await blocked.close();
  });

  it('connects the store, sees the secrets once, sends a test event, replays a failed delivery, downloads the export', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await logIn(page);
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Store' }).click();
    await page.waitForURL(admin('store'));
    await expectAccessible(page);
    await page.getByLabel('Webhook URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Connect store' }).click();
    const secret = (await page.locator('[data-secret="webhook"]').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    expect(await page.getByRole('heading', { name: 'Your secrets: copy them now' }).count()).toBe(1);
    await expectAccessible(page);
    await page.goto(admin('store'));
    expect(await page.locator('[data-secret]').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // The test event arrives signed with the secret shown.
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.waitForURL(admin('store?done=test#deliveries'));
    const test = (await eventually(() => receiver.received.find((r) => JSON.parse(r.body).type === 'store.test')))!;
    expect(verifyDelivery(secret, test)).toEqual(expect.objectContaining({ type: 'store.test' }));
    await eventually(async () => {
      await page.reload();
      return (await page.locator(`tr[data-status="delivered"]`, { hasText: test.id }).count()) === 1;
    });

    // The receiver fails: the delivery is failed (the schedule is spent at once here), then sent again from the log.
    receiver.answer = () => ({ status: 500, body: 'down for maintenance' });
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.waitForURL(admin('store?done=test#deliveries'));
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    const failed = page.locator('tr[data-status="failed"]');
    await eventually(async () => {
      await page.reload();
      return (await failed.count()) === 1;
    });
    expect(await failed.textContent()).toContain('HTTP 500');
    const failedId = receiver.received[receiver.received.length - 1].id;
    expect(await failed.textContent()).toContain(failedId);
    await expectAccessible(page);
    receiver.answer = () => ({ status: 200, body: 'ok' });
    await failed.getByRole('button', { name: `Send again: store.test ${failedId}` }).click();
    await page.waitForURL(admin('store?done=retry#deliveries'));
    expect(await page.locator('.notice[role="status"]').textContent()).toContain('The delivery is being sent again');
    await eventually(async () => {
      await page.reload();
      return (await page.locator('tr[data-status="delivered"]', { hasText: failedId }).count()) === 1;
    });
    const attempts = receiver.received.filter((r) => r.id === failedId);
    expect(attempts.map((r) => r.body)).toEqual([attempts[0].body, attempts[0].body]);
    expect(verifyDelivery(secret, attempts[1])).toBeTruthy();
    await expectAccessible(page);
    await screenshot(page, 'admin-store');

    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Export' }).click();
    await page.waitForURL(admin('export'));
    await expectAccessible(page);
    await page.getByLabel('CSV').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe(`engagement-${cast.slug}.csv`);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.split('\r\n')[0]).toMatch(/^userId,email,storeCustomerId,role,/); // emails: the store is connected

    // Usable on a 360 px wide phone: nothing wider than the screen (the delivery log scrolls inside its box).
    await page.setViewportSize({ width: 360, height: 800 });
    for (const path of ['loyalty', 'store', 'export']) {
      await page.goto(admin(path));
      expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    }
    await context.close();
  });
});
