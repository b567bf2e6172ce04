import type { Browser, Page } from 'playwright-core';
import { Realtime, SocketRooms } from '../src/chat/realtime';
import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot, logInAs } from './support/browser';
import { Cast, createBoard, createCast, createThread, NO_LIMITS, reply } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';

/**
 * A staff member answers an overdue question from the queue and sees the dashboard's share change;
 * a support request appears live in the queue and is claimed; the member page; the range picker's
 * errors; axe-core on every page (light and dark), no script errors under the page CSP.
 */
describeInBrowser('staff dashboard and work queues in a browser', () => {
  jest.setTimeout(180_000);
  let t: TestApp;
  let db: Db;
  let browser: Browser;
  let cast: Cast;
  let customer: TestUser;
  let late: any;

  const insightsSettled = () =>
    eventually(async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'insights' AND status <> 'done'`))[0].n === 0);

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    db = t.app.get(Db);
    cast = await createCast(t.http, { ...NO_LIMITS, responseTargetMinutes: 60 });
    customer = await createMember(t.http, cast.admin.accessToken, cast.slug);
    const qa = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'help', name: 'Help desk', kind: 'qa' });
    const talk = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk', name: 'Talk' });
    const fast = await createThread(t.http, cast.member.accessToken, qa.id, { title: 'Descaling the kettle', productSkus: ['KETTLE-1'], tags: ['descaling'] });
    await reply(t.http, cast.staff.accessToken, fast.id, 'Citric acid, then two rinses.');
    await createThread(t.http, cast.member2.accessToken, talk.id, { title: 'Show us your coffee corner', tags: ['setup'] });
    late = await createThread(t.http, cast.member.accessToken, qa.id, { title: 'Grinder is noisy', productSkus: ['GRIND-2'] });
    await createThread(t.http, cast.member2.accessToken, qa.id, { title: 'Which water filter fits the Brewer 3?' });
    // The time control the Q&A tests use: the question was asked 2 hours ago; the target is 60 minutes.
    await db.query(`UPDATE threads SET created_at = now() - interval '2 hours' WHERE id = $1`, [late.id]);
    await insightsSettled();
    expect((await t.http.post(`/api/v1/communities/${cast.slug}/satisfaction`, { threadId: fast.id, score: 4 }, { token: cast.member.accessToken })).status).toBe(201);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;

  async function staffPage(): Promise<{ page: Page; problems: string[] }> {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      // The refused date range is answered 400 on purpose (the page with the errors).
      if (msg.type() === 'error' && !msg.location().url.includes('from=2026-03-10')) problems.push(`console: ${msg.text()} at ${msg.location().url}`);
    });
    await logInAs(page, t.baseUrl, cast.staff, `/c/${cast.slug}`);
    return { page, problems };
  }

  const share = (page: Page, label: string) => page.locator('#chart-answered .chart-table tbody tr', { has: page.locator('th', { hasText: label }) }).locator('td').textContent();

  it('a staff member answers an overdue question from the queue and sees the dashboard’s share change', async () => {
    await insightsSettled();
    const { page, problems } = await staffPage();
    await page.getByRole('navigation', { name: 'Community' }).getByRole('link', { name: 'Staff' }).click();
    await page.waitForURL(url(`/c/${cast.slug}/staff`));
    await page.locator('body[data-charts="drawn"]').waitFor();
    // uPlot drew the time series (canvas) and dashboard.js the bars, from the tables.
    expect(await page.locator('#chart-active .chart-plot canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#chart-answered .chart-plot .bar-fill').count()).toBe(4);
    // 3 questions, one answered at once: a third within the target, and within 4 hours.
    expect(await share(page, 'Within the target')).toBe('33.3%');
    expect(await share(page, 'Within 4 hours')).toBe('33.3%');
    await expectAccessible(page);
    await screenshot(page, 'staff-dashboard');

    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Unanswered questions' }).click();
    await page.waitForURL(url(`/c/${cast.slug}/staff/questions`));
    const row = page.locator('li.thread-row', { hasText: 'Grinder is noisy' });
    expect(await row.locator('.badge-overdue').textContent()).toBe('Overdue');
    expect(await row.locator('[data-time-left]').textContent()).toMatch(/^Overdue by /);
    expect(await page.locator('li.thread-row .thread-title').allTextContents()).toEqual(['Grinder is noisy', 'Which water filter fits the Brewer 3?']);
    expect(await page.locator('li.thread-row').nth(1).locator('[data-time-left]').textContent()).toMatch(/ left$/);
    await expectAccessible(page);
    await screenshot(page, 'staff-questions');

    await row.getByRole('link', { name: 'Grinder is noisy' }).click();
    await page.waitForURL(new RegExp(`/t/${late.id}/`));
    await page.getByLabel('Your reply').fill('A burr was loose: tighten the top screw a quarter turn.');
    await page.getByRole('button', { name: 'Post reply' }).click();
    await page.waitForURL(/#post-[0-9a-f-]{36}$/);

    await page.goto(url(`/c/${cast.slug}/staff/questions`));
    expect(await page.locator('li.thread-row .thread-title').allTextContents()).toEqual(['Which water filter fits the Brewer 3?']);

    await page.goto(url(`/c/${cast.slug}/staff`));
    await page.locator('body[data-charts="drawn"]').waitFor();
    // Answered 2 hours after it was asked: within 4 hours now, still not within the 1-hour target.
    expect(await share(page, 'Within 4 hours')).toBe('66.7%');
    expect(await share(page, 'Within the target')).toBe('33.3%');
    expect(await share(page, 'Within 1 hour')).toBe('33.3%');

    // Dark colours pass the contrast checks too; at 360 px nothing spills sideways.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('body[data-charts="drawn"]').waitFor();
    await expectAccessible(page);
    await screenshot(page, 'staff-dashboard-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: 800 });
    await page.waitForTimeout(300);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await page.setViewportSize({ width: 1280, height: 900 });

    // The range picker: a bad range is refused next to its field; a preset works.
    await page.getByLabel('From').fill('2026-03-10');
    await page.getByLabel('To (included)').fill('2026-03-01');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/from=2026-03-10/);
    expect(await page.locator('#range-to-error').textContent()).toBe('The last day must be on or after the first day');
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('range-to');
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Last 7 days' }).click();
    await page.waitForURL(/\?days=7$/);
    await page.locator('body[data-charts="drawn"]').waitFor();
    expect(await page.locator('#chart-content .chart-table tbody tr').count()).toBe(7);

    // The most engaged members link to their staff page.
    await page.locator('#chart-engaged').getByRole('link', { name: cast.member.displayName }).click();
    await page.waitForURL(url(`/c/${cast.slug}/staff/members/${cast.member.id}`));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(cast.member.displayName);
    expect(await page.locator('#threads-heading + ol .thread-title').allTextContents()).toEqual(['Descaling the kettle', 'Grinder is noisy']);
    await expectAccessible(page);
    await screenshot(page, 'staff-member');
    expect(problems).toEqual([]);
  });

  it('a support request appears in the queue without reloading, and claiming it opens its room', async () => {
    const { page, problems } = await staffPage();
    await page.goto(url(`/c/${cast.slug}/staff/support`));
    expect(await page.getByText('No one is waiting.').isVisible()).toBe(true);
    await page.locator('body[data-live="on"]').waitFor();
    // The server puts the socket in the community's staff room just after the connection.
    const io = t.app.get(Realtime).io!;
    await eventually(async () => (await io.in(SocketRooms.staff(cast.communityId)).fetchSockets()).length > 0);
    const opened = await t.http.post(`/api/v1/communities/${cast.slug}/chat/rooms`, { kind: 'support' }, { token: customer.accessToken });
    expect(opened.status).toBe(201);
    const row = page.locator(`li[data-room-id="${opened.body.id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-field="customer"]').textContent()).toBe(customer.displayName);
    expect(await page.locator('[data-live-status]').textContent()).toBe(`New support request from ${customer.displayName}`);
    expect(await page.getByText('No one is waiting.').isVisible()).toBe(false);
    await expectAccessible(page);
    await screenshot(page, 'staff-support');

    await row.getByRole('button', { name: `Claim the chat with ${customer.displayName}` }).click();
    await page.waitForURL(url(`/c/${cast.slug}/chat/${opened.body.id}`));
    const [room] = await db.query<{ support_status: string; claimed_by: string }>('SELECT support_status, claimed_by FROM chat_rooms WHERE id = $1', [opened.body.id]);
    expect(room).toEqual({ support_status: 'claimed', claimed_by: cast.staff.id });

    await page.goto(url(`/c/${cast.slug}/staff/support`));
    const claimed = page.locator(`[data-queue="claimed"] li[data-room-id="${opened.body.id}"]`);
    expect(await claimed.locator('.thread-meta strong').first().textContent()).toBe('you');
    await expectAccessible(page);
    await claimed.getByRole('button', { name: `Close the chat with ${customer.displayName}` }).click();
    await page.waitForURL(url(`/c/${cast.slug}/staff/support?closed=1`));
    expect(await page.locator('p.notice[role="status"]').textContent()).toBe('The support chat is closed.');
    expect(problems).toEqual([]);
  });
});
