import { startApp, TestApp } from './support/app';
import { createBoard } from './support/content';
import { createCommunity, createMember, loginAdmin, registerUser, unique } from './support/factories';

/** PUT /communities/:slug/boards/order: the whole order at once, one transaction, admins only. */
describe('board order', () => {
  let t: TestApp;
  let admin: string;
  let slug: string;
  let other: string;
  let boards: string[];
  let otherBoard: string;

  beforeAll(async () => {
    t = await startApp();
    admin = (await loginAdmin(t.http)).accessToken;
    slug = (await createCommunity(t.http, admin)).slug;
    other = (await createCommunity(t.http, admin)).slug;
    boards = [];
    for (const visibility of ['public', 'members', 'staff', 'public']) {
      boards.push((await createBoard(t.http, admin, slug, { slug: unique('b'), visibility })).id);
    }
    otherBoard = (await createBoard(t.http, admin, other, { slug: unique('b') })).id;
  });
  afterAll(() => t?.close());

  const order = (token: string | undefined, boardIds: unknown, community = slug) =>
    t.http.put(`/api/v1/communities/${community}/boards/order`, { boardIds }, { token });
  const listed = async (token?: string) =>
    ((await t.http.get(`/api/v1/communities/${slug}/boards?limit=100`, { token })).body.items as Array<{ id: string; position: number }>);

  it('puts every board in the given order, positions 0..n-1, and everyone sees that order', async () => {
    const wanted = [boards[3], boards[1], boards[0], boards[2]];
    const res = await order(admin, wanted);
    expect(res.status).toBe(200);
    expect(res.body.items.map((b: { id: string }) => b.id)).toEqual(wanted);
    expect(res.body.items.map((b: { position: number }) => b.position)).toEqual([0, 1, 2, 3]);
    expect(res.body.nextCursor).toBeNull();
    expect((await listed(admin)).map((b) => b.id)).toEqual(wanted);
    // A guest sees the public boards in that order.
    expect((await listed()).map((b) => b.id)).toEqual([boards[3], boards[0]]);
    // Again with the same order: nothing changes, still 200.
    expect((await order(admin, wanted)).status).toBe(200);
  });

  it('refuses an order that is not exactly the boards, and writes nothing', async () => {
    const before = await listed(admin);
    const refusals: Array<[unknown, number, string]> = [
      [boards.slice(0, 3), 409, 'BOARDS_CHANGED'],
      [[...boards, otherBoard], 409, 'BOARDS_CHANGED'],
      [[...boards.slice(0, 3), otherBoard], 409, 'BOARDS_CHANGED'],
      [[...boards.slice(0, 3), '00000000-0000-4000-8000-000000000000'], 409, 'BOARDS_CHANGED'],
      [[boards[0], boards[0], boards[1], boards[2]], 400, 'VALIDATION_FAILED'],
      [[...boards.slice(0, 3), 'not-a-uuid'], 400, 'VALIDATION_FAILED'],
      [[], 400, 'VALIDATION_FAILED'],
      ['x', 400, 'VALIDATION_FAILED'],
      [Array.from({ length: 501 }, () => boards[0]), 400, 'VALIDATION_FAILED'],
    ];
    for (const [ids, status, code] of refusals) {
      const res = await order(admin, ids);
      expect([res.status, res.body.code]).toEqual([status, code]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await listed(admin)).toEqual(before);
  });

  it('is for the community\'s admins only', async () => {
    const before = await listed(admin);
    const member = await createMember(t.http, admin, slug, 'member');
    const moderator = await createMember(t.http, admin, slug, 'moderator');
    const otherAdmin = await createMember(t.http, admin, other, 'admin');
    const outsider = await registerUser(t.http);
    const reversed = [...before.map((b) => b.id)].reverse();
    expect((await order(undefined, reversed)).status).toBe(401);
    for (const user of [member, moderator, outsider]) expect((await order(user.accessToken, reversed)).status).toBe(403);
    // Another community's admin can neither order this one's boards nor move them into their own.
    expect((await order(otherAdmin.accessToken, reversed)).status).toBe(403);
    expect((await order(otherAdmin.accessToken, [otherBoard, ...reversed], other)).body.code).toBe('BOARDS_CHANGED');
    expect(await listed(admin)).toEqual(before);
    // A community admin (not the platform admin) may.
    const communityAdmin = await createMember(t.http, admin, slug, 'admin');
    expect((await order(communityAdmin.accessToken, reversed)).status).toBe(200);
    expect((await listed(admin)).map((b) => b.id)).toEqual(reversed);
  });

  it('two orders saved at once apply one after the other, never a mix', async () => {
    const a = [...boards];
    const b = [...boards].reverse();
    const results = await Promise.all([order(admin, a), order(admin, b), order(admin, a), order(admin, b)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const final = (await listed(admin)).map((x) => x.id);
    expect([a, b]).toContainEqual(final);
    expect((await listed(admin)).map((x) => x.position)).toEqual([0, 1, 2, 3]);
  });
});
