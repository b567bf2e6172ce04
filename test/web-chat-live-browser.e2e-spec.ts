import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Realtime, SocketRooms } from '../src/chat/realtime';
import { CommunitiesService } from '../src/communities/communities.service';
import { startApp, TestApp } from './support/app';
import { describeInBrowser, launchBrowser, logInAs, newContext } from './support/browser';
import { Cast, createCast } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';

/**
 * The staff support queue in Chromium, around the moment its socket connects: a support request made
 * after the page was rendered but before the socket is in the community's staff room reaches no
 * socket, so the page must read the queue again once connected (support-queue.js), without showing
 * any request twice; after a lost connection it catches up the same way.
 */
describeInBrowser('the staff support queue misses no request (browser)', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let browser: Browser;
  let cast: Cast;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startApp(), launchBrowser()]);
    cast = await createCast(t.http);
  }, 180_000);
  afterAll(async () => {
    jest.restoreAllMocks();
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  const url = (path: string) => t.baseUrl + path;
  const customer = () => createMember(t.http, cast.admin.accessToken, cast.slug);
  async function requestSupport(u: TestUser): Promise<string> {
    const res = await t.http.post(`/api/v1/communities/${cast.slug}/chat/rooms`, { kind: 'support' }, { token: u.accessToken });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  const inStaffRoom = async () => (await t.app.get(Realtime).io!.in(SocketRooms.staff(cast.communityId)).fetchSockets()).length;
  const rows = (page: Page, roomId: string) => page.locator(`[data-queue="waiting"] li[data-room-id="${roomId}"]`);

  it('shows a request made while the socket was connecting, once, and catches up after a reconnect', async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    await logInAs(page, t.baseUrl, cast.staff, `/c/${cast.slug}`);
    // The community page's own socket (the bell) is settled before the race is staged.
    await eventually(async () => (await inStaffRoom()) > 0);

    // The request is made while the server sets up the support page's socket: it reads the staff
    // member's communities to put the socket in their staff rooms, and the request lands meanwhile.
    const communities = t.app.get(CommunitiesService);
    const read = communities.myMemberships.bind(communities);
    const early = await customer();
    let pending: TestUser | null = early;
    let earlyRoom: string | null = null;
    jest.spyOn(communities, 'myMemberships').mockImplementation(async (userId: string) => {
      if (pending && userId === cast.staff.id) {
        const who = pending;
        pending = null;
        earlyRoom = await requestSupport(who);
      }
      return read(userId);
    });

    // The page as the server rendered it had no one waiting (the script may have merged the request by now).
    const rendered = await page.goto(url(`/c/${cast.slug}/staff/support`));
    expect(await rendered!.text()).toContain('No one is waiting.');
    await eventually(() => earlyRoom !== null);
    await rows(page, earlyRoom!).waitFor();
    expect(await rows(page, earlyRoom!).count()).toBe(1);
    expect((await rows(page, earlyRoom!).locator('.thread-title').textContent())?.trim()).toBe(early.displayName);
    await page.locator('body[data-live="on"]').waitFor();
    expect(await page.getByText('No one is waiting.').isVisible()).toBe(false);
    jest.restoreAllMocks();

    // Live as before: a request after the connection arrives by its event, once.
    const live = await customer();
    const liveRoom = await requestSupport(live);
    await rows(page, liveRoom).waitFor();
    expect(await page.locator('[data-live-status]').textContent()).toBe(`New support request from ${live.displayName}`);

    // The connection drops; meanwhile one request is claimed elsewhere and a new one is made.
    await page.evaluate('window.hearthSocket.disconnect()');
    await page.locator('body[data-live="off"]').waitFor();
    expect((await t.http.post(`/api/v1/chat/rooms/${liveRoom}/claim`, {}, { token: cast.moderator.accessToken })).status).toBe(200);
    const late = await customer();
    const lateRoom = await requestSupport(late);
    await page.waitForTimeout(300);
    expect(await rows(page, lateRoom).count()).toBe(0);
    await page.evaluate('window.hearthSocket.connect()');
    await page.locator('body[data-live="on"]').waitFor();
    await rows(page, lateRoom).waitFor();
    await eventually(async () => (await rows(page, liveRoom).count()) === 0);
    // Each waiting request once, in the order they came.
    const ids = await page.locator('[data-queue="waiting"] li[data-room-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-room-id')));
    expect(ids).toEqual([earlyRoom, lateRoom]);

    // A row the queue read added works as a server-rendered one: Claim opens the room.
    await rows(page, lateRoom).getByRole('button', { name: `Claim the chat with ${late.displayName}` }).click();
    await page.waitForURL(url(`/c/${cast.slug}/chat/${lateRoom}`));
  });
});
