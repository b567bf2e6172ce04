import type { Browser, Page } from 'playwright-core';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, expectAccessible, launchBrowser, logInAs, newContext } from './support/browser';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { threadPath } from '../src/web/forms';

/**
 * Live replies on the thread page carry the buttons a reply rendered by the server has, for the same
 * viewer: Accept (the asker and moderators of a question), the reactions (members), each with the
 * page's CSRF token and working; and the page's reply count follows replies as they come and go.
 */
describeInBrowser('live replies on the thread page: the viewer\'s buttons and the reply count', () => {
  jest.setTimeout(120_000); // a browser on a busy 2-core CI machine
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  let qaBoardId: string;

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
    qaBoardId = (await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'kettles', name: 'Kettles', kind: 'qa' })).id;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const threadOf = async (id: string) => (await t.http.get(`/api/v1/threads/${id}`, { token: cast.member.accessToken })).body;
  const postOf = async (threadId: string, postId: string, token: string) =>
    ((await t.http.get(`/api/v1/threads/${threadId}/posts`, { token })).body.items as any[]).find((p) => p.id === postId);
  const replyCount = (page: Page) => page.locator('#reply-count');
  const acceptButton = (page: Page, postId: string) => page.locator(`#post-${postId}`).getByRole('button', { name: 'Accept this answer' });

  /** Opens the thread page signed in as `user`, and waits until its socket watches the thread. */
  async function openAs(user: { email: string; password: string } | null, path: string): Promise<{ page: Page; close: () => Promise<void> }> {
    const context = await newContext(browser);
    const page = await context.newPage();
    if (user) await logInAs(page, t.baseUrl, user, path);
    else await page.goto(t.baseUrl + path);
    await page.locator('body[data-live="on"]').waitFor();
    return { page, close: () => context.close() };
  }

  it('the asker sees a live answer with Accept and reactions; accepting works; the reply count follows replies and deletions', async () => {
    const title = 'Which descaler for the K3 kettle';
    const q = await createThread(t.http, cast.member.accessToken, qaBoardId, { title, body: 'Citric acid or vinegar?' });
    const path = threadPath({ id: q.id, title });
    const { page, close } = await openAs(cast.member, path);
    expect(await replyCount(page).textContent()).toBe('0 replies');
    expect(await page.locator('#posts').getAttribute('data-can-accept')).toBe('true');

    // Another member answers through the API: the answer arrives with the asker's Accept button.
    const answer = await reply(t.http, cast.member2.accessToken, q.id, 'Citric acid, **two spoons**.');
    await page.locator(`#post-${answer.id}.is-new`).waitFor();
    await expect(acceptButton(page, answer.id).count()).resolves.toBe(1);
    await expect(replyCount(page).textContent()).resolves.toBe('1 reply');
    await expect(replyCount(page).getAttribute('data-reply-count')).resolves.toBe('1');
    // The forms carry the page's CSRF token, as the server's do.
    const token = await page.locator('meta[name="csrf-token"]').getAttribute('content');
    await expect(page.locator(`#post-${answer.id} .accept-form input[name="_csrf"]`).inputValue()).resolves.toBe(token);
    await expect(page.locator(`#post-${answer.id} .accept-form input[name="postId"]`).inputValue()).resolves.toBe(answer.id);
    await expectAccessible(page);

    // Accepting from the live reply: the server accepts it and shows it accepted.
    await acceptButton(page, answer.id).click();
    await page.waitForURL(`${t.baseUrl}${path}#post-${answer.id}`);
    await page.locator(`#post-${answer.id} .badge-accepted`).waitFor();
    await expect(threadOf(q.id).then((th) => th.acceptedPostId)).resolves.toBe(answer.id);
    await expect(acceptButton(page, answer.id).count()).resolves.toBe(0);
    await expect(replyCount(page).textContent()).resolves.toBe('1 reply');

    // A second answer arrives live (with Accept: the asker may change their mind); its reaction buttons work.
    await page.locator('body[data-live="on"]').waitFor();
    const second = await reply(t.http, cast.staff.accessToken, q.id, 'Vinegar works too, then rinse.');
    await page.locator(`#post-${second.id}.is-new`).waitFor();
    await expect(replyCount(page).textContent()).resolves.toBe('2 replies');
    await expect(acceptButton(page, second.id).count()).resolves.toBe(1);
    await page.locator(`#post-${second.id}`).getByRole('button', { name: 'Helpful' }).click();
    // Back on the page rendered by the server: the reaction is the asker's.
    await page.locator(`#post-${second.id}`).getByRole('button', { name: 'Helpful 1', pressed: true }).waitFor();
    await expect(postOf(q.id, second.id, cast.member.accessToken).then((p) => p.myReactions)).resolves.toEqual(['helpful']);

    // Its author deletes it: it goes from the page and from the count.
    await page.locator('body[data-live="on"]').waitFor();
    expect((await t.http.delete(`/api/v1/posts/${second.id}`, { token: cast.staff.accessToken })).status).toBe(204);
    await page.locator(`#post-${second.id}`).waitFor({ state: 'detached' });
    await expect(replyCount(page).textContent()).resolves.toBe('1 reply');
    await expect(threadOf(q.id).then((th) => th.replyCount)).resolves.toBe(1);
    await close();
  });

  it('a member who is not the asker sees the live reply without Accept; a moderator with it; a guest with neither form', async () => {
    const title = 'Does the K3 lid come off';
    const q = await createThread(t.http, cast.member.accessToken, qaBoardId, { title, body: 'For cleaning.' });
    const path = threadPath({ id: q.id, title });
    const other = await openAs(cast.member2, path);
    const moderator = await openAs(cast.moderator, path);
    const guest = await openAs(null, path);
    expect(await other.page.locator('#posts').getAttribute('data-can-accept')).toBe('false');

    const answer = await reply(t.http, cast.staff.accessToken, q.id, 'Yes: press the hinge and lift.');
    for (const { page } of [other, moderator, guest]) {
      await page.locator(`#post-${answer.id}.is-new`).waitFor();
      await expect(replyCount(page).textContent()).resolves.toBe('1 reply');
    }
    // The other member: reactions but no Accept, as the server renders it for them.
    await expect(acceptButton(other.page, answer.id).count()).resolves.toBe(0);
    await expect(other.page.locator(`#post-${answer.id} .react-form`).count()).resolves.toBe(1);
    await expectAccessible(other.page);
    // A moderator may accept (QaService.accept allows it): the button, as on their server-rendered page.
    await expect(acceptButton(moderator.page, answer.id).count()).resolves.toBe(1);
    // A guest: neither form.
    await expect(guest.page.locator(`#post-${answer.id} form`).count()).resolves.toBe(0);

    // Reloaded, each page shows the same buttons the live reply had.
    await other.page.reload();
    await expect(acceptButton(other.page, answer.id).count()).resolves.toBe(0);
    await moderator.page.reload();
    await expect(acceptButton(moderator.page, answer.id).count()).resolves.toBe(1);
    await expect(threadOf(q.id).then((th) => th.acceptedPostId)).resolves.toBeNull();

    // Accepted elsewhere: every open page shows it at once, and the Accept button goes.
    await guest.page.locator('body[data-live="on"]').waitFor();
    await moderator.page.locator('body[data-live="on"]').waitFor();
    expect((await t.http.post(`/api/v1/threads/${q.id}/accept`, { postId: answer.id }, { token: cast.member.accessToken })).status).toBe(200);
    await guest.page.locator(`#post-${answer.id} .badge-accepted`).waitFor();
    await moderator.page.locator(`#post-${answer.id} .badge-accepted`).waitFor();
    await expect(acceptButton(moderator.page, answer.id).count()).resolves.toBe(0);

    // A hidden reply leaves the page and stays in the count, as the server counts it.
    expect((await t.http.put(`/api/v1/posts/${answer.id}/hidden`, {}, { token: cast.moderator.accessToken })).status).toBe(200);
    await guest.page.locator(`#post-${answer.id}`).waitFor({ state: 'detached' });
    await expect(replyCount(guest.page).textContent()).resolves.toBe('1 reply');
    await expect(threadOf(q.id).then((th) => th.replyCount)).resolves.toBe(1);
    await Promise.all([other.close(), moderator.close(), guest.close()]);
  });
});
