import { roleAtLeast } from '../src/core/auth/roles';
import { STAFF_NAV } from '../src/web/staff/staff-access';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast } from './support/content';
import { createMember, TestUser } from './support/factories';
import { PageClient, signInPage } from './support/page-client';

/**
 * Issue 24, item 5: every staff, moderator and admin page checks its role on the server. For each
 * page of the staff navigation (STAFF_NAV): a guest is sent to log in; a member, a member below the
 * page's role and an admin of another community get the 404 page; the page's role and above get
 * it. A page no one has built yet is 404 for everyone (its community admin included); the admin
 * pages of this test's own pages must be among the built ones.
 */
describe('web pages: a member cannot open any staff page', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let cast: Cast;
  const clients = {} as Record<'member' | 'staff' | 'moderator' | 'admin' | 'outsider' | 'platform', PageClient>;
  let guest: PageClient;
  const built: string[] = [];

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
    const communityAdmin: TestUser = await createMember(t.http, cast.admin.accessToken, cast.slug, 'admin');
    const users: Record<keyof typeof clients, TestUser> = {
      member: cast.member,
      staff: cast.staff,
      moderator: cast.moderator,
      admin: communityAdmin,
      outsider: cast.outsider,
      platform: cast.admin,
    };
    for (const [name, user] of Object.entries(users)) clients[name as keyof typeof clients] = await signInPage(t.baseUrl, user.email, user.password);
    guest = new PageClient(t.baseUrl);
  }, 180_000);
  afterAll(() => t?.close());

  const url = (path: string) => `/c/${cast.slug}/${path}`;

  it('checks every page of the staff navigation for every role', async () => {
    for (const link of STAFF_NAV) {
      const path = url(link.path);
      // Built means the community's own admin (every role's powers) opens it.
      const asAdmin = await clients.admin.get(path);
      expect([200, 404]).toContain(asAdmin.status);
      if (asAdmin.status !== 200) {
        // Not built yet: nobody opens it.
        for (const who of ['member', 'staff', 'moderator', 'outsider'] as const) expect([path, who, (await clients[who].get(path)).status]).toEqual([path, who, 404]);
        continue;
      }
      built.push(link.path);

      const asGuest = await guest.get(path);
      expect([path, asGuest.status, asGuest.headers.get('location')]).toEqual([path, 303, `/login?next=${encodeURIComponent(path)}`]);

      for (const role of ['member', 'staff', 'moderator'] as const) {
        const res = await clients[role].get(path);
        const allowed = roleAtLeast(role, link.role);
        expect([path, role, res.status]).toEqual([path, role, allowed ? 200 : 404]);
        if (!allowed) {
          expect(res.text).toContain('Page not found');
          expect(res.text).not.toContain('class="staff-nav"');
        }
      }
      // An admin elsewhere is nobody here.
      const outsider = await clients.outsider.get(path);
      expect([path, 'outsider', outsider.status]).toEqual([path, 'outsider', 404]);
      // The platform admin is admin everywhere.
      expect([path, 'platform', (await clients.platform.get(path)).status]).toEqual([path, 'platform', 200]);
    }
    // This test's own pages are among those checked; a later page joins the check when it is built.
    expect(built).toEqual(expect.arrayContaining(['admin/boards', 'admin/roles', 'admin/settings', 'admin/automod']));
  });

  it('refuses the admin pages\' forms to members, staff, moderators and other communities\' admins (404, nothing changes)', async () => {
    const before = await t.http.get(`/api/v1/communities/${cast.slug}/settings`, { token: cast.admin.accessToken });
    const boardsBefore = await t.http.get(`/api/v1/communities/${cast.slug}/boards?limit=100`, { token: cast.admin.accessToken });
    const boardId = boardsBefore.body.items[0].id;
    const forms: Array<[string, Record<string, string>]> = [
      [url('admin/boards'), { name: 'Sneaky', slug: 'sneaky', kind: 'discussion', visibility: 'public' }],
      [url(`admin/boards/${boardId}`), { name: 'Renamed' }],
      [url(`admin/boards/${boardId}/move`), { direction: 'down' }],
      [url('admin/boards/order'), { order: boardId }],
      [url(`admin/roles/${cast.member.id}`), { role: 'admin' }],
      [url('admin/settings'), { group: 'chat', flagsToHide: '42' }],
      [url('admin/automod/words'), { pattern: 'sneaky', action: 'block' }],
      [url('admin/automod/words/remove'), { pattern: 'sneaky' }],
      [url('admin/automod/first-post'), { queueNewMemberFirstPost: 'true' }],
      ['/admin/communities', { name: 'Sneaky', slug: 'sneaky-community' }],
    ];
    for (const who of ['member', 'staff', 'moderator', 'outsider'] as const) {
      const client = clients[who];
      // A valid CSRF token of their own (the settings page every member can open).
      const csrf = client.csrfFrom((await client.get('/settings')).text);
      for (const [path, fields] of forms) {
        const res = await client.post(path, { _csrf: csrf, ...fields });
        expect([who, path, res.status]).toEqual([who, path, 404]);
      }
    }
    expect((await t.http.get(`/api/v1/communities/${cast.slug}/settings`, { token: cast.admin.accessToken })).body).toEqual(before.body);
    expect((await t.http.get(`/api/v1/communities/${cast.slug}/boards?limit=100`, { token: cast.admin.accessToken })).body).toEqual(boardsBefore.body);
    expect((await t.http.get(`/api/v1/communities/${cast.slug}/moderation/rules`, { token: cast.admin.accessToken })).body).toEqual({ watchedWords: [], queueNewMemberFirstPost: false, version: expect.any(String) });
    const member = await t.http.get(`/api/v1/communities/${cast.slug}/members?role=admin`, { token: cast.admin.accessToken });
    expect(member.body.items.map((m: any) => m.user.id)).not.toContain(cast.member.id);
    expect((await t.http.get('/api/v1/communities/sneaky-community')).status).toBe(404);
  });

  it('the platform admin\'s page: guests log in; members, staff, moderators and community admins get the 404 page', async () => {
    const asGuest = await guest.get('/admin');
    expect([asGuest.status, asGuest.headers.get('location')]).toEqual([303, '/login?next=%2Fadmin']);
    for (const who of ['member', 'staff', 'moderator', 'admin', 'outsider'] as const) {
      const res = await clients[who].get('/admin');
      expect([who, res.status]).toEqual([who, 404]);
      expect(res.text).toContain('Page not found');
    }
    expect((await clients.platform.get('/admin')).status).toBe(200);
  });
});
