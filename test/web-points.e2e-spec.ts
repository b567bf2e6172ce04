import { Db } from '../src/core/database/db.service';
import { notificationPage } from '../src/web/notification-pages.controller';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';
import { inbox, notificationsSettled, recordEvent } from './support/notifications';
import { PageClient } from './support/page-client';

/** "My points", the leaderboard and the notifications pages over plain HTTP: exact figures, redeeming once, who may see them. */
describe('web pages: points, leaderboard, notifications (HTTP)', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;
  let board: { id: string };
  let earner: TestUser;
  let pager: TestUser;
  let thread: any;
  let mug: { id: string };

  const api = (path: string) => `/api/v1/communities/${cast.slug}/loyalty${path}`;
  const loyaltySettled = () =>
    eventually(async () => {
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'loyalty' AND status = 'pending'`);
      return row.n === 0;
    });
  const give = async (user: TestUser, points: number, reason: string) => {
    expect((await t.http.post(api('/adjustments'), { userId: user.id, points, reason }, { token: cast.staff.accessToken })).status).toBe(201);
  };
  const createReward = async (name: string, cost: number, codes: string[]) => {
    const res = await t.http.post(api('/rewards'), { name, cost, description: `${name}, shipped free` }, { token: cast.admin.accessToken });
    expect(res.status).toBe(201);
    if (codes.length) expect((await t.http.post(`/api/v1/loyalty/rewards/${res.body.id}/codes`, { codes }, { token: cast.admin.accessToken })).status).toBe(200);
    return res.body as { id: string };
  };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    cast = await createCast(t.http);
    board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk', name: 'Talk' });
    earner = await createMember(t.http, cast.admin.accessToken, cast.slug);
    pager = await createMember(t.http, cast.admin.accessToken, cast.slug);
    // The earner: a thread (5 + 1 points, pending for 24 h), then 120 from staff (approved at once).
    thread = await createThread(t.http, earner.accessToken, board.id, { title: 'Milk frother tips' });
    await loyaltySettled();
    await give(earner, 120, 'Welcome bonus');
    // The pager: 22 entries of one point, for a ledger of two pages.
    for (let i = 1; i <= 22; i++) await give(pager, 1, `Bonus ${i}`);
    mug = await createReward('Hearth mug', 30, ['MUG-1', 'MUG-2']);
    await createReward('Espresso machine', 1000, ['ESP-1']);
    await createReward('Sold-out apron', 10, []);
    await loyaltySettled();
  }, 180_000);
  afterAll(() => t?.close());

  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];
  const decode = (s: string) => s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');

  async function signIn(user: TestUser): Promise<PageClient> {
    const b = new PageClient(t.baseUrl);
    const page = await b.get('/login');
    const res = await b.post('/login', { _csrf: csrfOf(page.text), email: user.email, password: user.password, next: '/' });
    expect(res.status).toBe(303);
    return b;
  }

  const figures = (html: string) => Object.fromEntries([...html.matchAll(/data-points="([a-z-]+)">([^<]*)</g)].map((m) => [m[1], m[2]]));
  const ledgerOf = (html: string) =>
    [...html.matchAll(/data-entry-kind="(\w+)">\s*<div class="thread-title"><strong class="points">([+-]?\d+)<\/strong> ([^<]*)<\/div>\s*<div class="thread-meta">\s*<span class="badge">[^<]*<\/span>\s*<span class="badge">(\w+)<\/span>/g)].map(
      (m) => [m[1], Number(m[2]), decode(m[3]), m[4]],
    );
  const redeemForm = (html: string, rewardId: string) => {
    const key = new RegExp(`name="rewardId" value="${rewardId}">\\s*<input type="hidden" name="idempotencyKey" value="([^"]+)">`).exec(html)![1];
    return { _csrf: csrfOf(html), rewardId, idempotencyKey: key };
  };

  it('shows a member their balance, pending, lifetime, tier and the ledger, newest first', async () => {
    const b = await signIn(earner);
    const page = await b.get(`/c/${cast.slug}/points`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(figures(page.text)).toEqual({ balance: '120', pending: '6', lifetime: '126', tier: 'Bronze', 'next-tier': 'Silver: 380 more points' });
    const ledger = ledgerOf(page.text);
    expect(ledger[0]).toEqual(['adjustment', 120, 'Welcome bonus', 'Approved']);
    expect(ledger.slice(1).sort()).toEqual([
      ['earn', 1, expect.any(String), 'Pending'],
      ['earn', 5, expect.any(String), 'Pending'],
    ]);
    expect(page.text).toContain('You have not redeemed a reward yet.');
    expect(page.text).toContain('<h3 id="reward-' + mug.id + '">Hearth mug</h3>');
    expect(page.text).toContain('You need 880 more points.');
    // The header links the member's points and the leaderboard.
    expect(page.text).toContain(`<a href="/c/${cast.slug}/points">Points</a> <a href="/c/${cast.slug}/leaderboard">Leaderboard</a>`);
  });

  it('pages the ledger with the API cursor', async () => {
    const b = await signIn(pager);
    const first = await b.get(`/c/${cast.slug}/points`);
    const entries = ledgerOf(first.text);
    expect(entries.map((e) => e[2])).toEqual(Array.from({ length: 20 }, (_, i) => `Bonus ${22 - i}`));
    const next = /<a href="([^"]+)" rel="next">Older entries<\/a>/.exec(first.text)![1].replaceAll('&amp;', '&');
    const second = await b.get(next.split('#')[0]);
    expect(ledgerOf(second.text)).toEqual([
      ['adjustment', 1, 'Bonus 2', 'Approved'],
      ['adjustment', 1, 'Bonus 1', 'Approved'],
    ]);
    expect(second.text).not.toContain('rel="next">Older entries');
    expect(second.text).toContain('>Newest entries</a>');
    expect((await b.get(`/c/${cast.slug}/points?cursor=not-a-cursor`)).status).toBe(400);
  });

  it('redeems a reward and shows its code; the same form sent twice redeems once', async () => {
    const b = await signIn(earner);
    const page = await b.get(`/c/${cast.slug}/points`);
    const form = redeemForm(page.text, mug.id);
    const first = await b.post(`/c/${cast.slug}/points/redeem`, form);
    const again = await b.post(`/c/${cast.slug}/points/redeem`, form);
    expect(first.status).toBe(303);
    expect(again.status).toBe(303);
    expect(first.headers.get('location')).toMatch(new RegExp(`^/c/${cast.slug}/points\\?redeemed=[0-9a-f-]{36}#redeemed$`));
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    const shown = await b.get(first.headers.get('location')!.split('#')[0]);
    expect(shown.text).toContain('<h2 id="redeemed-heading">Redeemed: Hearth mug</h2>');
    expect(shown.text).toContain('<p role="status">Your coupon code: <strong class="coupon-code">MUG-1</strong></p>');
    expect(figures(shown.text)).toEqual({ balance: '90', pending: '6', lifetime: '126', tier: 'Bronze', 'next-tier': 'Silver: 380 more points' });
    expect(ledgerOf(shown.text)[0]).toEqual(['redemption', -30, 'Redeemed "Hearth mug"', 'Approved']);
    expect([...shown.text.matchAll(/<strong class="coupon-code">(\w+-\d)<\/strong><\/div>/g)].map((m) => m[1])).toEqual(['MUG-1']);
    const redemptions = await t.http.get(api('/redemptions'), { token: earner.accessToken });
    expect(redemptions.body.items.map((r: any) => r.couponCode)).toEqual(['MUG-1']);
    // A new page view is a new form: a second mug.
    const next = await b.post(`/c/${cast.slug}/points/redeem`, redeemForm((await b.get(`/c/${cast.slug}/points`)).text, mug.id));
    expect(next.status).toBe(303);
    const after = await b.get(next.headers.get('location')!.split('#')[0]);
    expect(after.text).toContain('Your coupon code: <strong class="coupon-code">MUG-2</strong>');
    expect(figures(after.text).balance).toBe('60');
    // Back to 120 for the next test's figures.
    await give(earner, 60, 'Mugs on the house');
  });

  it('shows plainly why a redemption failed: too few points, no codes left, a missing form key', async () => {
    const b = await signIn(earner);
    const page = await b.get(`/c/${cast.slug}/points`);
    const espresso = /<h3 id="reward-([0-9a-f-]{36})">Espresso machine<\/h3>/.exec(page.text)![1];
    const apron = /<h3 id="reward-([0-9a-f-]{36})">Sold-out apron<\/h3>/.exec(page.text)![1];
    const poor = await b.post(`/c/${cast.slug}/points/redeem`, redeemForm(page.text, espresso));
    expect([poor.status, poor.headers.get('content-type')]).toEqual([409, 'text/html; charset=utf-8']);
    expect(poor.text).toContain('<p class="form-error" role="alert">This needs 1000 points; the balance is 120</p>');
    expect(figures(poor.text).balance).toBe('120');
    const empty = await b.post(`/c/${cast.slug}/points/redeem`, redeemForm(page.text, apron));
    expect(empty.status).toBe(409);
    expect(empty.text).toContain('<p class="form-error" role="alert">This reward has no coupon codes left</p>');
    const noKey = await b.post(`/c/${cast.slug}/points/redeem`, { _csrf: csrfOf(page.text), rewardId: mug.id });
    expect(noKey.status).toBe(400);
    expect(noKey.text).toContain('Send an Idempotency-Key header');
    const noToken = await b.post(`/c/${cast.slug}/points/redeem`, { ...redeemForm(page.text, mug.id), _csrf: 'forged' });
    expect(noToken.status).toBe(403);
    expect((await t.http.get(api('/me'), { token: earner.accessToken })).body.balance).toBe(120);
  });

  it('is for members: a guest is sent to log in, a signed-in non-member is refused', async () => {
    for (const path of [`/c/${cast.slug}/points`, `/c/${cast.slug}/leaderboard`, '/me/notifications']) {
      const guest = await new PageClient(t.baseUrl).get(path);
      expect([guest.status, guest.headers.get('location')]).toEqual([303, `/login?next=${encodeURIComponent(path)}`]);
    }
    const outsider = await signIn(cast.outsider);
    for (const path of [`/c/${cast.slug}/points`, `/c/${cast.slug}/leaderboard`]) {
      const res = await outsider.get(path);
      expect([res.status, res.headers.get('content-type')]).toEqual([403, 'text/html; charset=utf-8']);
      expect(res.text).toContain('You are not a member of this community');
    }
    const home = await outsider.get(`/c/${cast.slug}`);
    expect(home.text).not.toContain(`href="/c/${cast.slug}/points"`);
    const refused = await outsider.post(`/c/${cast.slug}/points/redeem`, { _csrf: csrfOf(home.text), rewardId: mug.id, idempotencyKey: 'outsider-1' });
    expect(refused.status).toBe(403);
    expect((await outsider.get('/c/no-such-community/points')).status).toBe(404);
  });

  it('shows the leaderboard with the API periods and the viewer\'s rank', async () => {
    const b = await signIn(pager);
    const rows = (html: string) => [...html.matchAll(/<tr(?: class="is-me")?><td>(\d+)<\/td><th scope="row">([^<]+)<\/th><td>(\d+)<\/td><\/tr>/g)].map((m) => [Number(m[1]), m[2], Number(m[3])]);
    const all = await b.get(`/c/${cast.slug}/leaderboard`);
    expect(all.status).toBe(200);
    // Earned, net of adjustments: the earner's 120 + 60 (the redemptions do not count), the pager's 22; pending points not yet.
    expect(rows(all.text)).toEqual([
      [1, earner.displayName, 180],
      [2, `${pager.displayName} (you)`, 22],
    ]);
    expect(all.text).toContain('Your rank: <strong>#2</strong> with 22 points.');
    expect(all.text).toContain('<a href="/c/' + cast.slug + '/leaderboard" aria-current="page">All time</a>');
    const week = await b.get(`/c/${cast.slug}/leaderboard?period=week`);
    expect(rows(week.text)).toEqual(rows(all.text));
    expect(week.text).toContain('aria-current="page">Last 7 days</a>');
    expect((await b.get(`/c/${cast.slug}/leaderboard?period=sideways`)).status).toBe(400);
    const nobody = await signIn(cast.member2);
    expect((await nobody.get(`/c/${cast.slug}/leaderboard`)).text).toContain('You have no points in this period yet.');
  });

  it('lists notifications with the unread ones marked; opening one marks it read and goes to the thread', async () => {
    const post = await reply(t.http, cast.member2.accessToken, thread.id, 'Froth cold milk, not warm.');
    const before = await inbox(t, earner);
    const n = before.items.find((i) => i.type === 'thread_reply');
    expect(n).toEqual(expect.objectContaining({ url: `/t/${thread.id}#post-${post.id}`, readAt: null }));
    const b = await signIn(earner);
    const page = await b.get('/me/notifications');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`data-unread="${before.unreadCount}"`);
    const open = `/me/notifications/${n.id}/open?to=${encodeURIComponent(`/t/${thread.id}#post-${post.id}`)}`;
    expect(page.text).toContain(`<span class="badge badge-pinned">Unread</span>\n      <a href="${open.replaceAll('&', '&amp;')}">New reply in “Milk frother tips”</a>`);
    // Points notifications open the community's points page.
    const points = before.items.find((i) => i.type === 'points_earned');
    expect(page.text).toContain(`<a href="/me/notifications/${points.id}/open?to=${encodeURIComponent(`/c/${cast.slug}/points`)}">You earned`);

    const opened = await b.get(open);
    expect([opened.status, opened.headers.get('location')]).toEqual([303, `/t/${thread.id}#post-${post.id}`]);
    const short = await b.get(`/t/${thread.id}`);
    expect([short.status, short.headers.get('location')]).toEqual([301, `/t/${thread.id}/milk-frother-tips`]);
    const after = await inbox(t, earner);
    expect(after.unreadCount).toBe(before.unreadCount - 1);
    expect(after.items.find((i) => i.id === n.id).readAt).toEqual(expect.any(String));
    const again = await b.get('/me/notifications');
    expect(again.text).toContain(`<a href="/t/${thread.id}#post-${post.id}">New reply in “Milk frother tips”</a>`);
    // Another's notification, a bad id, a link elsewhere: nothing marked, back to the list.
    const stranger = await signIn(cast.member2);
    expect((await stranger.get(`/me/notifications/${points.id}/open?to=https%3A%2F%2Fevil.example%2F`)).headers.get('location')).toBe('/me/notifications');
    expect((await inbox(t, earner)).items.find((i) => i.id === points.id).readAt).toBeNull();
    expect((await stranger.get('/me/notifications/not-an-id/open')).status).toBe(404);
  });

  it('marks all read with the form (and its CSRF token), and the bell goes quiet', async () => {
    await reply(t.http, cast.member2.accessToken, thread.id, 'And use a cold jug.');
    await notificationsSettled(t);
    const b = await signIn(earner);
    const page = await b.get('/me/notifications');
    expect(page.text).toMatch(/data-unread="[1-9]\d*"/);
    expect((await b.post('/me/notifications/read', { _csrf: 'forged' })).status).toBe(403);
    const done = await b.post('/me/notifications/read', { _csrf: csrfOf(page.text) });
    expect([done.status, done.headers.get('location')]).toEqual([303, '/me/notifications']);
    expect((await inbox(t, earner)).unreadCount).toBe(0);
    const quiet = await b.get('/me/notifications');
    expect(quiet.text).not.toContain('data-unread');
    expect(quiet.text).toContain('All caught up: nothing unread.');
    expect(quiet.text).not.toContain('Mark all read');
  });

  it('pages notifications 20 at a time, newest first', async () => {
    // One at a time, so each has its own time (the list is ordered by it).
    for (let i = 1; i <= 21; i++) {
      await recordEvent(t, 'tier.changed', { communityId: cast.communityId, userId: cast.moderator.id, tier: `T${i}`, previousTier: null }, cast.communityId);
      await notificationsSettled(t);
    }
    const b = await signIn(cast.moderator);
    const titles = (html: string) => [...html.matchAll(/>Your tier is now (T\d+)<\/a>/g)].map((m) => m[1]);
    const first = await b.get('/me/notifications');
    expect(first.text).toContain('21 unread notifications');
    expect(titles(first.text)).toEqual(Array.from({ length: 20 }, (_, i) => `T${21 - i}`));
    const next = /<a href="([^"]+)" rel="next">Older notifications<\/a>/.exec(first.text)![1].replaceAll('&amp;', '&');
    expect(titles((await b.get(next)).text)).toEqual(['T1']);
  });

  it('maps notification links to pages: threads (old links too), a community\'s points and home; nothing else', () => {
    const id = '6b1f0f7e-2a63-4c1e-9a7b-0d6e2f1c9a10';
    expect(notificationPage(`/t/${id}#post-${id}`, null)).toBe(`/t/${id}#post-${id}`);
    expect(notificationPage(`/threads/${id}#post-${id}`, null)).toBe(`/t/${id}#post-${id}`);
    expect(notificationPage(`/communities/${id}/loyalty`, 'acme')).toBe('/c/acme/points');
    expect(notificationPage(`/communities/${id}`, 'acme')).toBe('/c/acme');
    expect(notificationPage(`/communities/${id}/review`, 'acme')).toBeNull();
    expect(notificationPage(`/chat/rooms/${id}`, 'acme')).toBeNull();
    expect(notificationPage('//evil.example/t/x', null)).toBeNull();
    expect(notificationPage('https://evil.example/', null)).toBeNull();
  });
});
