import { Db } from '../src/core/database/db.service';
import { LoyaltyClock } from '../src/loyalty/loyalty.clock';
import { startApp, TestApp } from './support/app';
import { Cast, createCast } from './support/content';
import { createMember, registerUser, TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Who may read and change what: ledgers, adjustments, rules, the leaderboard and reconciliation. */
describe('Loyalty: access, adjustments, rules, leaderboard, reconciliation', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    cast = await createCast(t.http);
  });
  afterAll(() => t?.close());

  const base = () => `/api/v1/communities/${cast.slug}/loyalty`;
  const adjust = (token: string, body: Record<string, unknown>) => t.http.post(`${base()}/adjustments`, body, { token });
  const fresh = () => createMember(t.http, cast.admin.accessToken, cast.slug);

  it('lets a member read only their own summary and ledger; staff read any member; other communities read nothing', async () => {
    const m = await fresh();
    expect((await adjust(cast.staff.accessToken, { userId: m.id, points: 7, reason: 'welcome' })).status).toBe(201);
    const mine = await t.http.get(`${base()}/me`, { token: m.accessToken });
    expect(mine.body).toEqual(expect.objectContaining({ userId: m.id, balance: 7, pending: 0, lifetimeEarned: 7, tier: 'Bronze' }));
    expectProblem(await t.http.get(`${base()}/me`), 401, 'UNAUTHENTICATED');
    expectProblem(await t.http.get(`${base()}/members/${m.id}`, { token: cast.member.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`${base()}/members/${m.id}/ledger`, { token: cast.member2.accessToken }), 403, 'FORBIDDEN');
    for (const staff of [cast.staff, cast.moderator, cast.admin]) {
      expect((await t.http.get(`${base()}/members/${m.id}`, { token: staff.accessToken })).body).toEqual(mine.body);
      const ledger = await t.http.get(`${base()}/members/${m.id}/ledger`, { token: staff.accessToken });
      expect(ledger.body.items).toEqual([expect.objectContaining({ kind: 'adjustment', points: 7, reason: 'welcome', status: 'approved' })]);
    }
    // The admin of another community: nothing here, for any route.
    for (const path of [`/members/${m.id}`, `/members/${m.id}/ledger`, '/me', '/me/ledger', '/rules', '/reconciliation', '/leaderboard', '/rewards', '/redemptions']) {
      expectProblem(await t.http.get(`${base()}${path}`, { token: cast.outsider.accessToken }), 403, 'FORBIDDEN');
    }
    expectProblem(await adjust(cast.outsider.accessToken, { userId: m.id, points: 5, reason: 'x' }), 403, 'FORBIDDEN');
    // Staff asking about someone who never belonged here: 404; a malformed id: 404.
    const stranger = await registerUser(t.http);
    expectProblem(await t.http.get(`${base()}/members/${stranger.id}`, { token: cast.staff.accessToken }), 404, 'NOT_FOUND');
    expectProblem(await t.http.get(`${base()}/members/not-an-id/ledger`, { token: cast.staff.accessToken }), 404, 'NOT_FOUND');
  });

  it('lets staff adjust members (audited, never their own, never below zero), not members', async () => {
    const m = await fresh();
    expectProblem(await adjust(cast.member.accessToken, { userId: m.id, points: 5, reason: 'x' }), 403, 'FORBIDDEN');
    expectProblem(await adjust(cast.staff.accessToken, { userId: cast.staff.id, points: 5, reason: 'me' }), 403, 'FORBIDDEN');
    expectProblem(await adjust(cast.staff.accessToken, { userId: m.id, points: 0, reason: 'x' }), 400, 'VALIDATION_FAILED');
    expectProblem(await adjust(cast.staff.accessToken, { userId: m.id, points: 5, reason: '' }), 400, 'VALIDATION_FAILED');
    expectProblem(await adjust(cast.staff.accessToken, { userId: m.id, points: 5, reason: 'x', extra: true }), 400, 'VALIDATION_FAILED');
    expectProblem(await adjust(cast.staff.accessToken, { userId: (await registerUser(t.http)).id, points: 5, reason: 'x' }), 404, 'NOT_FOUND');
    expect((await adjust(cast.moderator.accessToken, { userId: m.id, points: 5, reason: 'bug bounty' })).status).toBe(201);
    const take = await adjust(cast.staff.accessToken, { userId: m.id, points: -20, reason: 'abuse' });
    expect(take.status).toBe(201);
    expect(take.body.entry).toEqual(expect.objectContaining({ kind: 'adjustment', points: -5, requestedPoints: -20, reason: 'abuse' }));
    expect(take.body.summary).toEqual(expect.objectContaining({ balance: 0, lifetimeEarned: 5, reversed: 5 }));
    const [row] = await db.query<{ created_by: string }>(`SELECT created_by FROM loyalty_entries WHERE id = $1`, [take.body.entry.id]);
    expect(row.created_by).toBe(cast.staff.id);
  });

  it('lets only admins read and change the rules, validated', async () => {
    expectProblem(await t.http.get(`${base()}/rules`, { token: cast.staff.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.put(`${base()}/rules`, { threadCreated: 9 }, { token: cast.moderator.accessToken }), 403, 'FORBIDDEN');
    const defaults = await t.http.get(`${base()}/rules`, { token: cast.admin.accessToken });
    expect(defaults.body).toEqual({
      threadCreated: 5, replyCreated: 2, showcasePhoto: 10, answerAccepted: 15, answerOfficial: 10, reactionReceived: 1, firstPostOfDay: 1, orderPointsPerUnit: 0,
      expiryInactiveDays: 0,
      tiers: [{ name: 'Bronze', minLifetime: 0 }, { name: 'Silver', minLifetime: 500 }, { name: 'Gold', minLifetime: 2000 }, { name: 'Platinum', minLifetime: 5000 }],
    });
    const put = (body: unknown) => t.http.put(`${base()}/rules`, body, { token: cast.admin.accessToken });
    expect((await put({ replyCreated: 3 })).body).toEqual({ ...defaults.body, replyCreated: 3 });
    expect((await put({ threadCreated: 4 })).body).toEqual({ ...defaults.body, replyCreated: 3, threadCreated: 4 });
    expectProblem(await put({ replyCreated: -1 }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ replyCreated: 10_001 }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ replyCreated: 1.5 }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ joined: 1 }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ tiers: [] }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ tiers: [{ name: 'A', minLifetime: 5 }] }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ tiers: [{ name: 'A', minLifetime: 0 }, { name: 'B', minLifetime: 0 }] }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ tiers: [{ name: 'A', minLifetime: 0 }, { name: 'a', minLifetime: 9 }] }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ tiers: [{ name: 'A' }] }), 400, 'VALIDATION_FAILED');
    expectProblem(await put({ expiryInactiveDays: 3651 }), 400, 'VALIDATION_FAILED');
    expect((await put({ replyCreated: 2, threadCreated: 5 })).body).toEqual(defaults.body);
    expectProblem(await t.http.get(`${base()}/rules`, { token: cast.outsider.accessToken }), 403, 'FORBIDDEN');
  });

  it('pages a ledger newest first with signed cursors', async () => {
    const m = await fresh();
    for (let i = 1; i <= 25; i++) expect((await adjust(cast.staff.accessToken, { userId: m.id, points: i, reason: `r${i}` })).status).toBe(201);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await t.http.get(`${base()}/me/ledger?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: m.accessToken });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((e: any) => e.points));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
    expectProblem(await t.http.get(`${base()}/me/ledger?cursor=abc.def`, { token: m.accessToken }), 400, 'INVALID_CURSOR');
    expectProblem(await t.http.get(`${base()}/me/ledger?limit=101`, { token: m.accessToken }), 400, 'VALIDATION_FAILED');
  });

  it('ranks members on the leaderboard by period, with the caller\'s own rank; members only', async () => {
    const clock = t.app.get(LoyaltyClock);
    const [a, b, c] = [await fresh(), await fresh(), await fresh()];
    try {
      clock.advance(-40 * 86_400_000);
      expect((await adjust(cast.staff.accessToken, { userId: a.id, points: 900, reason: 'old' })).status).toBe(201);
      clock.reset();
      clock.advance(-10 * 86_400_000);
      expect((await adjust(cast.staff.accessToken, { userId: b.id, points: 500, reason: 'this month' })).status).toBe(201);
      clock.reset();
      expect((await adjust(cast.staff.accessToken, { userId: c.id, points: 300, reason: 'this week' })).status).toBe(201);
      const board = async (period: string, who: TestUser = c) => {
        const res = await t.http.get(`${base()}/leaderboard?period=${period}`, { token: who.accessToken });
        expect(res.status).toBe(200);
        return res.body;
      };
      const rank = (body: any, user: TestUser) => body.items.find((r: any) => r.user.id === user.id)?.rank;
      const all = await board('all');
      expect(rank(all, a)).toBeLessThan(rank(all, b));
      expect(rank(all, b)).toBeLessThan(rank(all, c));
      expect(all.me.rank).toBe(rank(all, c));
      expect(all.me).toEqual(expect.objectContaining({ points: 300, user: expect.objectContaining({ id: c.id, displayName: c.displayName }) }));
      expect(all.nextCursor).toBeNull();
      const month = await board('month');
      expect(rank(month, a)).toBeUndefined();
      expect(rank(month, b)).toBeLessThan(rank(month, c));
      const week = await board('week');
      expect([rank(week, a), rank(week, b)]).toEqual([undefined, undefined]);
      expect(week.me.points).toBe(300);
      expect((await board('all', cast.member)).me).toBeNull();
      expectProblem(await t.http.get(`${base()}/leaderboard?period=year`, { token: c.accessToken }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get(`${base()}/leaderboard`, { token: cast.outsider.accessToken }), 403, 'FORBIDDEN');
      expectProblem(await t.http.get(`${base()}/leaderboard`, { token: (await registerUser(t.http)).accessToken }), 403, 'FORBIDDEN');
    } finally {
      clock.reset();
    }
  });

  it('reconciles every account (admins only) and reports drift when there is some', async () => {
    const m = await fresh();
    expect((await adjust(cast.staff.accessToken, { userId: m.id, points: 3, reason: 'x' })).status).toBe(201);
    expectProblem(await t.http.get(`${base()}/reconciliation`, { token: cast.staff.accessToken }), 403, 'FORBIDDEN');
    const ok = await t.http.get(`${base()}/reconciliation`, { token: cast.admin.accessToken });
    expect(ok.body).toEqual({ accountsChecked: expect.any(Number), driftFound: 0, drift: [] });
    expect(ok.body.accountsChecked).toBeGreaterThan(3);
    // Drift that keeps the account's own identity but not its entries' sum is still found.
    await db.query('UPDATE loyalty_accounts SET balance = balance + 1, lifetime_earned = lifetime_earned + 1 WHERE community_id = $1 AND user_id = $2', [cast.communityId, m.id]);
    const bad = await t.http.get(`${base()}/reconciliation`, { token: cast.admin.accessToken });
    expect(bad.body.driftFound).toBe(1);
    expect(bad.body.drift).toEqual([expect.objectContaining({ userId: m.id, balance: 4, approvedSum: 3 })]);
    await db.query('UPDATE loyalty_accounts SET balance = balance - 1, lifetime_earned = lifetime_earned - 1 WHERE community_id = $1 AND user_id = $2', [cast.communityId, m.id]);
    // The database itself refuses a negative balance or a broken identity.
    await expect(db.query('UPDATE loyalty_accounts SET balance = -1 WHERE community_id = $1 AND user_id = $2', [cast.communityId, m.id])).rejects.toThrow();
    await expect(db.query('UPDATE loyalty_accounts SET lifetime_earned = 0 WHERE community_id = $1 AND user_id = $2', [cast.communityId, m.id])).rejects.toThrow();
  });
});
