import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, logInAs, newContext } from './support/browser';
import { Cast, createCast } from './support/content';
import { TestUser } from './support/factories';

/**
 * Editing and deleting chat messages in Chromium: with JavaScript the author edits in place (a
 * textarea, Save/Cancel, Escape) and deletes after a confirmation, over the socket; a second browser
 * sees both live; a moderator gets Delete on others' live messages, a member nothing; without
 * JavaScript the Edit link opens the edit page and Delete posts.
 */
describeInBrowser('chat message edit and delete in a browser', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let roomPath = '';
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
    const room = await t.http.post(`/api/v1/communities/${cast.slug}/chat/rooms`, { kind: 'public', name: 'Kettles' }, { token: cast.staff.accessToken });
    expect(room.status).toBe(201);
    roomPath = `/c/${cast.slug}/chat/${room.body.id}`;
  }, 180_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  async function inRoom(user: TestUser, options: Parameters<typeof newContext>[1] = {}): Promise<Page> {
    const context = await newContext(browser, options);
    contexts.push(context);
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, user, `/c/${cast.slug}`);
    await page.goto(t.baseUrl + roomPath);
    if (options.javaScriptEnabled !== false) await page.waitForSelector('body[data-live="on"]');
    return page;
  }
  const message = (page: Page, text: string) => page.locator('#messages > li', { hasText: text });
  const bodyText = async (page: Page, id: string) => (await page.locator(`#${id} .chat-message-body`).innerText()).trim();
  const focused = (page: Page) => page.evaluate<string>("(document.activeElement.closest('li') || document.activeElement).id");

  it('edits in place and deletes over the socket; another member sees both live and gets no buttons', async () => {
    const author = await inRoom(cast.member);
    const other = await inRoom(cast.member2);
    const moderator = await inRoom(cast.moderator);
    await author.getByRole('textbox', { name: 'Message', exact: true }).fill('Descale with vinegar');
    await author.getByRole('button', { name: 'Send' }).click();
    const mine = message(author, 'Descale with vinegar');
    await mine.waitFor();
    const id = (await mine.getAttribute('id'))!;
    // Buttons by the chat rules, also on a message that arrived live: the author Edit and Delete,
    // a moderator Delete only, another member none.
    await message(other, 'Descale with vinegar').waitFor();
    await message(moderator, 'Descale with vinegar').waitFor();
    expect(await other.locator(`#${id} .chat-message-tools`).count()).toBe(0);
    expect(await moderator.locator(`#${id} [data-message-edit]`).count()).toBe(0);
    expect(await moderator.locator(`#${id}`).getByRole('button', { name: new RegExp(`^Delete the message from ${cast.member.displayName} of`) }).count()).toBe(1);

    // Edit in place: the page stays; Escape cancels and gives focus back to Edit.
    const edit = mine.getByRole('link', { name: /^Edit your message of/ });
    await edit.click();
    const box = mine.getByRole('textbox', { name: 'Edit message' });
    expect(await box.inputValue()).toBe('Descale with vinegar');
    expect(await box.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(author.url()).toBe(t.baseUrl + roomPath);
    await expectAccessible(author);
    await box.press('Escape');
    expect(await mine.getByRole('textbox').count()).toBe(0);
    expect(await edit.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);

    // A blank body is refused in the form; a real one is saved and shown to everyone, live.
    await edit.click();
    await box.fill('  ');
    await mine.getByRole('button', { name: 'Save' }).click();
    expect(await mine.getByRole('alert').textContent()).toBe('Write a message first.');
    await box.fill('Descale with **citric acid**');
    await mine.getByRole('button', { name: 'Save' }).click();
    await author.locator(`#${id} .edited`).waitFor();
    expect(await bodyText(author, id)).toBe('Descale with citric acid');
    expect(await focused(author)).toBe(id);
    await other.locator(`#${id} .edited`).waitFor();
    expect(await other.locator(`#${id} strong`).textContent()).toBe('citric acid');
    // Edited again: the form starts from the new text.
    await author.locator(`#${id}`).getByRole('link', { name: /^Edit your message of/ }).click();
    expect(await author.locator(`#${id}`).getByRole('textbox', { name: 'Edit message' }).inputValue()).toBe('Descale with **citric acid**');
    await author.locator(`#${id}`).getByRole('button', { name: 'Cancel' }).click();

    // Delete asks first: dismissed, nothing happens; accepted, the message goes for everyone.
    const del = author.locator(`#${id}`).getByRole('button', { name: /^Delete your message of/ });
    author.once('dialog', (d) => void d.dismiss());
    await del.click();
    await author.waitForTimeout(300);
    expect(await author.locator(`#${id}`).count()).toBe(1);
    author.once('dialog', (d) => void d.accept());
    await del.click();
    await author.locator(`#${id}`).waitFor({ state: 'detached' });
    expect(await focused(author)).toBe('message-log');
    await other.locator(`#${id}`).waitFor({ state: 'detached' });
    await moderator.locator(`#${id}`).waitFor({ state: 'detached' });
    expect(author.url()).toBe(t.baseUrl + roomPath);
  });

  it('without JavaScript: Edit opens the edit page, which saves and comes back; Delete posts', async () => {
    const page = await inRoom(cast.member, { javaScriptEnabled: false });
    await page.getByRole('textbox', { name: 'Message' }).fill('Written without script');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForURL(/#message-[0-9a-f-]{36}$/);
    const id = new URL(page.url()).hash.slice(1);
    await page.locator(`#${id}`).getByRole('link', { name: /^Edit your message of/ }).click();
    await page.waitForURL(`${t.baseUrl}${roomPath}/messages/${id.slice('message-'.length)}/edit`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Edit message');
    await page.getByRole('textbox', { name: 'Message' }).fill('Edited without script');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`${t.baseUrl}${roomPath}#${id}`);
    expect(await bodyText(page, id)).toBe('Edited without script');
    await page.locator(`#${id}`).getByRole('button', { name: /^Delete your message of/ }).click();
    await page.waitForURL(`${t.baseUrl}${roomPath}#message-log`);
    expect(await page.locator(`#${id}`).count()).toBe(0);

    // The edit page passes axe-core (with script on, as axe runs in the page).
    const withScript = await inRoom(cast.member);
    await withScript.getByRole('textbox', { name: 'Message', exact: true }).fill('One more');
    await withScript.getByRole('button', { name: 'Send' }).click();
    const li = message(withScript, 'One more');
    await li.waitFor();
    await withScript.goto(`${t.baseUrl}${roomPath}/messages/${(await li.getAttribute('id'))!.slice('message-'.length)}/edit`);
    await expectAccessible(withScript);
  });
});
