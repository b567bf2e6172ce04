import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot, logInAs } from './support/browser';
import { Cast, createBoard, createCast, createThread } from './support/content';
import { createMember, TestUser } from './support/factories';
import { signInPage } from './support/page-client';

/**
 * The brand look in a browser: the community's admin sets a logo, a colour (refused first when
 * white text would be unreadable) and custom CSS (refused first with an @import), previews the
 * draft, publishes; a member's community pages then show the colour, the CSS and the logo, in light
 * and dark; a member gets the 404 page at the look page. axe-core on each, no script errors under the CSP.
 */
describeInBrowser('brand look in a browser', () => {
  jest.setTimeout(180_000);
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let brandAdmin: TestUser;

  const CSS = '.site-header .community-link { font-weight: 800; letter-spacing: 0.02em }\n@media (prefers-color-scheme: dark) {\n  .site-header { background: #10233f }\n}';

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
    brandAdmin = await createMember(t.http, cast.admin.accessToken, cast.slug, 'admin');
    const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'kettles', name: 'Kettles' });
    await createThread(t.http, cast.member.accessToken, board.id, { title: 'Kettle lid squeaks' });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;
  const lookPath = () => `/c/${cast.slug}/admin/look`;

  async function signedIn(user: TestUser, next: string): Promise<{ page: Page; problems: string[] }> {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) problems.push(`console: ${msg.text()}`);
    });
    await logInAs(page, t.baseUrl, user, next);
    return { page, problems };
  }

  /** A computed style property of the first element matching `selector`. */
  const style = (page: Page, selector: string, property: string) =>
    page.locator(selector).first().evaluate((el, prop) => (globalThis as any).getComputedStyle(el).getPropertyValue(prop) as string, property);

  async function accessibleInBothSchemes(page: Page) {
    await page.emulateMedia({ colorScheme: 'light' });
    await expectAccessible(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(page);
    await page.emulateMedia({ colorScheme: 'light' });
  }

  it('an admin sets the logo, colour and CSS (refusals shown by the fields), previews, publishes; a member sees it in light and dark', async () => {
    const { page, problems } = await signedIn(brandAdmin, lookPath());
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Brand look');
    expect(await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Look' }).getAttribute('aria-current')).toBe('page');
    await accessibleInBothSchemes(page);

    // The logo, through the upload pipeline.
    const png = await sharp({ create: { width: 240, height: 240, channels: 3, background: { r: 26, g: 95, b: 208 } } }).png().toBuffer();
    await page.getByLabel('Logo image').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('button', { name: 'Save logo' }).click();
    await page.waitForURL(url(`${lookPath()}?saved=logo`));
    expect(await page.getByRole('status').filter({ hasText: 'logo' }).textContent()).toBe('The logo is saved.');
    expect(await page.getByAltText('The logo now').evaluate((img) => (img as any).naturalWidth as number)).toBe(256);

    // A colour too light for white text: refused next to the field, nothing published.
    await page.getByLabel('As #rrggbb').fill('#ffcc00');
    await page.getByLabel('Custom CSS (optional)').fill('@import url(https://evil.example/x.css);\n.card { color: red }');
    await page.getByRole('button', { name: 'Publish' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('Nothing was published: please correct the fields marked below.');
    expect(await page.locator('#look-colour-error').textContent()).toMatch(/^White text on #ffcc00 has a contrast of 1\.\d\d:1; at least 4\.5:1 is needed/);
    expect(await page.getByLabel('As #rrggbb').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#look-css-error li').allTextContents()).toEqual([
      'line 1: @import is not allowed (allowed: @media, @supports, @keyframes, @container, @layer)',
      'line 1: url() is not allowed: images and fonts come only from the look\'s logo and the default theme',
    ]);
    expect(await page.getByLabel('Custom CSS (optional)').inputValue()).toContain('@import');
    await expectAccessible(page);

    // The picker and the text stay in step (look-admin.js), with the contrast said as one picks.
    await page.getByLabel('Pick').fill('#1a5fd0');
    expect(await page.getByLabel('As #rrggbb').inputValue()).toBe('#1a5fd0');
    expect(await page.locator('#look-colour-help').textContent()).toContain('Picked: #1a5fd0, contrast 5.84:1 (readable).');
    expect(await page.locator('#look-colour-help').textContent()).not.toContain('1.51:1');

    // Preview: the draft applies to the sample only; the community still has the default colour.
    await page.getByLabel('Custom CSS (optional)').fill(CSS);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: 'Preview of your draft (not published)' }).waitFor();
    expect(await style(page, '[data-look-sample-button]', 'background-color')).toBe('rgb(26, 95, 208)');
    expect(await style(page, '[data-look-preview] .community-link', 'font-weight')).toBe('800');
    // ... not to this page's own header (the custom CSS never applies here).
    expect(await style(page, 'header.site-header .community-link', 'font-weight')).toBe('600');
    expect((await t.http.get(`/api/v1/communities/${cast.slug}/look`)).body.primaryColor).toBeNull();
    await accessibleInBothSchemes(page);
    await screenshot(page, 'admin-look-preview');

    await page.getByRole('button', { name: 'Publish' }).click();
    await page.waitForURL(url(`${lookPath()}?saved=look`));
    expect(await page.getByRole('status').filter({ hasText: 'published' }).textContent()).toBe('The look is published: every page of the community shows it now.');
    expect(await page.getByLabel('As #rrggbb').inputValue()).toBe('#1a5fd0');
    expect(await page.getByLabel('Custom CSS (optional)').inputValue()).toBe(CSS);
    // This page takes the colour (its own buttons) but not the custom CSS.
    expect(await style(page, 'button[value="publish"]', 'background-color')).toBe('rgb(26, 95, 208)');
    expect(await style(page, 'header.site-header .community-link', 'font-weight')).toBe('600');
    await accessibleInBothSchemes(page);
    await screenshot(page, 'admin-look');
    expect(problems).toEqual([]);

    // A member's community pages: the colour on the primary button, the CSS, the logo in the header.
    const member = await signedIn(cast.member, `/c/${cast.slug}`);
    const home = member.page;
    expect(await style(home, '.site-search button', 'background-color')).toBe('rgb(26, 95, 208)');
    expect(await style(home, '.site-search button', 'color')).toBe('rgb(255, 255, 255)');
    expect(await style(home, 'header.site-header .community-link', 'font-weight')).toBe('800');
    const logo = home.locator('header.site-header img.community-logo');
    expect(await logo.evaluate((img) => (img as any).naturalWidth as number)).toBe(256);
    await accessibleInBothSchemes(home);
    await screenshot(home, 'member-community-branded');
    await home.emulateMedia({ colorScheme: 'dark' });
    expect(await style(home, 'header.site-header', 'background-color')).toBe('rgb(16, 35, 63)');
    expect(await style(home, '.site-search button', 'background-color')).toBe('rgb(26, 95, 208)');
    await screenshot(home, 'member-community-branded-dark');

    // The board page too (every page with a community).
    await home.getByRole('link', { name: 'Kettles' }).first().click();
    await home.waitForURL(url(`/c/${cast.slug}/b/kettles`));
    expect(await style(home, '.site-search button', 'background-color')).toBe('rgb(26, 95, 208)');
    expect(await home.locator('header.site-header img.community-logo').count()).toBe(1);
    expect(member.problems).toEqual([]);
  });

  it('a member who types the look page\'s address gets the 404 page; a guest is sent to log in', async () => {
    const { page } = await signedIn(cast.member, `/c/${cast.slug}`);
    const res = await page.goto(url(lookPath()));
    expect(res?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).not.toContain('Brand look');
    await expectAccessible(page);

    const guest = await (await newContext(browser)).newPage();
    await guest.goto(url(lookPath()));
    expect(new URL(guest.url()).pathname).toBe('/login');
  });

  it('the look page fits a 360 px wide phone', async () => {
    const context = await newContext(browser, { viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, brandAdmin, lookPath());
    expect(await page.evaluate(() => (globalThis as any).document.scrollingElement.scrollWidth as number)).toBeLessThanOrEqual(360);
    await expectAccessible(page);
  });

  it('refuses the look forms and the preview stylesheet to members and other communities\' admins, with a valid CSRF token', async () => {
    const before = (await t.http.get(`/api/v1/communities/${cast.slug}/look`)).body;
    for (const user of [cast.member, cast.staff, cast.moderator, cast.outsider]) {
      const client = await signInPage(t.baseUrl, user.email, user.password);
      const csrf = client.csrfFrom((await client.get('/settings')).text);
      const publish = await client.post(lookPath(), { _csrf: csrf, primaryColor: '#000000', customCss: '', intent: 'publish' });
      expect(publish.status).toBe(404);
      expect((await client.post(`${lookPath()}/logo`, { _csrf: csrf, intent: 'remove' })).status).toBe(404);
      expect((await client.get(`${lookPath()}/preview/live-1.css`)).status).toBe(404);
      expect((await client.get(lookPath())).status).toBe(404);
    }
    // Without the CSRF token even the admin changes nothing.
    const admin = await signInPage(t.baseUrl, brandAdmin.email, brandAdmin.password);
    expect((await admin.post(lookPath(), { primaryColor: '#000000', customCss: '', intent: 'publish' })).status).toBe(403);
    expect((await t.http.get(`/api/v1/communities/${cast.slug}/look`)).body).toEqual(before);
  });
});
