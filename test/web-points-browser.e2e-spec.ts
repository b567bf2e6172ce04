import type { Browser } from 'playwright-core';
import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot, logInAs } from './support/browser';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { eventually } from './support/factories';
import { notificationsSettled } from './support/notifications';

/** A member with points redeems a reward and sees the code, looks at the leaderboard, opens a notification; axe-core on each page. */
describeInBrowser('points and notifications pages in a browser', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let thread: any;
  let answer: any;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
    const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'kettles', name: 'Kettles' });
    thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Kettle lid squeaks' });
    answer = await reply(t.http, cast.staff.accessToken, thread.id, 'A drop of food-grade oil on the hinge.');
    const loyalty = `/api/v1/communities/${cast.slug}/loyalty`;
    expect((await t.http.post(`${loyalty}/adjustments`, { userId: cast.member.id, points: 75, reason: 'Launch thank-you' }, { token: cast.staff.accessToken })).status).toBe(201);
    const reward = await t.http.post(`${loyalty}/rewards`, { name: 'Descaler pack', cost: 50, description: 'Two sachets' }, { token: cast.admin.accessToken });
    expect((await t.http.post(`/api/v1/loyalty/rewards/${reward.body.id}/codes`, { codes: ['DESC-7Q2'] }, { token: cast.admin.accessToken })).status).toBe(200);
    const db = t.app.get(Db);
    await eventually(async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE status = 'pending' AND consumer IN ('loyalty', 'notifications')`))[0].n === 0);
    await notificationsSettled(t);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;

  it('a member redeems a reward, sees the code, the leaderboard and opens a notification', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, cast.member, `/c/${cast.slug}`);

    await page.getByRole('navigation', { name: 'Community' }).getByRole('link', { name: 'Points' }).click();
    await page.waitForURL(url(`/c/${cast.slug}/points`));
    expect(await page.locator('[data-points="balance"]').textContent()).toBe('75');
    await expectAccessible(page);
    await screenshot(page, 'member-points');

    const card = page.locator('.rewards .card', { has: page.getByRole('heading', { name: 'Descaler pack' }) });
    await card.getByRole('button', { name: 'Redeem' }).click();
    await page.waitForURL(/\/points\?redeemed=[0-9a-f-]{36}#redeemed$/);
    expect(await page.getByRole('status').filter({ hasText: 'Your coupon code' }).textContent()).toBe('Your coupon code: DESC-7Q2');
    expect(await page.locator('[data-points="balance"]').textContent()).toBe('25');
    await expectAccessible(page);
    await screenshot(page, 'member-points-redeemed');

    // Again: too few points now, said plainly.
    await page.locator('.rewards .card').getByRole('button', { name: 'Redeem' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('This needs 50 points; the balance is 25');

    await page.getByRole('navigation', { name: 'Community' }).getByRole('link', { name: 'Leaderboard' }).click();
    await page.waitForURL(url(`/c/${cast.slug}/leaderboard`));
    expect(await page.locator('table.leaderboard tbody tr').count()).toBe(1);
    expect(await page.locator('#my-rank').textContent()).toBe('Your rank: #1 with 75 points.');
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Last 7 days' }).click();
    await page.waitForURL(url(`/c/${cast.slug}/leaderboard?period=week`));
    await expectAccessible(page);
    await screenshot(page, 'member-leaderboard');

    // The bell: the staff reply and the points are unread.
    const bell = page.getByRole('link', { name: /^Notifications/ });
    expect(await bell.textContent()).toBe('Notifications 2 unread');
    await bell.click();
    await page.waitForURL(url('/me/notifications'));
    expect(await page.locator('.notifications .is-unread').count()).toBe(2);
    await expectAccessible(page);
    await screenshot(page, 'member-notifications');
    await page.getByRole('link', { name: 'New reply in “Kettle lid squeaks”' }).click();
    // Marked read, then the thread page at the reply (the fragment survives both redirects).
    await page.waitForURL(url(`/t/${thread.id}/kettle-lid-squeaks#post-${answer.id}`));
    expect(await page.locator(`#post-${answer.id} .post-body`).innerText()).toBe('A drop of food-grade oil on the hinge.');
    expect(await page.getByRole('link', { name: /^Notifications/ }).textContent()).toBe('Notifications 1 unread');

    await page.goto(url('/me/notifications'));
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await page.waitForURL(url('/me/notifications'));
    expect(await page.locator('.notifications .is-unread').count()).toBe(0);
    expect(await page.getByRole('link', { name: /^Notifications/ }).textContent()).toBe('Notifications');
    await expectAccessible(page);
    await context.close();
  });

  it('fits a 360 px wide phone', async () => {
    const context = await newContext(browser, { viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, cast.member, `/c/${cast.slug}`);
    for (const path of [`/c/${cast.slug}/points`, `/c/${cast.slug}/leaderboard`, '/me/notifications']) {
      await page.goto(url(path));
      expect({ path, width: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({ path, width: 360 });
    }
    await context.close();
  });
});
