import { Db } from '../src/core/database/db.service';
import { AppError } from '../src/core/errors/app-error';
import { CommunityPolicy } from '../src/core/policy/community-policy';
import { LoyaltyClock } from '../src/loyalty/loyalty.clock';
import { LoyaltyScheduler } from '../src/loyalty/loyalty.scheduler';
import { describeIfPostgres, startApp, TestApp } from './support/app';
import { Cast, createCast } from './support/content';
import { createMember, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';

/** Rewards, coupon codes, redemptions with Idempotency-Key, and their concurrency. */
describe('Loyalty: rewards and redemptions', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;
  const blocked = new Set<string>();

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    cast = await createCast(t.http);
    // Stands in for moderation's provider (a sanction that stops redeeming).
    t.app.get(CommunityPolicy).register({
      assertMay: async (_communityId, userId, activity) => {
        if (activity === 'redeem' && blocked.has(userId)) throw new AppError('SUSPENDED', 403, 'You are suspended');
      },
    });
  });
  afterAll(async () => {
    const rec = await t.http.get(`/api/v1/communities/${cast.slug}/loyalty/reconciliation`, { token: cast.admin.accessToken });
    expect(rec.body).toEqual(expect.objectContaining({ driftFound: 0 }));
    await t?.close();
  });

  const base = () => `/api/v1/communities/${cast.slug}/loyalty`;
  const createReward = async (cost: number, codes: string[] = []) => {
    const res = await t.http.post(`${base()}/rewards`, { name: `Reward ${unique()}`, cost, description: '10% off' }, { token: cast.admin.accessToken });
    expect(res.status).toBe(201);
    if (codes.length) expect((await t.http.post(`/api/v1/loyalty/rewards/${res.body.id}/codes`, { codes }, { token: cast.admin.accessToken })).status).toBe(200);
    return res.body as { id: string; cost: number };
  };
  const give = async (user: TestUser, points: number) => {
    const res = await t.http.post(`${base()}/adjustments`, { userId: user.id, points, reason: 'test points' }, { token: cast.staff.accessToken });
    expect(res.status).toBe(201);
  };
  const redeem = (user: TestUser, rewardId: string, key: string | null = unique('k')) =>
    t.http.post(`${base()}/redemptions`, { rewardId }, { token: user.accessToken, headers: key === null ? {} : { 'idempotency-key': key } });
  const balance = async (user: TestUser) => (await t.http.get(`${base()}/me`, { token: user.accessToken })).body.balance as number;
  const fresh = () => createMember(t.http, cast.admin.accessToken, cast.slug);

  it('lets admins create rewards and upload codes (duplicates ignored), and members list them', async () => {
    expectProblem(await t.http.post(`${base()}/rewards`, { name: 'x', cost: 5 }, { token: cast.staff.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.post(`${base()}/rewards`, { name: 'x', cost: 0 }, { token: cast.admin.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.post(`${base()}/rewards`, { name: 'x', cost: 5, extra: 1 }, { token: cast.admin.accessToken }), 400, 'VALIDATION_FAILED');
    const reward = await createReward(50);
    const codes = (body: unknown, token = cast.admin.accessToken) => t.http.post(`/api/v1/loyalty/rewards/${reward.id}/codes`, body, { token });
    expect((await codes({ codes: ['A1', 'A2', 'A2', 'A3'] })).body).toEqual({ added: 3, available: 3 });
    expect((await codes({ codes: ['A3', 'A4'] })).body).toEqual({ added: 1, available: 4 });
    expectProblem(await codes({ codes: [] }), 400, 'VALIDATION_FAILED');
    expectProblem(await codes({ codes: Array.from({ length: 10_001 }, (_, i) => `C${i}`) }), 400, 'VALIDATION_FAILED');
    expect((await codes({ codes: Array.from({ length: 10_000 }, (_, i) => `BULK-${i}`) })).body).toEqual({ added: 10_000, available: 10_004 });
    expectProblem(await codes({ codes: ['B1'] }, cast.staff.accessToken), 403, 'FORBIDDEN');
    expectProblem(await codes({ codes: ['B1'] }, cast.outsider.accessToken), 404, 'NOT_FOUND');
    expectProblem(await t.http.post(`/api/v1/loyalty/rewards/${cast.communityId}/codes`, { codes: ['B1'] }, { token: cast.admin.accessToken }), 404, 'NOT_FOUND');
    const list = await t.http.get(`${base()}/rewards?limit=100`, { token: cast.member.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual(expect.objectContaining({ id: reward.id, cost: 50, available: 10_004, description: '10% off' }));
    expectProblem(await t.http.get(`${base()}/rewards`, { token: cast.outsider.accessToken }), 403, 'FORBIDDEN');
  });

  it('redeems: one code, the cost debited, points.redeemed; too few points and an empty pool are 409', async () => {
    const m = await fresh();
    const reward = await createReward(30, ['ONLY-1', 'ONLY-2']);
    expectProblem(await redeem(m, reward.id), 409, 'INSUFFICIENT_POINTS');
    await give(m, 100);
    const ok = await redeem(m, reward.id);
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ couponCode: 'ONLY-1', redemption: expect.objectContaining({ rewardId: reward.id, points: 30, couponCode: 'ONLY-1', userId: m.id }) });
    expect(await balance(m)).toBe(70);
    expect((await redeem(m, reward.id)).body.couponCode).toBe('ONLY-2');
    expectProblem(await redeem(m, reward.id), 409, 'REWARD_OUT_OF_STOCK');
    expect(await balance(m)).toBe(40);
    const events = await db.query(`SELECT data FROM events WHERE type = 'points.redeemed' AND data->>'userId' = $1`, [m.id]);
    expect(events).toHaveLength(2);
    const mine = await t.http.get(`${base()}/me/ledger`, { token: m.accessToken });
    expect(mine.body.items.filter((e: any) => e.kind === 'redemption').map((e: any) => e.points)).toEqual([-30, -30]);
    expect(await t.http.get(`${base()}/me`, { token: m.accessToken })).toEqual(expect.objectContaining({ body: expect.objectContaining({ spent: 60, lifetimeEarned: 100 }) }));
  });

  it('requires an Idempotency-Key; a repeat answers the same status and body; another body is 422; keys are per member', async () => {
    const m = await fresh();
    const other = await fresh();
    const reward = await createReward(10, ['K-1', 'K-2', 'K-3']);
    const second = await createReward(10, ['L-1']);
    await give(m, 25);
    await give(other, 25);
    expectProblem(await redeem(m, reward.id, null), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    expectProblem(await redeem(m, reward.id, 'has space'), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    expectProblem(await redeem(m, reward.id, 'x'.repeat(201)), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    const first = await redeem(m, reward.id, 'order-42');
    const again = await redeem(m, reward.id, 'order-42');
    expect(first.status).toBe(201);
    expect({ status: again.status, body: again.body }).toEqual({ status: 201, body: first.body });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await balance(m)).toBe(15);
    expectProblem(await redeem(m, second.id, 'order-42'), 422, 'IDEMPOTENCY_KEY_REUSED');
    // Another member's identical key is theirs alone.
    const theirs = await redeem(other, reward.id, 'order-42');
    expect(theirs.status).toBe(201);
    expect(theirs.body.couponCode).not.toBe(first.body.couponCode);
    // A refusal is an answer too: the same key keeps answering it.
    const poor = await fresh();
    const refused = await redeem(poor, reward.id, 'try-1');
    expectProblem(refused, 409, 'INSUFFICIENT_POINTS');
    await give(poor, 50);
    const replay = await redeem(poor, reward.id, 'try-1');
    expectProblem(replay, 409, 'INSUFFICIENT_POINTS');
    expect({ ...replay.body, requestId: null }).toEqual({ ...refused.body, requestId: null });
    expect((await redeem(poor, reward.id, 'try-2')).status).toBe(201);
  });

  it('keeps keys at least 24 hours; the sweep drops them after 48', async () => {
    const clock = t.app.get(LoyaltyClock);
    const m = await fresh();
    const reward = await createReward(5, ['T-1', 'T-2']);
    await give(m, 10);
    expect((await redeem(m, reward.id, 'keep-me')).status).toBe(201);
    try {
      clock.advance(25 * 3_600_000);
      await t.app.get(LoyaltyScheduler).sweep();
      expect((await redeem(m, reward.id, 'keep-me')).headers.get('idempotent-replayed')).toBe('true');
      clock.advance(24 * 3_600_000);
      await t.app.get(LoyaltyScheduler).sweep();
      const fresh = await redeem(m, reward.id, 'keep-me');
      expect(fresh.status).toBe(201);
      expect(fresh.headers.get('idempotent-replayed')).toBeNull();
      expect(await balance(m)).toBe(0);
    } finally {
      clock.reset();
    }
  });

  it('refuses a sanctioned member and a reward of another community, charging nothing', async () => {
    const m = await fresh();
    const reward = await createReward(5, ['S-1']);
    await give(m, 10);
    blocked.add(m.id);
    expectProblem(await redeem(m, reward.id), 403, 'SUSPENDED');
    blocked.delete(m.id);
    expectProblem(await redeem(cast.outsider, reward.id), 403, 'FORBIDDEN');
    const res = await t.http.post(`/api/v1/communities/${cast.slug}/loyalty/redemptions`, { rewardId: cast.communityId }, { token: m.accessToken, headers: { 'idempotency-key': 'nope' } });
    expectProblem(res, 404, 'NOT_FOUND');
    expect(await balance(m)).toBe(10);
  });

  it('shows members their own redemptions and codes, staff everyone\'s', async () => {
    const a = await fresh();
    const b = await fresh();
    const reward = await createReward(5, ['R-1', 'R-2']);
    await give(a, 5);
    await give(b, 5);
    expect((await redeem(a, reward.id)).status).toBe(201);
    expect((await redeem(b, reward.id)).status).toBe(201);
    const mine = await t.http.get(`${base()}/redemptions`, { token: a.accessToken });
    expect(mine.body.items.map((r: any) => r.userId)).toEqual([a.id]);
    const filtered = await t.http.get(`${base()}/redemptions?userId=${b.id}`, { token: a.accessToken });
    expect(filtered.body.items.map((r: any) => r.userId)).toEqual([a.id]); // members only ever see their own
    const all = await t.http.get(`${base()}/redemptions?limit=100`, { token: cast.staff.accessToken });
    expect(all.body.items.map((r: any) => r.userId)).toEqual(expect.arrayContaining([a.id, b.id]));
    const one = await t.http.get(`${base()}/redemptions?userId=${b.id}`, { token: cast.staff.accessToken });
    expect(one.body.items).toEqual([expect.objectContaining({ userId: b.id, couponCode: expect.stringMatching(/^R-/) })]);
    expectProblem(await t.http.get(`${base()}/redemptions`, { token: cast.outsider.accessToken }), 403, 'FORBIDDEN');
  });

  describeIfPostgres('under real concurrency (PostgreSQL)', () => {
    it('50 concurrent redemptions by a member who can afford 3: exactly 3 succeed, no code twice', async () => {
      const m = await fresh();
      const reward = await createReward(10, Array.from({ length: 60 }, (_, i) => `P-${i}`));
      await give(m, 35);
      const answers = await Promise.all(Array.from({ length: 50 }, () => redeem(m, reward.id)));
      const ok = answers.filter((r) => r.status === 201);
      expect(ok).toHaveLength(3);
      expect(answers.filter((r) => r.status === 409).every((r) => r.body.code === 'INSUFFICIENT_POINTS')).toBe(true);
      expect(answers.filter((r) => r.status !== 201 && r.status !== 409)).toEqual([]);
      expect(new Set(ok.map((r) => r.body.couponCode)).size).toBe(3);
      expect(await balance(m)).toBe(5);
      const [codes] = await db.query<{ used: number; distinct: number }>(
        `SELECT count(*)::int AS used, count(DISTINCT code)::int AS distinct FROM loyalty_redemptions WHERE reward_id = $1`,
        [reward.id],
      );
      expect(codes).toEqual({ used: 3, distinct: 3 });
    });

    it('the same Idempotency-Key sent concurrently charges once and answers the same body', async () => {
      const m = await fresh();
      const reward = await createReward(10, Array.from({ length: 20 }, (_, i) => `Q-${i}`));
      await give(m, 100);
      const answers = await Promise.all(Array.from({ length: 20 }, () => redeem(m, reward.id, 'same-key')));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(201));
      for (const r of answers) expect(r.body).toEqual(answers[0].body);
      expect(answers.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
      expect(await balance(m)).toBe(90);
    });
  });
});
