import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot, logInAs } from './support/browser';
import { Cast, createBoard, createCast } from './support/content';
import { createMember, eventually, registerUser, TestUser, unique } from './support/factories';

/**
 * The admin pages in Chromium (issue 24): an admin creates a board, orders boards by drag and drop,
 * by keyboard and without JavaScript, changes a member's role, saves a bad setting (the error next
 * to the field) and then a good one, adds an automod rule; a platform admin creates a community
 * with its first admin. axe-core on every page, light and dark; 360 px wide.
 */
describeInBrowser('admin pages in a browser', () => {
  jest.setTimeout(180_000);
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let communityAdmin: TestUser;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
    communityAdmin = await createMember(t.http, cast.admin.accessToken, cast.slug, 'admin');
    await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'news', name: 'News' });
    await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'ideas', name: 'Ideas' });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;
  const admin = (path: string) => url(`/c/${cast.slug}/admin/${path}`);
  const boardOrder = async () =>
    ((await t.http.get(`/api/v1/communities/${cast.slug}/boards?limit=100`, { token: cast.admin.accessToken })).body.items as Array<{ name: string }>).map((b) => b.name);
  const shownOrder = (page: Page) => page.locator('.admin-board-name').allTextContents();


  /** Waits (up to 10 s) for the element's text, then asserts it: the failure names what was there. */
  async function expectText(locator: Locator, expected: string) {
    await eventually(async () => ((await locator.textContent()) ?? '').trim() === expected).catch(() => undefined);
    expect(((await locator.textContent()) ?? '').trim()).toBe(expected);
  }
  const isFocused = (locator: Locator) => locator.evaluate((el) => el === el.ownerDocument.activeElement);

  async function signIn(context: BrowserContext, user: TestUser, next: string): Promise<Page> {
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, user, next);
    return page;
  }

  it('an admin creates a board and orders the boards by drag and drop and by keyboard', async () => {
    const context = await newContext(browser);
    const page = await signIn(context, communityAdmin, `/c/${cast.slug}/admin/boards`);
    expect(await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Boards' }).getAttribute('aria-current')).toBe('page');
    await expectAccessible(page);

    // A bad slug first: the error is next to the field, which has the focus.
    const create = page.getByRole('region', { name: 'New board' });
    await create.getByLabel('Name').fill('Buyer shows');
    await create.getByLabel('Slug').fill('Buyer Shows!');
    await create.getByLabel('Kind').selectOption('showcase');
    await create.getByLabel('Who can see it').selectOption('members');
    await create.getByRole('button', { name: 'Create board' }).click();
    await expectText(page.locator('#create-slug-error'), 'slug must be 1-40 lowercase letters, digits or inner hyphens');
    expect(await isFocused(page.locator('#create-slug'))).toBe(true);
    expect(await page.locator('#create-slug').getAttribute('aria-describedby')).toBe('create-slug-help create-slug-error');
    await expectAccessible(page);
    await page.locator('#create-slug').fill('buyer-shows');
    await create.getByRole('button', { name: 'Create board' }).click();
    await page.waitForURL(admin('boards?saved=created'));
    await page.getByRole('status').filter({ hasText: 'The board is created.' }).waitFor({ state: 'visible' });
    expect(await shownOrder(page)).toEqual(['News', 'Ideas', 'Buyer shows']);

    // Drag and drop: Buyer shows to the top.
    await page.locator('[data-board-name="Buyer shows"]').dragTo(page.locator('[data-board-name="News"]'), { targetPosition: { x: 20, y: 4 } });
    await expectText(page.locator('[data-order-status]'), 'Buyer shows is now number 1 of 3. Order saved.');
    expect(await shownOrder(page)).toEqual(['Buyer shows', 'News', 'Ideas']);
    expect(await boardOrder()).toEqual(['Buyer shows', 'News', 'Ideas']);
    await expectAccessible(page);
    await screenshot(page, 'admin-boards');

    // Keyboard: Tab to "Move down: News", Enter; the focus stays on it, the order is saved.
    const moveDown = page.getByRole('button', { name: 'Move down: News' });
    await moveDown.focus();
    await page.keyboard.press('Enter');
    await expectText(page.locator('[data-order-status]'), 'News is now number 3 of 3. Order saved.');
    expect(await shownOrder(page)).toEqual(['Buyer shows', 'Ideas', 'News']);
    // At the bottom Move down is disabled, so Move up takes the focus.
    expect(await isFocused(page.getByRole('button', { name: 'Move up: News' }))).toBe(true);
    expect(await page.getByRole('button', { name: 'Move down: News' }).isDisabled()).toBe(true);
    await page.keyboard.press('Enter');
    await expectText(page.locator('[data-order-status]'), 'News is now number 2 of 3. Order saved.');
    expect(await boardOrder()).toEqual(['Buyer shows', 'News', 'Ideas']);
    await page.reload();
    expect(await shownOrder(page)).toEqual(['Buyer shows', 'News', 'Ideas']);

    // Edit a board.
    await page.getByRole('link', { name: 'Edit: Ideas' }).click();
    const edit = page.getByRole('region', { name: 'Edit board: Ideas' });
    await edit.getByLabel('Name').fill('Ideas and wishes');
    await edit.getByRole('button', { name: 'Save board' }).click();
    await page.getByRole('status').filter({ hasText: 'The board is saved.' }).waitFor({ state: 'visible' });
    expect(await shownOrder(page)).toEqual(['Buyer shows', 'News', 'Ideas and wishes']);

    // Dark colours pass too.
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page);
    await context.close();
  });

  it('without JavaScript, Move up and Move down are forms', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false });
    const page = await signIn(context, communityAdmin, `/c/${cast.slug}/admin/boards`);
    const before = await shownOrder(page);
    await page.getByRole('button', { name: `Move up: ${before[2]}` }).click();
    await page.waitForURL(/\/admin\/boards\?saved=order#board-/);
    expect(await shownOrder(page)).toEqual([before[0], before[2], before[1]]);
    expect(await boardOrder()).toEqual([before[0], before[2], before[1]]);
    await page.getByRole('status').filter({ hasText: 'The order is saved.' }).waitFor({ state: 'visible' });
    await context.close();
  });

  it('an admin changes a member\'s role, saves a bad setting then a good one, and adds an automod rule', async () => {
    const context = await newContext(browser);
    const page = await signIn(context, communityAdmin, `/c/${cast.slug}/admin/roles`);
    await expectAccessible(page);
    const row = page.locator(`#member-${cast.member.id}`);
    await row.getByLabel(`Role of ${cast.member.displayName}`).selectOption('staff');
    await row.getByRole('button', { name: `Change role of ${cast.member.displayName}` }).click();
    await expectText(page.locator('.admin-notice'), `${cast.member.displayName} is now staff.`);
    await expectText(page.locator(`#member-${cast.member.id} [data-role]`), 'Staff');
    expect((await t.http.get(`/api/v1/communities/${cast.slug}/members?role=staff`, { token: cast.admin.accessToken })).body.items.map((m: any) => m.user.id)).toContain(cast.member.id);
    await expectAccessible(page);
    await screenshot(page, 'admin-roles');

    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(admin('settings'));
    await expectAccessible(page);
    const flags = page.getByLabel('Flags to hide');
    expect(await flags.inputValue()).toBe('3');
    await flags.fill('0');
    await page.getByRole('button', { name: 'Save chat and moderation' }).click();
    await expectText(page.locator('#setting-flagsToHide-error'), 'Must be at least 1');
    expect(await isFocused(flags)).toBe(true);
    expect(await flags.inputValue()).toBe('0');
    expect(await flags.getAttribute('aria-invalid')).toBe('true');
    await expectText(page.getByRole('alert'), 'Please correct the settings marked below.');
    await expectAccessible(page);
    await screenshot(page, 'admin-settings-error');
    await flags.fill('4');
    await page.getByRole('button', { name: 'Save chat and moderation' }).click();
    await page.waitForURL(admin('settings?saved=chat#chat'));
    await expectText(page.locator('.admin-notice'), 'Chat and moderation: saved.');
    expect(await page.getByLabel('Flags to hide').inputValue()).toBe('4');
    expect((await t.http.get(`/api/v1/communities/${cast.slug}/settings`, { token: cast.admin.accessToken })).body.flagsToHide).toBe(4);

    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Automod' }).click();
    await page.waitForURL(admin('automod'));
    await page.getByLabel('Word or phrase').fill('free money');
    await page.getByLabel('Hold for review').check();
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.waitForURL(admin('automod?saved=added#words'));
    await expectText(page.locator('tr[data-rule="free money"] td').nth(1), 'Hold for review');
    await expectAccessible(page);
    await context.close();
  });

  it('a platform admin creates a community and appoints its first admin', async () => {
    const future = await registerUser(t.http);
    const username = (await t.http.get(`/api/v1/users/${future.id}`)).body.username as string;
    const context = await newContext(browser);
    const page = await signIn(context, cast.admin, '/admin');
    await expectAccessible(page);
    const slug = unique('brand');
    const form = page.getByRole('region', { name: 'New community' });
    await form.getByLabel('Name').fill('Kettle Club');
    await form.getByLabel('Slug').fill(slug);
    await form.getByLabel('First admin (optional)').fill('no-such-user-here');
    await form.getByRole('button', { name: 'Create community' }).click();
    await expectText(page.locator('#community-firstAdmin-error'), 'No account has this email address or username');
    await expectAccessible(page);
    await form.getByLabel('First admin (optional)').fill(`@${username}`);
    await form.getByRole('button', { name: 'Create community' }).click();
    await page.waitForURL(url(`/admin?created=${slug}`));
    await expectText(page.locator('.admin-notice'), 'Kettle Club is created.');
    expect(await page.locator(`tr[data-community="${slug}"]`).textContent()).toContain('Kettle Club');
    const admins = await t.http.get(`/api/v1/communities/${slug}/members?role=admin`, { token: cast.admin.accessToken });
    expect(admins.body.items.map((m: any) => m.user.id)).toContain(future.id);
    await screenshot(page, 'platform-admin');
    await context.close();
  });

  it('fits a 360 px wide phone', async () => {
    const context = await newContext(browser, { viewport: { width: 360, height: 740 } });
    const page = await signIn(context, cast.admin, `/c/${cast.slug}/admin/boards`);
    for (const path of [`/c/${cast.slug}/admin/boards`, `/c/${cast.slug}/admin/roles`, `/c/${cast.slug}/admin/settings`, `/c/${cast.slug}/admin/automod`, '/admin']) {
      await page.goto(url(path));
      expect({ path, width: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({ path, width: 360 });
    }
    await context.close();
  });
});
