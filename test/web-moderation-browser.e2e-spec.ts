import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot, logInAs } from './support/browser';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, TestUser } from './support/factories';

/**
 * Moderators in a real browser: two of them open the same review item, the first hides it and the
 * second's dismiss shows the conflict plainly; a sanction given and lifted; a thread pinned and
 * locked; axe-core on every moderator page.
 */
describeInBrowser('moderator pages in a browser', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let mod2: TestUser;
  let thread: any;
  let spam: any;
  let member2Username: string;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
    mod2 = await createMember(t.http, cast.admin.accessToken, cast.slug, 'moderator');
    const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'brewing', name: 'Brewing' });
    thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Pour-over ratio', body: 'I use **1:16**. Thoughts?' });
    spam = await reply(t.http, cast.member2.accessToken, thread.id, 'Best filters at [cheap-filters.example](https://cheap-filters.example) – buy now!');
    const rude = await reply(t.http, cast.member2.accessToken, thread.id, 'Only beginners weigh their coffee.');
    const file = (user: TestUser, postId: string, reason: string, note?: string) =>
      t.http.post('/api/v1/reports', { targetType: 'post', targetId: postId, reason, note }, { token: user.accessToken });
    expect((await file(cast.staff, spam.id, 'spam', 'Third link this week')).status).toBe(201);
    expect((await file(cast.member, spam.id, 'spam')).status).toBe(201);
    expect((await file(cast.member, rude.id, 'abuse', 'Unkind to new people')).status).toBe(201);
    // A watched word that holds posts for approval, and one held post.
    const rules = await t.http.put(
      `/api/v1/communities/${cast.slug}/moderation/rules`,
      { watchedWords: [{ pattern: 'giveaway', action: 'queue' }], queueNewMemberFirstPost: false },
      { token: cast.admin.accessToken },
    );
    expect(rules.status).toBe(200);
    await reply(t.http, cast.member.accessToken, thread.id, 'Join my giveaway for a free kettle');
    member2Username = (await t.http.get(`/api/v1/users/${cast.member2.id}`)).body.username;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;

  async function signIn(user: TestUser, next: string, viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await newContext(browser, viewport ? { viewport } : {});
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, user, next);
    return { context, page };
  }

  it('two moderators open one item: the first hides it, the second sees the conflict plainly', async () => {
    const reviewPath = `/c/${cast.slug}/mod/review`;
    const a = await signIn(cast.moderator, reviewPath);
    const b = await signIn(mod2, reviewPath);
    const item = (p: Page) => p.locator('article.review-item', { hasText: 'cheap-filters.example' });
    expect(await item(a.page).count()).toBe(1);
    expect(await item(b.page).count()).toBe(1);
    // The highest score first: the spam (staff 5 + new member 1) before the rude reply (1).
    const titles = await a.page.locator('section article.review-item .post-body').allInnerTexts();
    expect(titles[0]).toContain('Best filters at cheap-filters.example');
    expect(await item(a.page).locator('.mod-reports li').allInnerTexts()).toEqual([
      expect.stringMatching(new RegExp(`^Spam by ${cast.staff.displayName} @\\S+ \\(trust: staff, weight 5\\)[^]*Third link this week$`)),
      expect.stringMatching(new RegExp(`^Spam by ${cast.member.displayName} @\\S+ \\(trust: new member, weight 1\\)`)),
    ]);
    await expectAccessible(a.page);
    await screenshot(a.page, 'mod-review');

    await item(a.page).getByRole('button', { name: 'Hide' }).click();
    await a.page.waitForURL(/\/mod\/review\?resolved=[0-9a-f-]{36}$/);
    expect(await a.page.getByRole('status').filter({ hasText: 'Resolved' }).textContent()).toBe('Resolved: Reported post in “Pour-over ratio”, hide.');
    expect(await item(a.page).count()).toBe(0);

    // The second moderator's page is stale: dismiss loses, and says so on the review page itself.
    await item(b.page).getByRole('button', { name: 'Dismiss' }).click();
    const alert = b.page.locator('[data-conflict]');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(new RegExp(`^Already resolved by ${cast.moderator.displayName} at \\d{1,2} \\w{3} \\d{4}, \\d{2}:\\d{2} UTC: hide$`));
    expect(await b.page.getByRole('heading', { level: 1 }).textContent()).toBe('Review queue');
    expect(await b.page.locator('#conflict article.review-item .badge', { hasText: 'Hidden' }).count()).toBe(1);
    expect(await b.page.locator('#conflict .mod-reports li').first().innerText()).toContain('(trust: staff, weight 5)');
    await expectAccessible(b.page);
    await screenshot(b.page, 'mod-review-conflict');
    // Nobody but moderators sees the hidden post.
    const posts = await t.http.get(`/api/v1/threads/${thread.id}/posts?limit=100`);
    expect(posts.body.items.map((p: any) => p.id)).not.toContain(spam.id);

    // Queued posts: approve the held one.
    await b.page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Queued posts' }).click();
    await b.page.waitForURL(url(`/c/${cast.slug}/mod/queued`));
    expect(await b.page.locator('article.review-item').count()).toBe(1);
    await expectAccessible(b.page);
    await b.page.getByRole('button', { name: 'Approve' }).click();
    await b.page.waitForURL(/\/mod\/queued\?resolved=/);
    expect(await b.page.getByRole('status').filter({ hasText: 'Approved' }).textContent()).toBe('Approved and published: “Pour-over ratio”.');
    expect(await b.page.getByText('No post is waiting for approval.').count()).toBe(1);
    await a.context.close();
    await b.context.close();
  });

  it('a moderator gives a sanction and lifts it', async () => {
    const path = `/c/${cast.slug}/mod/sanctions`;
    const { context, page } = await signIn(cast.moderator, path);
    await expectAccessible(page);
    // Bad input first: the errors are next to the fields.
    await page.getByRole('button', { name: 'Give sanction' }).click();
    await page.waitForURL(url(path));
    expect(await page.locator('#give-username-error').textContent()).toBe("Enter the member's username");
    expect(await page.locator('#give-reason-error').textContent()).toBe('Say why (the member sees it)');
    await expectAccessible(page);

    await page.getByLabel("Member's username").fill(member2Username);
    await page.getByLabel('Kind', { exact: true }).selectOption('suspend');
    await page.getByLabel('For', { exact: true }).selectOption('3d');
    await page.getByLabel('Reason').fill('Spam links after a warning');
    await page.getByRole('button', { name: 'Give sanction' }).click();
    await page.waitForURL(/\/mod\/sanctions\?given=/);
    expect(await page.locator('p.notice').textContent()).toBe(`Suspend given for ${cast.member2.displayName}.`);
    const row = page.locator('#active li', { hasText: 'Spam links after a warning' });
    expect(await row.locator('.badge').textContent()).toBe('Suspend');
    await expectAccessible(page);
    await screenshot(page, 'mod-sanctions');
    expect((await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'Still here' }, { token: cast.member2.accessToken })).status).toBe(403);

    await row.getByRole('button', { name: `Lift the suspend of ${cast.member2.displayName}` }).click();
    await page.waitForURL(/\/mod\/sanctions\?lifted=/);
    expect(await page.locator('p.notice').textContent()).toBe(`Suspend lifted for ${cast.member2.displayName}.`);
    expect(await page.getByText('No member is sanctioned now.').count()).toBe(1);
    expect(await page.locator('#past li', { hasText: 'Spam links after a warning' }).count()).toBe(1);
    expect((await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'Back again' }, { token: cast.member2.accessToken })).status).toBe(201);
    await context.close();
  });

  it('a moderator pins and locks a thread, and finds both in the audit log', async () => {
    const threadPath = `/t/${thread.id}/pour-over-ratio`;
    const { context, page } = await signIn(cast.moderator, threadPath);
    const tools = page.getByRole('region', { name: 'Moderator tools' });
    await expectAccessible(page);
    await tools.getByRole('button', { name: 'Pin' }).click();
    await page.waitForURL(url(`${threadPath}#thread-tools`));
    await tools.getByRole('button', { name: 'Lock' }).click();
    await page.waitForURL(url(`${threadPath}#thread-tools`));
    expect(await page.locator('.thread-meta .badge').allTextContents()).toEqual(expect.arrayContaining(['Pinned', 'Locked']));
    expect(await tools.getByRole('button', { name: 'Unpin' }).count()).toBe(1);
    expect(await tools.getByRole('button', { name: 'Unlock' }).count()).toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'mod-thread-tools');

    // The audit log (the thread events reach it through the outbox).
    await page.goto(url(`/c/${cast.slug}/mod/audit`));
    await expectAccessible(page);
    await page.getByLabel('Action').selectOption('thread.locked');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/mod\/audit\?actor=&action=thread.locked&targetType=&target=&from=&to=$/);
    for (let i = 0; i < 50 && (await page.locator('.audit-log li').count()) === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await page.reload();
    }
    expect(await page.locator('.audit-log li .thread-title').allTextContents()).toEqual(['Thread locked']);
    await expectAccessible(page);
    await screenshot(page, 'mod-audit');
    await context.close();
  });

  it('fits a 360 px wide phone', async () => {
    const { context, page } = await signIn(cast.moderator, `/c/${cast.slug}/mod/review`, { width: 360, height: 740 });
    for (const path of ['review', 'queued', 'sanctions', 'audit'].map((p) => `/c/${cast.slug}/mod/${p}`).concat(`/t/${thread.id}/pour-over-ratio`)) {
      await page.goto(url(path));
      expect({ path, width: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({ path, width: 360 });
    }
    await context.close();
  });
});
