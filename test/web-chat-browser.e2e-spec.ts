import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, newContext, screenshot, logInAs } from './support/browser';
import { Cast, createCast } from './support/content';
import { TestUser } from './support/factories';
import { ask, connectSocket } from './support/sockets';

/**
 * The chat pages in Chromium: a member opens a support chat, a staff member (a second browser)
 * claims it and answers; the member sees the claim, the typing indicator and the answer live, without
 * reloading; the keyboard alone sends; a member of another community gets the 404 page; a 360 px
 * phone; without JavaScript the form still sends. axe-core on every page.
 */
describeInBrowser('chat pages in a browser', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let roomPath = '';
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
  }, 180_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;

  async function signedIn(user: TestUser, options: Parameters<typeof newContext>[1] = {}): Promise<Page> {
    const context = await newContext(browser, options);
    contexts.push(context);
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, user, `/c/${cast.slug}`);
    return page;
  }
  const live = (page: Page) => page.waitForSelector('body[data-live="on"]');
  const messages = (page: Page) => page.locator('#messages > li .chat-message-body');
  const texts = async (page: Page) => (await messages(page).allTextContents()).map((s) => s.trim());

  it('a member asks support; staff claim and answer; the member sees typing and the answer live', async () => {
    const member = await signedIn(cast.member);
    await member.getByRole('navigation', { name: 'Community' }).getByRole('link', { name: 'Chat' }).click();
    await member.waitForURL(url(`/c/${cast.slug}/chat`));
    await expectAccessible(member);
    await screenshot(member, 'chat-list-empty');

    await member.getByRole('button', { name: `Chat with Community ${cast.slug} support` }).click();
    await member.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    roomPath = new URL(member.url()).pathname;
    await live(member);
    expect(await member.locator('#support-status').textContent()).toBe('Waiting for a staff member');
    await member.getByRole('textbox', { name: 'Message' }).fill('My kettle has white spots inside. How do I clean it?');
    await member.getByRole('textbox', { name: 'Message' }).press('Enter');
    await member.locator('#messages > li').first().waitFor();
    expect(await texts(member)).toEqual(['My kettle has white spots inside. How do I clean it?']);
    expect(await member.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('');
    await expectAccessible(member);
    // A marker on the window: gone if the page reloads.
    await member.evaluate('window.__sameDocument = true');

    const staff = await signedIn(cast.staff);
    await staff.goto(url(roomPath));
    expect(await staff.locator('#send-blocked').textContent()).toBe('Claim this support chat before answering it');
    await expectAccessible(staff);
    await staff.getByRole('button', { name: 'Claim' }).click();
    await staff.waitForSelector('#send-form');
    await live(staff);
    expect(await staff.locator('#support-status').textContent()).toBe('With you');
    expect(await texts(staff)).toEqual(['My kettle has white spots inside. How do I clean it?']);

    // The member's page follows the claim, then the typing, then the answer, without reloading.
    await member.locator('#support-status', { hasText: `With ${cast.staff.displayName}` }).waitFor();
    expect(await member.locator('#support-status').textContent()).toBe(`With ${cast.staff.displayName}`);
    await member.locator(`#people li[data-user-id="${cast.staff.id}"] .presence.is-online`).waitFor();
    await staff.getByRole('textbox', { name: 'Message' }).pressSequentially('Citric', { delay: 20 });
    await member.locator('#typing', { hasText: 'is typing…' }).waitFor();
    expect(await member.getByRole('status').filter({ hasText: 'is typing' }).textContent()).toBe(`${cast.staff.displayName} is typing…`);
    await screenshot(member, 'chat-support-typing');
    await staff.getByRole('textbox', { name: 'Message' }).fill('Use **citric acid**: two spoons, boil, rinse twice.');
    await staff.getByRole('button', { name: 'Send' }).click();
    await member.locator('#messages > li').nth(1).waitFor();
    expect(await member.locator('#messages > li').last().locator('strong').textContent()).toBe('citric acid');
    expect(await member.locator('#messages > li').last().locator('.author').textContent()).toBe(cast.staff.displayName);
    expect(await member.locator('#messages > li').last().locator('.badge').textContent()).toBe('Staff');
    expect(await member.locator('#messages > li').first().locator('.badge').count()).toBe(0);
    // The answer ends the typing indicator; the page never reloaded.
    expect(await member.locator('#typing').textContent()).toBe('');
    expect(await member.evaluate('window.__sameDocument')).toBe(true);
    await expectAccessible(member);
    await screenshot(member, 'chat-support-answered');
    await expectAccessible(staff);
    await screenshot(staff, 'chat-support-staff');

    // Edits and deletes arrive live too (the gateway's message:updated and message:deleted).
    const answerId = (await member.locator('#messages > li').last().getAttribute('id'))!.slice('message-'.length);
    const staffSocket = await connectSocket(t.baseUrl, cast.staff.accessToken);
    try {
      expect(await ask(staffSocket, 'message:edit', { messageId: answerId, body: 'Use **citric acid**: two spoons, boil, rinse three times.' })).toMatchObject({ ok: true });
      await member.locator(`#message-${answerId} .edited`).waitFor();
      expect((await member.locator(`#message-${answerId} .chat-message-body`).textContent())!.trim()).toBe('Use citric acid: two spoons, boil, rinse three times.');
      const oops = await ask(staffSocket, 'message:send', { roomId: roomPath.split('/').pop(), body: 'Sorry, wrong chat', clientId: 'oops-1' });
      expect(oops).toMatchObject({ ok: true });
      await member.locator(`#message-${oops.message.id}`).waitFor();
      expect(await ask(staffSocket, 'message:delete', { messageId: oops.message.id })).toMatchObject({ ok: true });
      await member.locator(`#message-${oops.message.id}`).waitFor({ state: 'detached' });
      expect(await member.locator('#messages > li').count()).toBe(2);
    } finally {
      staffSocket.close();
    }

    // Read while looking: the list shows nothing unread.
    await member.goto(url(`/c/${cast.slug}/chat`));
    expect(await member.locator('#chat-unread').textContent()).toBe('No unread messages.');
    await expectAccessible(member);
    await screenshot(member, 'chat-list');
  });

  it('sends with the keyboard alone: Tab to the message, type, Tab to Send, Enter', async () => {
    const member = await signedIn(cast.member);
    await member.goto(url(roomPath));
    await live(member);
    for (let i = 0; i < 40; i++) {
      await member.keyboard.press('Tab');
      if ((await member.evaluate('document.activeElement && document.activeElement.id')) === 'message-body') break;
    }
    expect(await member.evaluate('document.activeElement.id')).toBe('message-body');
    await member.keyboard.type('Thanks, that worked!');
    await member.keyboard.press('Tab');
    expect(await member.evaluate('document.activeElement.textContent')).toBe('Send');
    await member.keyboard.press('Enter');
    await member.locator('#messages .chat-message-body', { hasText: /^\s*Thanks, that worked!\s*$/ }).waitFor();
    // Shift+Enter is a new line; Enter sends both lines as one message.
    await member.getByRole('textbox', { name: 'Message' }).focus();
    await member.keyboard.type('Line one');
    await member.keyboard.press('Shift+Enter');
    await member.keyboard.type('line two');
    await member.keyboard.press('Enter');
    await member.locator('#messages .chat-message-body', { hasText: 'Line one' }).waitFor();
    expect(await member.locator('#messages .chat-message-body', { hasText: 'Line one' }).innerText()).toBe('Line one\nline two');
    expect(await member.evaluate('document.activeElement.id')).toBe('message-body');
  });

  it('gives a member of another community the 404 page for the room', async () => {
    const outsider = await signedIn(cast.outsider);
    const response = await outsider.goto(url(roomPath));
    expect(response?.status()).toBe(404);
    expect(await outsider.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
    expect(await outsider.locator('#messages').count()).toBe(0);
    await expectAccessible(outsider);
  });

  it('fits a 360 px phone, and sends without JavaScript', async () => {
    const phone = await signedIn(cast.member, { viewport: { width: 360, height: 740 } });
    for (const path of [`/c/${cast.slug}/chat`, roomPath]) {
      await phone.goto(url(path));
      expect({ path, width: await phone.evaluate('document.documentElement.scrollWidth') }).toEqual({ path, width: 360 });
    }
    await live(phone);
    await expectAccessible(phone);
    await screenshot(phone, 'chat-phone-room');
    // The dark theme (following the system) keeps its contrast too.
    await phone.emulateMedia({ colorScheme: 'dark' });
    await expectAccessible(phone);
    await screenshot(phone, 'chat-phone-room-dark');

    const noScript = await signedIn(cast.member, { javaScriptEnabled: false });
    await noScript.goto(url(roomPath));
    await noScript.getByRole('textbox', { name: 'Message' }).fill('Sent with the plain form');
    await noScript.getByRole('button', { name: 'Send' }).click();
    await noScript.waitForURL(new RegExp(`${roomPath}#message-[0-9a-f-]{36}$`));
    expect((await texts(noScript)).pop()).toBe('Sent with the plain form');
    // (axe-core runs as page script, so it checks the same page above, with JavaScript on.)
  });
});
