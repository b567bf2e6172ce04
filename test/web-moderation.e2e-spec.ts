import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, TestUser } from './support/factories';
import { PageClient, signInPage } from './support/page-client';

/**
 * The moderator pages over plain HTTP (issue 24 item 3): who may open them, the review queue with its
 * one-click actions and the optimistic-lock conflict, queued posts, sanctions, the audit log and the
 * thread tools. Every write goes through the same services as the API; the API checks the outcome.
 * The audit page's target type and UTC-day filters: web-moderation-audit.e2e-spec.ts.
 */
describe('web pages: moderator pages (HTTP)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let cast: Cast;
  let mod2: TestUser;
  let board: { id: string; slug: string };
  let archive: { id: string; slug: string };
  let qaBoard: { id: string; slug: string };
  let thread: any;
  let spam: any;
  let rude: any;
  const pages = ['review', 'queued', 'sanctions', 'audit'];
  const signed = new Map<string, PageClient>();

  const as = async (user: TestUser) => {
    if (!signed.has(user.id)) signed.set(user.id, await signInPage(t.baseUrl, user.email, user.password));
    return signed.get(user.id)!;
  };
  const usernameOf = async (user: TestUser): Promise<string> => (await t.http.get(`/api/v1/users/${user.id}`)).body.username;
  const report = async (user: TestUser, postId: string, reason: string, note?: string) => {
    const res = await t.http.post('/api/v1/reports', { targetType: 'post', targetId: postId, reason, note }, { token: user.accessToken });
    expect([200, 201]).toContain(res.status);
  };
  const queue = async (type?: string) =>
    (await t.http.get(`/api/v1/communities/${cast.slug}/moderation/queue${type ? `?type=${type}` : ''}`, { token: cast.moderator.accessToken })).body.items as any[];
  const itemOf = async (postId: string) => (await queue()).find((i) => i.targetId === postId);
  const decode = (s: string) => s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    mod2 = await createMember(t.http, cast.admin.accessToken, cast.slug, 'moderator');
    board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk', name: 'Talk' });
    archive = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'archive', name: 'Archive' });
    qaBoard = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'help', name: 'Help', kind: 'qa' });
    thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Grinder settings for espresso' });
    spam = await reply(t.http, cast.member2.accessToken, thread.id, 'Cheap watches at example.test <script>alert(1)</script> **now**');
    rude = await reply(t.http, cast.member2.accessToken, thread.id, 'You are all clueless');
    // The staff member's report weighs 5, the new member's 1: spam ranks first.
    await report(cast.staff, spam.id, 'spam', 'A link farm, again');
    await report(cast.member, rude.id, 'abuse');
  }, 180_000);
  afterAll(() => t?.close());

  it('sends guests to log in and answers 404 to members, staff and another community\'s admin', async () => {
    const guest = new PageClient(t.baseUrl);
    for (const p of pages) {
      const res = await guest.get(`/c/${cast.slug}/mod/${p}`);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/c/${cast.slug}/mod/${p}`)}`);
    }
    for (const user of [cast.member, cast.staff, cast.outsider]) {
      const client = await as(user);
      for (const p of pages) {
        const res = await client.get(`/c/${cast.slug}/mod/${p}`);
        expect(res.status).toBe(404);
        expect(res.text).toContain('Page not found');
      }
      // Their forms are refused the same way, with a valid CSRF token.
      const home = await client.get(`/c/${cast.slug}`);
      const item = await itemOf(spam.id);
      const resolve = await client.post(`/c/${cast.slug}/mod/review/${item.id}/resolve`, { _csrf: client.csrfFrom(home.text), action: 'hide', version: String(item.version) });
      expect(resolve.status).toBe(404);
      const pin = await client.post(`/c/${cast.slug}/mod/threads/${thread.id}/pin`, { _csrf: client.csrfFrom(home.text) });
      expect(pin.status).toBe(404);
      const give = await client.post(`/c/${cast.slug}/mod/sanctions`, { _csrf: client.csrfFrom(home.text), username: 'x', kind: 'warn', duration: '1d', reason: 'x' });
      expect(give.status).toBe(404);
    }
    expect((await itemOf(spam.id)).status).toBe('pending');
    expect((await t.http.get(`/api/v1/threads/${thread.id}`, { token: cast.moderator.accessToken })).body.pinned).toBe(false);
  });

  it('shows the queue highest score first: the content rendered safely, the reports with the reporters\' trust', async () => {
    const page = await (await as(cast.moderator)).get(`/c/${cast.slug}/mod/review`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(page.text).toContain('<h1>Review queue</h1>');
    expect(page.text).toContain('aria-current="page">Review queue</a>');
    const [spamItem, rudeItem] = [await itemOf(spam.id), await itemOf(rude.id)];
    expect(page.text.indexOf(`id="item-${spamItem.id}"`)).toBeGreaterThan(-1);
    expect(page.text.indexOf(`id="item-${spamItem.id}"`)).toBeLessThan(page.text.indexOf(`id="item-${rudeItem.id}"`));
    // The API's sanitized HTML: markdown rendered, the script tag gone.
    expect(page.text).toContain('<strong>now</strong>');
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).toContain('A link farm, again');
    expect(page.text).toMatch(new RegExp(`by ${cast.staff.displayName}[\\s\\S]{0,200}trust: staff, weight 5`));
    expect(page.text).toMatch(new RegExp(`by ${cast.member.displayName}[\\s\\S]{0,200}trust: new member, weight 1`));
    expect(page.text).toContain(`name="version" value="${spamItem.version}"`);
    // The API's filters and cursor: a bad cursor is 400, a type filter narrows.
    expect((await (await as(cast.moderator)).get(`/c/${cast.slug}/mod/review?cursor=nope`)).status).toBe(400);
    const users = await (await as(cast.moderator)).get(`/c/${cast.slug}/mod/review?type=flagged_user`);
    expect(users.text).toContain('Nothing to review.');
  });

  it('pages the queue with the API cursor', async () => {
    const extra = await Promise.all(Array.from({ length: 20 }, (_, i) => reply(t.http, cast.member2.accessToken, thread.id, `Filler ${i}`)));
    // Members may file 20 reports a day: two reporters share them.
    for (const [i, p] of extra.entries()) await report(i % 2 ? cast.member : cast.moderator, p.id, 'off_topic');
    const client = await as(cast.moderator);
    const first = await client.get(`/c/${cast.slug}/mod/review`);
    expect(first.text.match(/class="card review-item"/g)).toHaveLength(20);
    const next = decode(/<a href="([^"]+)" rel="next">More<\/a>/.exec(first.text)![1]);
    const second = await client.get(next);
    expect(second.status).toBe(200);
    expect(second.text.match(/class="card review-item"/g)).toHaveLength(2);
    expect(second.text).toContain('>Highest scores</a>');
    // Leave the queue as it was for the next tests.
    for (const p of extra) {
      const item = await itemOf(p.id);
      expect((await t.http.post(`/api/v1/moderation/items/${item.id}/resolve`, { action: 'dismiss', version: item.version }, { token: mod2.accessToken })).status).toBe(200);
    }
  });

  it('refuses a resolve without the CSRF token and changes nothing', async () => {
    const item = await itemOf(rude.id);
    const res = await (await as(cast.moderator)).post(`/c/${cast.slug}/mod/review/${item.id}/resolve`, { action: 'hide', version: String(item.version) });
    expect(res.status).toBe(403);
    expect((await itemOf(rude.id)).version).toBe(item.version);
  });

  it('shows bad sanction input next to the fields of that item', async () => {
    const client = await as(cast.moderator);
    const page = await client.get(`/c/${cast.slug}/mod/review`);
    const item = await itemOf(rude.id);
    const res = await client.post(`/c/${cast.slug}/mod/review/${item.id}/resolve`, {
      _csrf: client.csrfFrom(page.text),
      action: 'sanction',
      version: String(item.version),
      kind: 'exile',
      duration: 'forever',
      reason: '',
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain(`<p id="kind-${item.id}-error" class="field-error">Choose a kind of sanction from the list</p>`);
    expect(res.text).toContain(`<p id="duration-${item.id}-error" class="field-error">Choose a duration from the list</p>`);
    expect(res.text).toContain(`<p id="reason-${item.id}-error" class="field-error">Say why (the member sees it)</p>`);
    expect(res.text).toContain(`id="reason-${item.id}" name="reason" type="text" maxlength="1000" value="" required aria-invalid="true"`);
    expect((await itemOf(rude.id)).status).toBe('pending');
  });

  it('answers odd links and forms with 4xx pages, never 500', async () => {
    const client = await as(cast.moderator);
    const page = await client.get(`/c/${cast.slug}/mod/review`);
    const csrf = client.csrfFrom(page.text);
    const item = await itemOf(rude.id);
    for (const path of ['review?type=bogus', 'review?status=open&status=resolved', 'review?cursor=a&cursor=b', 'sanctions?cursor=x', 'audit?action=' + 'a'.repeat(60), 'queued?cursor=%00']) {
      const res = await client.get(`/c/${cast.slug}/mod/${path}`);
      expect({ path, status: res.status >= 400 && res.status < 500 }).toEqual({ path, status: true });
    }
    const resolve = (id: string, fields: Record<string, string>) => client.post(`/c/${cast.slug}/mod/review/${id}/resolve`, { _csrf: csrf, ...fields });
    const unknown = await resolve(item.id, { action: 'explode', version: String(item.version) });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('<p class="form-error" role="alert">Choose one of the actions</p>');
    expect((await resolve(item.id, { action: 'hide', version: 'abc' })).status).toBe(400);
    expect((await resolve(item.id, { action: 'approve', version: String(item.version) })).status).toBe(422);
    expect((await resolve('5d0c4f4e-0000-4000-8000-000000000000', { action: 'hide' })).status).toBe(404);
    expect((await resolve('not-an-id', { action: 'hide' })).status).toBe(404);
    expect((await client.post(`/c/${cast.slug}/mod/sanctions/not-an-id/lift`, { _csrf: csrf })).status).toBe(404);
    expect((await client.post(`/c/${cast.slug}/mod/threads/not-an-id/pin`, { _csrf: csrf })).status).toBe(404);
    expect((await itemOf(rude.id)).version).toBe(item.version);
  });

  it('shows plainly who resolved an item first when another moderator wins the race', async () => {
    const client = await as(cast.moderator);
    const page = await client.get(`/c/${cast.slug}/mod/review`);
    const item = await itemOf(spam.id);
    expect(page.text).toContain(`name="version" value="${item.version}"`);
    // The other moderator hides it first (through the API).
    const won = await t.http.post(`/api/v1/moderation/items/${item.id}/resolve`, { action: 'hide', version: item.version }, { token: mod2.accessToken });
    expect(won.status).toBe(200);
    const lost = await client.post(`/c/${cast.slug}/mod/review/${item.id}/resolve`, { _csrf: client.csrfFrom(page.text), action: 'dismiss', version: String(item.version) });
    expect(lost.status).toBe(409);
    expect(lost.headers.get('content-type')).toContain('text/html');
    expect(lost.text).toContain('<h1>Review queue</h1>');
    expect(lost.text).toMatch(new RegExp(`Already resolved by ${mod2.displayName} at <time datetime="[^"]+">[^<]+ UTC</time>: hide</p>`));
    expect(lost.text).toContain(`data-item-status="approved"`);
    expect(lost.text).toContain('<span class="badge">Hidden</span>');
    // The loser's dismiss changed nothing: the post stays hidden.
    const posts = await t.http.get(`/api/v1/threads/${thread.id}/posts?limit=100`);
    expect(posts.body.items.find((p: any) => p.id === spam.id)).toBeUndefined();
  });

  it('hides an item in one click, then says so', async () => {
    const client = await as(cast.moderator);
    const page = await client.get(`/c/${cast.slug}/mod/review`);
    const item = await itemOf(rude.id);
    const res = await client.post(`/c/${cast.slug}/mod/review/${item.id}/resolve`, { _csrf: client.csrfFrom(page.text), action: 'hide', version: String(item.version) });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/c/${cast.slug}/mod/review?resolved=${item.id}`);
    const after = await client.get(res.headers.get('location')!);
    expect(after.text).toContain('Resolved: Reported post in “Grinder settings for espresso”, hide.');
    expect(await itemOf(rude.id)).toBeUndefined();
    const resolved = await client.get(`/c/${cast.slug}/mod/review?status=resolved`);
    expect(resolved.text).toContain(`id="item-${item.id}"`);
    expect(resolved.text).not.toContain(`/mod/review/${item.id}/resolve`);
  });

  it('approves a queued post from the queued page (and says who rejected one first)', async () => {
    const rules = await t.http.put(
      `/api/v1/communities/${cast.slug}/moderation/rules`,
      { watchedWords: [{ pattern: 'casino', action: 'queue' }], queueNewMemberFirstPost: false },
      { token: cast.admin.accessToken },
    );
    expect(rules.status).toBe(200);
    const held = await reply(t.http, cast.member.accessToken, thread.id, 'Is the casino grinder any good?');
    const held2 = await reply(t.http, cast.member.accessToken, thread.id, 'Casino grinders again');
    const client = await as(cast.moderator);
    const page = await client.get(`/c/${cast.slug}/mod/queued`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Queued posts</h1>');
    expect(page.text).toContain('Is the casino grinder any good?');
    expect(page.text).toContain('Automod matched: casino');
    const item = (await queue('queued_post')).find((i) => i.targetId === held.id);
    const res = await client.post(`/c/${cast.slug}/mod/review/${item.id}/resolve`, { _csrf: client.csrfFrom(page.text), action: 'approve', version: String(item.version), from: 'queued' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/c/${cast.slug}/mod/queued?resolved=${item.id}`);
    expect((await client.get(res.headers.get('location')!)).text).toContain('Approved and published: “Grinder settings for espresso”.');
    const posts = await t.http.get(`/api/v1/threads/${thread.id}/posts?limit=100`);
    expect(posts.body.items.map((p: any) => p.id)).toContain(held.id);
    // The other moderator rejects the second one first.
    const item2 = (await queue('queued_post')).find((i) => i.targetId === held2.id);
    expect((await t.http.post(`/api/v1/moderation/items/${item2.id}/resolve`, { action: 'delete', version: item2.version }, { token: mod2.accessToken })).status).toBe(200);
    const lost = await client.post(`/c/${cast.slug}/mod/review/${item2.id}/resolve`, { _csrf: client.csrfFrom(page.text), action: 'approve', version: String(item2.version), from: 'queued' });
    expect(lost.status).toBe(409);
    expect(lost.text).toMatch(new RegExp(`Already resolved by ${mod2.displayName} at <time[^>]*>[^<]+</time>: delete</p>`));
    expect(lost.text).toContain('The post is now not published.');
  });

  it('gives and lifts a sanction by username; bad input is shown next to the fields', async () => {
    const client = await as(cast.moderator);
    const page = await client.get(`/c/${cast.slug}/mod/sanctions`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('No member is sanctioned now.');
    const csrf = client.csrfFrom(page.text);
    const bad = await client.post(`/c/${cast.slug}/mod/sanctions`, { _csrf: csrf, username: 'nobody-here-at-all', kind: 'silence', duration: '7d', reason: '' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('<p id="give-username-error" class="field-error">No member of this community has this username</p>');
    expect(bad.text).toContain('<p id="give-reason-error" class="field-error">Say why (the member sees it)</p>');
    expect(bad.text).toContain('value="nobody-here-at-all"');
    // Nobody sanctions an admin: the service's refusal, on the page.
    const admin = await client.post(`/c/${cast.slug}/mod/sanctions`, { _csrf: csrf, username: await usernameOf(cast.admin), kind: 'warn', duration: '1d', reason: 'No' });
    expect(admin.status).toBe(403);
    expect(admin.text).toContain('<p class="form-error" role="alert">You cannot sanction a member whose role is admin</p>');

    const username = await usernameOf(cast.member2);
    const given = await client.post(`/c/${cast.slug}/mod/sanctions`, { _csrf: csrf, username: `@${username}`, kind: 'silence', duration: '7d', reason: 'Spam links, twice' });
    expect(given.status).toBe(303);
    const sanctionId = /given=([0-9a-f-]{36})/.exec(given.headers.get('location')!)![1];
    const listed = await client.get(given.headers.get('location')!.split('#')[0]);
    expect(listed.text).toContain(`Silence given for ${cast.member2.displayName}.`);
    expect(listed.text).toMatch(new RegExp(`id="sanction-${sanctionId}" data-sanction-kind="silence">[\\s\\S]*Spam links, twice[\\s\\S]*Ends <time`));
    // In force: the member cannot post.
    expect((await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'hello' }, { token: cast.member2.accessToken })).status).toBe(403);

    const lifted = await client.post(`/c/${cast.slug}/mod/sanctions/${sanctionId}/lift`, { _csrf: csrf });
    expect(lifted.status).toBe(303);
    const after = await client.get(lifted.headers.get('location')!);
    expect(after.text).toContain(`Silence lifted for ${cast.member2.displayName}.`);
    expect(after.text).toContain('No member is sanctioned now.');
    expect(after.text).toMatch(/Lifted <time/);
    const again = await client.post(`/c/${cast.slug}/mod/sanctions/${sanctionId}/lift`, { _csrf: csrf });
    expect(again.status).toBe(409);
    expect(again.text).toContain('This sanction was already lifted or has expired');
    expect((await client.post(`/c/${cast.slug}/mod/sanctions/${sanctionId}/lift`, {})).status).toBe(403);
  });

  it('shows the audit log with the API filters, by username', async () => {
    const client = await as(cast.moderator);
    const all = await client.get(`/c/${cast.slug}/mod/audit`);
    expect(all.status).toBe(200);
    expect(all.text).toContain('data-audit-action="sanction.lifted"');
    expect(all.text).toContain('data-audit-action="review.hide"');
    const mine = await client.get(`/c/${cast.slug}/mod/audit?actor=${await usernameOf(mod2)}`);
    const actions = [...mine.text.matchAll(/data-audit-action="([^"]+)"/g)].map((m) => m[1]);
    expect(actions.length).toBeGreaterThan(0);
    expect(mine.text).not.toContain('data-audit-action="sanction.created"');
    const sanctions = await client.get(`/c/${cast.slug}/mod/audit?action=sanction.created`);
    expect([...sanctions.text.matchAll(/data-audit-action="([^"]+)"/g)].map((m) => m[1])).toEqual(['sanction.created']);
    expect(sanctions.text).toContain('Reason: Spam links, twice');
    const byTarget = await client.get(`/c/${cast.slug}/mod/audit?target=${cast.member2.id}`);
    expect(byTarget.text).toContain(`${cast.member2.displayName} <code>${cast.member2.id}</code>`);
    const unknown = await client.get(`/c/${cast.slug}/mod/audit?actor=nobody-by-that-name`);
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('<p id="audit-actor-error" class="field-error">Nobody has this username</p>');
    expect((await client.get(`/c/${cast.slug}/mod/audit?cursor=forged`)).status).toBe(400);
  });

  it('pins, locks, moves and closes a question as a duplicate from the thread page; tools only for moderators', async () => {
    const client = await as(cast.moderator);
    const path = `/t/${thread.id}/grinder-settings-for-espresso`;
    const page = await client.get(path);
    expect(page.text).toContain('<h2 id="thread-tools-heading">Moderator tools</h2>');
    expect((await (await as(cast.staff)).get(path)).text).not.toContain('Moderator tools');
    expect((await (await as(cast.member)).get(path)).text).not.toContain('Moderator tools');
    const csrf = client.csrfFrom(page.text);
    const tool = (action: string, fields: Record<string, string> = {}) => client.post(`/c/${cast.slug}/mod/threads/${thread.id}/${action}`, { _csrf: csrf, ...fields });

    const pinned = await tool('pin');
    expect(pinned.status).toBe(303);
    expect(pinned.headers.get('location')).toBe(`${path}#thread-tools`);
    expect((await tool('lock')).status).toBe(303);
    let view = (await t.http.get(`/api/v1/threads/${thread.id}`, { token: cast.moderator.accessToken })).body;
    expect([view.pinned, view.locked]).toEqual([true, true]);
    const shown = await client.get(path);
    expect(shown.text).toContain('>Unpin</button>');
    expect(shown.text).toContain('>Unlock</button>');
    expect((await tool('unlock')).status).toBe(303);

    const badMove = await tool('move', { boardId: 'not-a-board' });
    expect(badMove.status).toBe(422);
    expect(badMove.text).toContain('<p id="tools-board-error" class="field-error">Choose a board from the list</p>');
    expect((await tool('move', { boardId: archive.id })).status).toBe(303);
    view = (await t.http.get(`/api/v1/threads/${thread.id}`, { token: cast.moderator.accessToken })).body;
    expect([view.boardId, view.pinned, view.locked]).toEqual([archive.id, true, false]);
    expect((await tool('fly')).status).toBe(404);
    expect((await client.post(`/c/${cast.slug}/mod/threads/${thread.id}/pin`, {})).status).toBe(403);

    const original = await createThread(t.http, cast.member.accessToken, qaBoard.id, { title: 'How fine for a moka pot?' });
    const question = await createThread(t.http, cast.member2.accessToken, qaBoard.id, { title: 'Moka pot grind size' });
    const qPath = `/t/${question.id}/moka-pot-grind-size`;
    const qPage = await client.get(qPath);
    expect(qPage.text).toContain('<label for="tools-original">Close as a duplicate of</label>');
    const dup = (original: string) => client.post(`/c/${cast.slug}/mod/threads/${question.id}/duplicate`, { _csrf: csrf, original });
    const badDup = await dup('the other one');
    expect(badDup.status).toBe(422);
    expect(badDup.text).toContain(`<p id="tools-original-error" class="field-error">Paste the original question&#39;s address or id</p>`);
    expect(badDup.text).toContain('value="the other one"');
    expect((await dup(`${t.baseUrl}/t/${original.id}/how-fine-for-a-moka-pot`)).status).toBe(303);
    view = (await t.http.get(`/api/v1/threads/${question.id}`, { token: cast.moderator.accessToken })).body;
    expect([view.duplicateOfThreadId, view.locked]).toEqual([original.id, true]);
    expect((await client.get(qPath)).text).toContain(`Closed as a duplicate of <a href="/t/${original.id}">another question</a>.`);
  });
});
