import { startApp, TestApp } from './support/app';
import { createCommunity, createMember, loginAdmin, registerUser, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';

describe('communities', () => {
  let t: TestApp;
  let admin: TestUser;
  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
  });
  afterAll(() => t?.close());

  describe('create and read', () => {
    it('lets the platform admin create a community and makes them its first admin', async () => {
      const slug = unique('acme');
      const res = await t.http.post('/api/v1/communities', { slug, name: '  Acme  ', description: 'Our customers' }, { token: admin.accessToken });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), slug, name: 'Acme', description: 'Our customers', createdAt: expect.any(String) });
      const me = await t.http.get('/api/v1/me', { token: admin.accessToken });
      expect(me.body.user.isPlatformAdmin).toBe(true);
      expect(me.body.memberships).toContainEqual({ community: res.body, role: 'admin' });
      // Guests can read it.
      const read = await t.http.get(`/api/v1/communities/${slug}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);
    });

    it('refuses everyone but the platform admin', async () => {
      const user = await registerUser(t.http);
      expectProblem(await t.http.post('/api/v1/communities', { slug: unique('nope'), name: 'Nope' }, { token: user.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.post('/api/v1/communities', { slug: unique('nope'), name: 'Nope' }), 401, 'UNAUTHENTICATED');
    });

    it('refuses a taken slug and bad input', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      expectProblem(await t.http.post('/api/v1/communities', { slug, name: 'Again' }, { token: admin.accessToken }), 409, 'SLUG_TAKEN');
      for (const body of [{ slug: 'Has Caps', name: 'x' }, { slug: '-dash', name: 'x' }, { slug: 'ab', name: 'x' }, { slug: unique('ok'), name: '' }, { slug: unique('ok'), name: 'x', extra: 1 }]) {
        expectProblem(await t.http.post('/api/v1/communities', body, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
      }
    });

    it('answers 404 problem+json for an unknown community', async () => {
      expectProblem(await t.http.get('/api/v1/communities/no-such-place'), 404, 'NOT_FOUND');
    });
  });

  describe('join and members', () => {
    it('joins as a member, idempotently, and lists members in order', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const user = await registerUser(t.http);
      const first = await t.http.post(`/api/v1/communities/${slug}/join`, undefined, { token: user.accessToken });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ user: { id: user.id, username: user.displayName.split(' ').join('').toLowerCase(), displayName: user.displayName, avatarUrl: null }, role: 'member', joinedAt: expect.any(String) });
      const again = await t.http.post(`/api/v1/communities/${slug}/join`, undefined, { token: user.accessToken });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      const list = await t.http.get(`/api/v1/communities/${slug}/members`, { token: user.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.items.map((m: { user: { id: string } }) => m.user.id)).toEqual([admin.id, user.id]);
      expect(list.body.nextCursor).toBeNull();
      const me = await t.http.get('/api/v1/me', { token: user.accessToken });
      expect(me.body.memberships).toEqual([{ community: expect.objectContaining({ slug }), role: 'member' }]);
    });

    it('pages members with a cursor, without gaps or duplicates, and filters by role', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const members: TestUser[] = [];
      for (let i = 0; i < 7; i++) members.push(await createMember(t.http, admin.accessToken, slug, i % 3 === 0 ? 'staff' : 'member'));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { status: number; body: { items: Array<{ user: { id: string } }>; nextCursor: string | null } } = await t.http.get(
          `/api/v1/communities/${slug}/members?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          { token: admin.accessToken },
        );
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.items.map((m) => m.user.id));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([admin.id, ...members.map((m) => m.id)]);
      const staff = await t.http.get(`/api/v1/communities/${slug}/members?role=staff`, { token: admin.accessToken });
      expect(staff.body.items.map((m: { user: { id: string } }) => m.user.id)).toEqual([members[0].id, members[3].id, members[6].id]);
    });

    it('rejects bad list parameters', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      for (const q of ['limit=0', 'limit=101', 'limit=abc', 'role=king', 'nope=1']) {
        expectProblem(await t.http.get(`/api/v1/communities/${slug}/members?${q}`, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
      }
      for (const q of ['cursor=%%%', 'cursor=WzFd']) {
        expectProblem(await t.http.get(`/api/v1/communities/${slug}/members?${q}`, { token: admin.accessToken }), 400, 'INVALID_CURSOR');
      }
    });

    it('hides the member list from guests and from members of other communities', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const other = await createCommunity(t.http, admin.accessToken);
      const outsider = await createMember(t.http, admin.accessToken, other.slug, 'admin');
      expectProblem(await t.http.get(`/api/v1/communities/${slug}/members`), 401, 'UNAUTHENTICATED');
      expectProblem(await t.http.get(`/api/v1/communities/${slug}/members`, { token: outsider.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.post('/api/v1/communities/no-such-place/join', undefined, { token: outsider.accessToken }), 404, 'NOT_FOUND');
    });
  });

  describe('roles', () => {
    it('lets a community admin change roles, and enforces the ladder member < staff < moderator < admin', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const owner = await createMember(t.http, admin.accessToken, slug, 'admin');
      const mod = await createMember(t.http, admin.accessToken, slug, 'moderator');
      const member = await createMember(t.http, admin.accessToken, slug);
      const res = await t.http.put(`/api/v1/communities/${slug}/members/${member.id}/role`, { role: 'staff' }, { token: owner.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ user: expect.objectContaining({ id: member.id }), role: 'staff' }));
      // A moderator is below admin: cannot change roles or read settings.
      expectProblem(await t.http.put(`/api/v1/communities/${slug}/members/${member.id}/role`, { role: 'admin' }, { token: mod.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.get(`/api/v1/communities/${slug}/settings`, { token: mod.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.put(`/api/v1/communities/${slug}/members/${member.id}/role`, { role: 'admin' }, { token: member.accessToken }), 403, 'FORBIDDEN');
      // The member's own view of its role follows.
      const me = await t.http.get('/api/v1/me', { token: member.accessToken });
      expect(me.body.memberships).toEqual([{ community: expect.objectContaining({ slug }), role: 'staff' }]);
    });

    it('lets only the platform admin give a role to a non-member, creating the membership', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const owner = await createMember(t.http, admin.accessToken, slug, 'admin');
      const stranger = await registerUser(t.http);
      expectProblem(await t.http.put(`/api/v1/communities/${slug}/members/${stranger.id}/role`, { role: 'staff' }, { token: owner.accessToken }), 404, 'MEMBER_NOT_FOUND');
      const res = await t.http.put(`/api/v1/communities/${slug}/members/${stranger.id}/role`, { role: 'admin' }, { token: admin.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.role).toBe('admin');
      expectProblem(await t.http.put(`/api/v1/communities/${slug}/members/00000000-0000-4000-8000-000000000000/role`, { role: 'staff' }, { token: admin.accessToken }), 404, 'NOT_FOUND');
      expectProblem(await t.http.put(`/api/v1/communities/${slug}/members/not-a-uuid/role`, { role: 'staff' }, { token: admin.accessToken }), 404, 'NOT_FOUND');
      expectProblem(await t.http.put(`/api/v1/communities/${slug}/members/${stranger.id}/role`, { role: 'overlord' }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
    });

    it('keeps at least one admin', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const owner = await createMember(t.http, admin.accessToken, slug, 'admin');
      // The platform admin created the community, so there are two admins: demoting one is fine, the last is not.
      expect((await t.http.put(`/api/v1/communities/${slug}/members/${admin.id}/role`, { role: 'member' }, { token: owner.accessToken })).status).toBe(200);
      expectProblem(await t.http.put(`/api/v1/communities/${slug}/members/${owner.id}/role`, { role: 'moderator' }, { token: owner.accessToken }), 409, 'LAST_ADMIN');
    });

    it('never lets an admin of one community act on another', async () => {
      const a = await createCommunity(t.http, admin.accessToken);
      const b = await createCommunity(t.http, admin.accessToken);
      const adminOfA = await createMember(t.http, admin.accessToken, a.slug, 'admin');
      const memberOfB = await createMember(t.http, admin.accessToken, b.slug);
      expectProblem(await t.http.put(`/api/v1/communities/${b.slug}/members/${memberOfB.id}/role`, { role: 'admin' }, { token: adminOfA.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.get(`/api/v1/communities/${b.slug}/settings`, { token: adminOfA.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.patch(`/api/v1/communities/${b.slug}/settings`, { flagsToHide: 5 }, { token: adminOfA.accessToken }), 403, 'FORBIDDEN');
    });
  });

  describe('settings', () => {
    const defaults = {
      postCooldownSeconds: 5,
      newMemberPostCooldownSeconds: 30,
      newMemberMaxLinks: 2,
      newMemberDays: 1,
      newMemberPosts: 3,
      flagsToHide: 3,
      chatMessagesPer30Seconds: 40,
      newMemberChatMessagesPer30Seconds: 20,
      pointsPendingHours: 24,
      responseTargetMinutes: 240,
      dailyPointsCap: 200,
      editWindowMinutes: 1440,
      segmentCoreActiveDays: 8,
      churnQuietDays: 30,
    };

    it('starts from the documented defaults and merges partial updates', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const get = await t.http.get(`/api/v1/communities/${slug}/settings`, { token: admin.accessToken });
      expect(get.status).toBe(200);
      expect(get.body).toEqual(defaults);
      const patched = await t.http.patch(`/api/v1/communities/${slug}/settings`, { flagsToHide: 5, dailyPointsCap: 0 }, { token: admin.accessToken });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({ ...defaults, flagsToHide: 5, dailyPointsCap: 0 });
      const patched2 = await t.http.patch(`/api/v1/communities/${slug}/settings`, { responseTargetMinutes: 60 }, { token: admin.accessToken });
      expect(patched2.body).toEqual({ ...defaults, flagsToHide: 5, dailyPointsCap: 0, responseTargetMinutes: 60 });
      expect((await t.http.get(`/api/v1/communities/${slug}/settings`, { token: admin.accessToken })).body).toEqual(patched2.body);
    });

    it.each([
      [{ postCooldownSeconds: -1 }, 'postCooldownSeconds'],
      [{ postCooldownSeconds: 3601 }, 'postCooldownSeconds'],
      [{ newMemberMaxLinks: 101 }, 'newMemberMaxLinks'],
      [{ newMemberDays: 366 }, 'newMemberDays'],
      [{ newMemberPosts: 1001 }, 'newMemberPosts'],
      [{ flagsToHide: 0 }, 'flagsToHide'],
      [{ chatMessagesPer30Seconds: 0 }, 'chatMessagesPer30Seconds'],
      [{ newMemberChatMessagesPer30Seconds: 1001 }, 'newMemberChatMessagesPer30Seconds'],
      [{ pointsPendingHours: 721 }, 'pointsPendingHours'],
      [{ responseTargetMinutes: 0 }, 'responseTargetMinutes'],
      [{ responseTargetMinutes: 10081 }, 'responseTargetMinutes'],
      [{ dailyPointsCap: 1000001 }, 'dailyPointsCap'],
      [{ flagsToHide: 2.5 }, 'flagsToHide'],
      [{ flagsToHide: '3' }, 'flagsToHide'],
      [{ noSuchSetting: 1 }, 'noSuchSetting'],
    ])('refuses %j and changes nothing', async (body, field) => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const res = await t.http.patch(`/api/v1/communities/${slug}/settings`, { newMemberPosts: 7, ...body }, { token: admin.accessToken });
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect([...new Set(problem.errors.map((e: { field: string }) => e.field))]).toEqual([field]);
      expect((await t.http.get(`/api/v1/communities/${slug}/settings`, { token: admin.accessToken })).body).toEqual(defaults);
    });

    it('accepts the bounds themselves', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const res = await t.http.patch(`/api/v1/communities/${slug}/settings`, { postCooldownSeconds: 3600, newMemberPosts: 0, responseTargetMinutes: 10080, flagsToHide: 1 }, { token: admin.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...defaults, postCooldownSeconds: 3600, newMemberPosts: 0, responseTargetMinutes: 10080, flagsToHide: 1 });
    });
  });
});
