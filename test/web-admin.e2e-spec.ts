import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast } from './support/content';
import { createMember, registerUser, TestUser, unique } from './support/factories';
import { PageClient, signInPage } from './support/page-client';

/** The admin pages over plain HTTP (issue 24): boards, roles, settings, automod and the platform admin's page. */
describe('web pages: admin pages (HTTP)', () => {
  let t: TestApp;
  let cast: Cast;
  let admin: TestUser;
  let communityAdmin: TestUser;
  let asAdmin: PageClient;

  const decode = (s: string) => s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  const signIn = (user: TestUser) => signInPage(t.baseUrl, user.email, user.password);
  const page = (slug: string, path: string) => `/c/${slug}/admin/${path}`;
  /** The error shown under a field (its id is `<prefix>-<name>-error`). */
  const fieldError = (html: string, id: string) => {
    const m = new RegExp(`<p id="${id}-error" class="field-error">([^<]*)</p>`).exec(html);
    return m ? decode(m[1]) : null;
  };
  const boardsOf = async (slug: string, token: string) =>
    ((await t.http.get(`/api/v1/communities/${slug}/boards?limit=100`, { token })).body.items as Array<{ id: string; slug: string; name: string; position: number; kind: string; visibility: string }>);
  const usernameOf = async (user: TestUser) => (await t.http.get(`/api/v1/users/${user.id}`)).body.username as string;

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    admin = cast.admin;
    communityAdmin = await createMember(t.http, admin.accessToken, cast.slug, 'admin');
    asAdmin = await signIn(communityAdmin);
  }, 180_000);
  afterAll(() => t?.close());

  describe('boards', () => {
    it('creates a board, with errors next to the fields, and refuses a taken slug', async () => {
      const list = await asAdmin.get(page(cast.slug, 'boards'));
      expect(list.status).toBe(200);
      expect(list.text).toContain('<h1>Boards</h1>');
      expect(list.text).toContain('No boards yet');
      const csrf = asAdmin.csrfFrom(list.text);

      const bad = await asAdmin.post(page(cast.slug, 'boards'), { _csrf: csrf, name: '', slug: 'Not A Slug', kind: 'qa', visibility: 'everyone', description: '' });
      expect(bad.status).toBe(400);
      expect(fieldError(bad.text, 'create-slug')).toBe('slug must be 1-40 lowercase letters, digits or inner hyphens');
      expect(fieldError(bad.text, 'create-name')).toMatch(/name must be longer than or equal to 1 characters/);
      expect(fieldError(bad.text, 'create-visibility')).toBe('visibility must be one of public, members, staff');
      expect(bad.text).toContain('value="Not A Slug"'); // what was typed stays
      expect(await boardsOf(cast.slug, admin.accessToken)).toEqual([]);

      const made = await asAdmin.post(page(cast.slug, 'boards'), { _csrf: csrf, name: 'Questions', slug: 'questions', kind: 'qa', visibility: 'members', description: 'Ask away' });
      expect(made.status).toBe(303);
      expect(made.headers.get('location')).toBe(`/c/${cast.slug}/admin/boards?saved=created`);
      const [board] = await boardsOf(cast.slug, admin.accessToken);
      expect(board).toMatchObject({ name: 'Questions', slug: 'questions', kind: 'qa', visibility: 'members', description: 'Ask away', position: 0 });

      const taken = await asAdmin.post(page(cast.slug, 'boards'), { _csrf: csrf, name: 'Again', slug: 'questions', kind: 'discussion', visibility: 'public' });
      expect(taken.status).toBe(409);
      expect(fieldError(taken.text, 'create-slug')).toBe('This community already has a board with the slug "questions"');
      const after = await asAdmin.get(`${page(cast.slug, 'boards')}?saved=created`);
      expect(after.text).toContain('The board is created.');
      expect(after.text).toContain(`id="board-${board.id}"`);
    });

    it('edits a board, keeps another community\'s boards out, and orders boards by moving and by the whole order', async () => {
      for (const s of ['news', 'ideas', 'staff-room']) await createBoard(t.http, admin.accessToken, cast.slug, { slug: s, name: s[0].toUpperCase() + s.slice(1) });
      let boards = await boardsOf(cast.slug, admin.accessToken);
      expect(boards.map((b) => b.slug)).toEqual(['questions', 'news', 'ideas', 'staff-room']);
      const [questions, news, ideas, staffRoom] = boards;

      const edit = await asAdmin.get(`${page(cast.slug, 'boards')}/${news.id}/edit`);
      expect(edit.status).toBe(200);
      expect(edit.text).toContain('Edit board: News');
      const csrf = asAdmin.csrfFrom(edit.text);
      const badEdit = await asAdmin.post(`${page(cast.slug, 'boards')}/${news.id}`, { _csrf: csrf, name: 'News', slug: 'news', kind: 'gossip', visibility: 'public', description: '' });
      expect(badEdit.status).toBe(400);
      expect(fieldError(badEdit.text, 'edit-kind')).toBe('kind must be one of the following values: discussion, qa, showcase, announcements, ideas');
      const saved = await asAdmin.post(`${page(cast.slug, 'boards')}/${news.id}`, { _csrf: csrf, name: 'Announcements', slug: 'news', kind: 'announcements', visibility: 'public', description: 'From the team' });
      expect(saved.status).toBe(303);
      expect((await boardsOf(cast.slug, admin.accessToken))[1]).toMatchObject({ id: news.id, name: 'Announcements', kind: 'announcements', description: 'From the team' });

      // Another community's board is not found through this community's page.
      const other = await createBoard(t.http, admin.accessToken, (await t.http.get(`/api/v1/me`, { token: cast.outsider.accessToken })).body.memberships[0].community.slug, { slug: 'elsewhere' });
      expect((await asAdmin.get(`${page(cast.slug, 'boards')}/${other.id}/edit`)).status).toBe(404);
      expect((await asAdmin.post(`${page(cast.slug, 'boards')}/${other.id}/move`, { _csrf: csrf, direction: 'up' })).status).toBe(404);
      expect((await asAdmin.get(`${page(cast.slug, 'boards')}/not-an-id/edit`)).status).toBe(404);

      // Move down and up (the keyboard's and no-JavaScript way).
      const down = await asAdmin.post(`${page(cast.slug, 'boards')}/${questions.id}/move`, { _csrf: csrf, direction: 'down' });
      expect(down.status).toBe(303);
      expect(down.headers.get('location')).toBe(`/c/${cast.slug}/admin/boards?saved=order#board-${questions.id}`);
      boards = await boardsOf(cast.slug, admin.accessToken);
      expect(boards.map((b) => [b.slug, b.position])).toEqual([['news', 0], ['questions', 1], ['ideas', 2], ['staff-room', 3]]);
      await asAdmin.post(`${page(cast.slug, 'boards')}/${staffRoom.id}/move`, { _csrf: csrf, direction: 'up' });
      // At the top, up changes nothing.
      await asAdmin.post(`${page(cast.slug, 'boards')}/${news.id}/move`, { _csrf: csrf, direction: 'up' });
      expect((await boardsOf(cast.slug, admin.accessToken)).map((b) => b.slug)).toEqual(['news', 'questions', 'staff-room', 'ideas']);
      expect((await asAdmin.post(`${page(cast.slug, 'boards')}/${news.id}/move`, { _csrf: csrf, direction: 'sideways' })).status).toBe(400);

      // The whole order at once (drag and drop).
      const order = [ideas.id, questions.id, news.id, staffRoom.id];
      const res = await asAdmin.post(`${page(cast.slug, 'boards')}/order`, { _csrf: csrf, order: order.join(',') });
      expect(res.status).toBe(303);
      boards = await boardsOf(cast.slug, admin.accessToken);
      expect(boards.map((b) => [b.id, b.position])).toEqual(order.map((id, i) => [id, i]));
      // An order that is not exactly this community's boards is refused whole.
      for (const wrong of [order.slice(1), [...order, other.id], [ideas.id, ideas.id, news.id, staffRoom.id], [...order.slice(1), other.id]]) {
        const refused = await asAdmin.post(`${page(cast.slug, 'boards')}/order`, { _csrf: csrf, order: wrong.join(',') });
        expect(refused.status).toBe(409);
        expect(decode(refused.text)).toContain('The boards changed since this page was loaded');
      }
      expect((await boardsOf(cast.slug, admin.accessToken)).map((b) => b.id)).toEqual(order);
      // The page lists them in that order, with Move up disabled on the first and Move down on the last.
      const list = await asAdmin.get(page(cast.slug, 'boards'));
      const ids = [...list.text.matchAll(/data-board-id="([0-9a-f-]{36})"/g)].map((m) => m[1]);
      expect(ids).toEqual(order);
      expect((list.text.match(/data-move-up aria-label="Move up: [^"]+" disabled/g) ?? []).length).toBe(1);
      expect((list.text.match(/data-move-down aria-label="Move down: [^"]+" disabled/g) ?? []).length).toBe(1);
    });

    it('refuses a form without the CSRF token', async () => {
      const res = await asAdmin.post(page(cast.slug, 'boards'), { name: 'X', slug: 'x', kind: 'discussion', visibility: 'public' });
      expect(res.status).toBe(403);
      expect((await boardsOf(cast.slug, admin.accessToken)).some((b) => b.slug === 'x')).toBe(false);
    });
  });

  describe('roles', () => {
    it('lists members, filters by role, pages, finds by part of a name or username and changes a role', async () => {
      const res = await asAdmin.get(page(cast.slug, 'roles'));
      expect(res.status).toBe(200);
      for (const u of [cast.member, cast.staff, cast.moderator, communityAdmin]) expect(res.text).toContain(`id="member-${u.id}"`);
      expect(res.text).toContain('trust:'); // admins see trust levels, as moderators do in the API

      const mods = await asAdmin.get(`${page(cast.slug, 'roles')}?role=moderator`);
      expect([...mods.text.matchAll(/id="member-([0-9a-f-]{36})"/g)].map((m) => m[1])).toEqual([cast.moderator.id]);

      // Paging: 21 members more, 20 a page.
      for (let i = 0; i < 21; i++) await createMember(t.http, admin.accessToken, cast.slug);
      const first = await asAdmin.get(`${page(cast.slug, 'roles')}?role=member`);
      expect([...first.text.matchAll(/id="member-/g)].length).toBe(20);
      const next = /<a href="([^"]+)" rel="next">More members<\/a>/.exec(first.text)![1];
      const second = await asAdmin.get(decode(next));
      expect(second.status).toBe(200);
      expect([...second.text.matchAll(/id="member-/g)].length).toBe(3); // member, member2 and 21 more, minus 20
      expect(second.text).toContain('First members');

      // Search: any part of the display name or the username, any letter case, with the role filter and paging.
      const username = await usernameOf(cast.member2);
      const idsOf = (html: string) => [...html.matchAll(/id="member-([0-9a-f-]{36})"/g)].map((m) => m[1]);
      const found = await asAdmin.get(`${page(cast.slug, 'roles')}?q=%40${encodeURIComponent(username.toUpperCase())}`);
      expect(idsOf(found.text)).toEqual([cast.member2.id]);
      const byName = await asAdmin.get(`${page(cast.slug, 'roles')}?q=${encodeURIComponent(cast.member2.displayName.slice(-5).toUpperCase())}&role=member`);
      expect(idsOf(byName.text)).toEqual([cast.member2.id]);
      expect(idsOf((await asAdmin.get(`${page(cast.slug, 'roles')}?q=${encodeURIComponent(cast.member2.displayName.slice(-5))}&role=staff`)).text)).toEqual([]);
      const everyone = await asAdmin.get(`${page(cast.slug, 'roles')}?q=member`); // every test user is "Member ..."
      expect(idsOf(everyone.text).length).toBe(20);
      expect(everyone.text).toContain('rel="next">More members</a>');
      for (const literal of ['%', '_', '\\']) {
        const res = await asAdmin.get(`${page(cast.slug, 'roles')}?q=${encodeURIComponent(literal)}`);
        expect([literal, res.status, idsOf(res.text)]).toEqual([literal, 200, []]);
        expect(res.text).toContain('No member matches.');
      }
      const outsiderName = await usernameOf(cast.outsider);
      const notHere = await asAdmin.get(`${page(cast.slug, 'roles')}?q=${encodeURIComponent(outsiderName)}`);
      expect(notHere.text).toContain('No member matches.');
      expect(notHere.text).not.toContain(`id="member-${cast.outsider.id}"`);
      // The same search in the API (GET /communities/:slug/members?q=), for any member; an empty or long q is 400.
      const api = await t.http.get(`/api/v1/communities/${cast.slug}/members?q=${encodeURIComponent(username.slice(2).toUpperCase())}`, { token: cast.member.accessToken });
      expect(api.status).toBe(200);
      expect(api.body.items.map((m: any) => m.user.id)).toEqual([cast.member2.id]);
      expect((await t.http.get(`/api/v1/communities/${cast.slug}/members?q=`, { token: cast.member.accessToken })).status).toBe(400);
      expect((await t.http.get(`/api/v1/communities/${cast.slug}/members?q=${'x'.repeat(101)}`, { token: cast.member.accessToken })).status).toBe(400);

      const csrf = asAdmin.csrfFrom(found.text);
      const back = /name="back" value="([^"]*)"/.exec(found.text)![1];
      const changed = await asAdmin.post(`${page(cast.slug, 'roles')}/${cast.member2.id}`, { _csrf: csrf, role: 'moderator', back: decode(back) });
      expect(changed.status).toBe(303);
      expect(changed.headers.get('location')).toBe(`/c/${cast.slug}/admin/roles?q=%40${encodeURIComponent(username.toUpperCase())}&saved=${cast.member2.id}#member-${cast.member2.id}`);
      const members = await t.http.get(`/api/v1/communities/${cast.slug}/members?role=moderator`, { token: admin.accessToken });
      expect(members.body.items.map((m: any) => m.user.id)).toContain(cast.member2.id);
      const shown = await asAdmin.get(changed.headers.get('location')!.split('#')[0]);
      expect(decode(shown.text)).toContain(`${cast.member2.displayName} is now moderator.`);

      const badRole = await asAdmin.post(`${page(cast.slug, 'roles')}/${cast.member2.id}`, { _csrf: csrf, role: 'owner' });
      expect(badRole.status).toBe(400);
      expect(decode(badRole.text)).toContain('role must be one of member, staff, moderator, admin');
      const stranger = await asAdmin.post(`${page(cast.slug, 'roles')}/${cast.outsider.id}`, { _csrf: csrf, role: 'staff' });
      expect(stranger.status).toBe(404);
      expect(decode(stranger.text)).toContain('That user is not a member of this community');
    });

    it('shows plainly that the last admin cannot be demoted', async () => {
      // A community whose only admin is its creator, the platform admin.
      const platform = await signIn(admin);
      const form = await platform.get('/admin');
      const slug = unique('solo');
      expect((await platform.post('/admin/communities', { _csrf: platform.csrfFrom(form.text), name: 'Solo', slug })).status).toBe(303);
      const roles = await platform.get(page(slug, 'roles'));
      const res = await platform.post(`${page(slug, 'roles')}/${admin.id}`, { _csrf: platform.csrfFrom(roles.text), role: 'member' });
      expect(res.status).toBe(409);
      expect(res.text).toContain('<p class="form-error" role="alert">A community must keep at least one admin</p>');
      expect(fieldError(res.text, `role-${admin.id}`)).toBe('A community must keep at least one admin');
      expect((await t.http.get(`/api/v1/communities/${slug}/members?role=admin`, { token: admin.accessToken })).body.items.map((m: any) => m.user.id)).toEqual([admin.id]);
    });
  });

  describe('settings', () => {
    it('shows every setting with its bounds and help, keeps a bad value with its error, and saves only what the form sent', async () => {
      const res = await asAdmin.get(page(cast.slug, 'settings'));
      expect(res.status).toBe(200);
      const api = (await t.http.get(`/api/v1/communities/${cast.slug}/settings`, { token: admin.accessToken })).body as Record<string, number>;
      for (const [name, value] of Object.entries(api)) {
        expect(res.text).toMatch(new RegExp(`name="${name}" type="number"[^>]* min="\\d+" max="\\d+" value="${value}"`));
      }
      expect(res.text).toContain('name="flagsToHide" type="number" inputmode="numeric" step="1" min="1" max="100"');
      expect(res.text).toContain('Distinct members whose open reports hide a post until reviewed. From 1 to 100; default 3.');
      const csrf = asAdmin.csrfFrom(res.text);

      const bad = await asAdmin.post(page(cast.slug, 'settings'), { _csrf: csrf, group: 'chat', chatMessagesPer30Seconds: '50', newMemberChatMessagesPer30Seconds: 'ten', flagsToHide: '0' });
      expect(bad.status).toBe(400);
      expect(fieldError(bad.text, 'setting-flagsToHide')).toBe('Must be at least 1');
      expect(fieldError(bad.text, 'setting-newMemberChatMessagesPer30Seconds')).toBe('Must be a whole number');
      expect(fieldError(bad.text, 'setting-chatMessagesPer30Seconds')).toBeNull();
      expect(bad.text).toContain('name="flagsToHide" type="number" inputmode="numeric" step="1" min="1" max="100" value="0"');
      expect((await t.http.get(`/api/v1/communities/${cast.slug}/settings`, { token: admin.accessToken })).body).toEqual(api); // nothing saved

      const good = await asAdmin.post(page(cast.slug, 'settings'), { _csrf: csrf, group: 'chat', flagsToHide: '5' });
      expect(good.status).toBe(303);
      expect(good.headers.get('location')).toBe(`/c/${cast.slug}/admin/settings?saved=chat#chat`);
      expect((await t.http.get(`/api/v1/communities/${cast.slug}/settings`, { token: admin.accessToken })).body).toEqual({ ...api, flagsToHide: 5 });
      const shown = await asAdmin.get(`${page(cast.slug, 'settings')}?saved=chat`);
      expect(shown.text).toContain('Chat and moderation: saved.');
      expect(shown.text).toContain('name="flagsToHide" type="number" inputmode="numeric" step="1" min="1" max="100" value="5"');

      expect((await asAdmin.post(page(cast.slug, 'settings'), { _csrf: csrf, group: 'everything', flagsToHide: '4' })).status).toBe(400);
      const tooBig = await asAdmin.post(page(cast.slug, 'settings'), { _csrf: csrf, group: 'points', dailyPointsCap: '1000001' });
      expect(fieldError(tooBig.text, 'setting-dailyPointsCap')).toBe('Must be at most 1000000');
    });
  });

  describe('automod', () => {
    it('adds watched words, refuses bad and duplicate ones next to the field, removes one and holds first posts', async () => {
      const res = await asAdmin.get(page(cast.slug, 'automod'));
      expect(res.status).toBe(200);
      expect(res.text).toContain('No watched words yet.');
      const csrf = asAdmin.csrfFrom(res.text);
      const add = (pattern: string, action: string) => asAdmin.post(`${page(cast.slug, 'automod')}/words`, { _csrf: csrf, pattern, action });

      expect((await add('buy* now', 'queue')).status).toBe(303);
      expect((await add('scam', 'block')).status).toBe(303);
      const rules = () => t.http.get(`/api/v1/communities/${cast.slug}/moderation/rules`, { token: admin.accessToken }).then((r) => r.body);
      expect(await rules()).toEqual({ watchedWords: [{ pattern: 'buy* now', action: 'queue' }, { pattern: 'scam', action: 'block' }], queueNewMemberFirstPost: false, version: expect.any(String) });

      const lone = await add('*', 'flag');
      expect(lone.status).toBe(400);
      expect(fieldError(lone.text, 'rule-pattern')).toBe('A `*` must be part of a word (a lone `*` would match every word)');
      const dup = await add('SCAM', 'flag');
      expect(dup.status).toBe(400);
      expect(fieldError(dup.text, 'rule-pattern')).toBe('Duplicate pattern');
      expect(dup.text).toContain('value="SCAM"');
      const noAction = await add('spam', 'explode');
      expect(noAction.status).toBe(400);
      expect(decode(noAction.text)).toContain('action must be one of block, queue, flag');

      const list = await asAdmin.get(page(cast.slug, 'automod'));
      expect(list.text).toContain('<tr data-rule="buy* now">');
      expect(list.text).toContain('2 of at most 1000 rules.');

      expect((await asAdmin.post(`${page(cast.slug, 'automod')}/words/remove`, { _csrf: csrf, pattern: 'buy* now' })).status).toBe(303);
      expect((await asAdmin.post(`${page(cast.slug, 'automod')}/first-post`, { _csrf: csrf, queueNewMemberFirstPost: 'true' })).status).toBe(303);
      expect(await rules()).toEqual({ watchedWords: [{ pattern: 'scam', action: 'block' }], queueNewMemberFirstPost: true, version: expect.any(String) });
      expect((await asAdmin.post(`${page(cast.slug, 'automod')}/first-post`, { _csrf: csrf })).status).toBe(303);
      expect((await rules()).queueNewMemberFirstPost).toBe(false);

      // Words added at once (two admins, or two tabs) all land: each add is reapplied on the rules as they are.
      const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
      expect((await Promise.all(words.map((w) => add(w, 'flag')))).map((r) => r.status)).toEqual(words.map(() => 303));
      expect((await rules()).watchedWords.map((w: { pattern: string }) => w.pattern).sort()).toEqual(['scam', ...words].sort());

      // The rule works: a member's post with the blocked word is refused.
      const board = await createBoard(t.http, admin.accessToken, cast.slug, { slug: unique('b') });
      const post = await t.http.post(`/api/v1/boards/${board.id}/threads`, { title: 'Hello', body: 'Not a scam, promise' }, { token: cast.member.accessToken });
      expect(post.status).toBe(422);
    });
  });

  describe('platform admin', () => {
    it('lists communities and creates one with its first admin by username or email', async () => {
      const platform = await signIn(admin);
      const res = await platform.get('/admin');
      expect(res.status).toBe(200);
      expect(res.text).toContain(`data-community="${cast.slug}"`);
      const csrf = platform.csrfFrom(res.text);
      const future = await registerUser(t.http);
      const futureName = await usernameOf(future);

      const slug = unique('brand');
      const bad = await platform.post('/admin/communities', { _csrf: csrf, name: 'Brand', slug, firstAdmin: 'nobody-here-at-all' });
      expect(bad.status).toBe(400);
      expect(fieldError(bad.text, 'community-firstAdmin')).toBe('No account has this email address or username');
      expect((await t.http.get(`/api/v1/communities/${slug}`)).status).toBe(404); // nothing was created
      const badSlug = await platform.post('/admin/communities', { _csrf: csrf, name: 'Brand', slug: '-x', firstAdmin: '' });
      expect(fieldError(badSlug.text, 'community-slug')).toBe('slug must be 3-40 lowercase letters, digits or hyphens, not starting or ending with a hyphen');

      const made = await platform.post('/admin/communities', { _csrf: csrf, name: 'Brand Co', slug, description: 'Our customers', firstAdmin: `@${futureName}` });
      expect(made.status).toBe(303);
      expect(made.headers.get('location')).toBe(`/admin?created=${slug}`);
      const admins = await t.http.get(`/api/v1/communities/${slug}/members?role=admin`, { token: admin.accessToken });
      expect(admins.body.items.map((m: any) => m.user.id).sort()).toEqual([admin.id, future.id].sort());
      expect((await platform.get(`/admin?created=${slug}`)).text).toContain('Brand Co is created.');
      // The appointed admin can open their community's admin pages.
      expect((await (await signIn(future)).get(page(slug, 'boards'))).status).toBe(200);

      const taken = await platform.post('/admin/communities', { _csrf: csrf, name: 'Again', slug, firstAdmin: future.email.toUpperCase() });
      expect(taken.status).toBe(409);
      expect(fieldError(taken.text, 'community-slug')).toBe(`A community with the slug "${slug}" already exists`);
      const byEmail = unique('mail');
      expect((await platform.post('/admin/communities', { _csrf: csrf, name: 'By mail', slug: byEmail, firstAdmin: future.email.toUpperCase() })).status).toBe(303);
      expect((await t.http.get(`/api/v1/communities/${byEmail}/members?role=admin`, { token: admin.accessToken })).body.items.map((m: any) => m.user.id)).toContain(future.id);
    });

    it('is the 404 page for everyone else (a guest logs in)', async () => {
      const guest = new PageClient(t.baseUrl);
      const res = await guest.get('/admin');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/login?next=%2Fadmin');
      expect((await asAdmin.get('/admin')).status).toBe(404);
      const page404 = await asAdmin.get('/admin');
      expect(page404.text).toContain('Page not found');
      const csrf = asAdmin.csrfFrom((await asAdmin.get(page(cast.slug, 'boards'))).text);
      const slug = unique('nope');
      expect((await asAdmin.post('/admin/communities', { _csrf: csrf, name: 'Nope', slug })).status).toBe(404);
      expect((await t.http.get(`/api/v1/communities/${slug}`)).status).toBe(404);
    });
  });
});
