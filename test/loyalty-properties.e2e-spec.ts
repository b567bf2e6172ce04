import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Db } from '../src/core/database/db.service';
import { DomainEventMap, DomainEventType } from '../src/core/events/event-types';
import { EventsService } from '../src/core/events/events.service';
import { LoyaltyClock } from '../src/loyalty/loyalty.clock';
import { LoyaltyScheduler } from '../src/loyalty/loyalty.scheduler';
import { startApp, TestApp } from './support/app';
import { Cast, createCast, setSettings } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';

const HOUR = 3_600_000;

type Command =
  | { op: 'post'; first: boolean; showcase: boolean }
  | { op: 'react' | 'unreact'; post: number; kind: 'like' | 'helpful' }
  | { op: 'accept' | 'official' | 'unofficial' | 'hide' | 'restore' | 'delete'; post: number }
  | { op: 'approve' | 'expire' }
  | { op: 'redeem'; key: number }
  | { op: 'adjust'; points: number };

const post = fc.nat({ max: 2 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('post' as const), first: fc.boolean(), showcase: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('react' as const, 'unreact' as const), post, kind: fc.constantFrom('like' as const, 'helpful' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('accept' as const, 'official' as const, 'unofficial' as const, 'delete' as const), post }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('hide' as const, 'restore' as const), post }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('approve' as const, 'expire' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('redeem' as const), key: fc.nat({ max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('adjust' as const), points: fc.integer({ min: -40, max: 40 }).filter((n) => n !== 0) }) },
);

/**
 * Property: any sequence of earn, react/unreact, accept, official, hide, restore, delete, approve,
 * redeem, adjust and expire keeps every account's balance equal to the sum of its approved entries,
 * never negative, pending equal to its pending entries, and lifetime = balance + pending + spent +
 * expired + reversed. Runs against the real server: events go through the outbox to the consumer,
 * redemptions and adjustments through HTTP, the window and expiry through the loyalty clock and sweep.
 */
describe('Loyalty: ledger invariants (property-based)', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;
  let clock: LoyaltyClock;
  let rewardId: string;
  /** Runs that ended with points still pending (the invariants were checked with a pending part too). */
  let endedPending = 0;

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    clock = t.app.get(LoyaltyClock);
    cast = await createCast(t.http);
    await setSettings(t.http, cast.admin.accessToken, cast.slug, { dailyPointsCap: 30 });
    const rules = await t.http.put(`/api/v1/communities/${cast.slug}/loyalty/rules`, { expiryInactiveDays: 3, tiers: [{ name: 'Low', minLifetime: 0 }, { name: 'High', minLifetime: 25 }] }, { token: cast.admin.accessToken });
    expect(rules.status).toBe(200);
    const reward = await t.http.post(`/api/v1/communities/${cast.slug}/loyalty/rewards`, { name: 'Mug', cost: 7 }, { token: cast.admin.accessToken });
    rewardId = reward.body.id;
    const codes = await t.http.post(`/api/v1/loyalty/rewards/${rewardId}/codes`, { codes: Array.from({ length: 2000 }, (_, i) => `MUG-${i}`) }, { token: cast.admin.accessToken });
    expect(codes.status).toBe(200);
  });
  afterAll(async () => {
    clock.reset();
    await t?.close();
  });

  const settle = () =>
    eventually(async () => {
      const rows = await db.query<{ status: string; last_error: string | null }>(`SELECT status, last_error FROM event_deliveries WHERE consumer = 'loyalty' AND status <> 'done'`);
      if (rows.some((r) => r.last_error)) throw new Error(`the consumer failed: ${rows.find((r) => r.last_error)!.last_error}`);
      return rows.length === 0;
    });
  const record = <T extends DomainEventType>(type: T, data: DomainEventMap[T]) => db.transaction(() => t.app.get(EventsService).record(type, data, cast.communityId));

  async function run(member: TestUser, commands: Command[]) {
    const threadId = randomUUID();
    const posts: { postId: string; first: boolean }[] = [];
    const ev = (i: number) => {
      const p = posts[i % posts.length];
      return { communityId: cast.communityId, boardId: randomUUID(), threadId: p.first ? p.postId : threadId, postId: p.postId, authorId: member.id, first: p.first };
    };
    for (const c of commands) {
      if (c.op === 'post') {
        const postId = randomUUID();
        posts.push({ postId, first: c.first });
        const base = { communityId: cast.communityId, boardId: randomUUID(), threadId: c.first ? postId : threadId, postId, authorId: member.id, productSkus: [], tags: [] };
        if (c.first) await record('thread.created', { ...base, title: 'T', boardKind: c.showcase ? 'showcase' : 'discussion', hasImage: c.showcase });
        else await record('post.created', { ...base, replyToPostId: null, hasImage: false });
      } else if ('post' in c) {
        if (!posts.length) continue;
        const { first, ...e } = ev(c.post);
        switch (c.op) {
          case 'react':
            await record('reaction.added', { ...e, userId: cast.member2.id, kind: c.kind });
            break;
          case 'unreact':
            await record('reaction.removed', { ...e, userId: cast.member2.id, kind: c.kind });
            break;
          case 'accept':
            await record('answer.accepted', { ...e, askerId: cast.member2.id, acceptedBy: cast.member2.id, previousPostId: null });
            break;
          case 'official':
          case 'unofficial':
            await record('answer.official', { ...e, markedBy: cast.staff.id, official: c.op === 'official' });
            break;
          case 'hide':
            await record('post.hidden', { ...e, hiddenBy: cast.moderator.id, reason: 'spam', isFirst: first });
            break;
          case 'restore':
            await record('post.restored', { ...e, restoredBy: cast.moderator.id, isFirst: first });
            break;
          case 'delete':
            await record('post.deleted', { ...e, deletedBy: cast.moderator.id, isFirst: first });
            break;
        }
      } else if (c.op === 'approve') {
        await settle();
        clock.advance(25 * HOUR);
        await t.app.get(LoyaltyScheduler).sweep();
      } else if (c.op === 'expire') {
        await settle();
        clock.advance(4 * 24 * HOUR);
        await t.app.get(LoyaltyScheduler).sweep();
      } else if (c.op === 'redeem') {
        const res = await t.http.post(`/api/v1/communities/${cast.slug}/loyalty/redemptions`, { rewardId }, { token: member.accessToken, headers: { 'idempotency-key': `${member.id}-${c.key}` } });
        expect([201, 409]).toContain(res.status);
      } else if (c.op === 'adjust') {
        const res = await t.http.post(`/api/v1/communities/${cast.slug}/loyalty/adjustments`, { userId: member.id, points: c.points, reason: 'property' }, { token: cast.staff.accessToken });
        expect(res.status).toBe(201);
      }
    }
    await settle();
  }

  async function invariants(member: TestUser) {
    const summary = (await t.http.get(`/api/v1/communities/${cast.slug}/loyalty/me`, { token: member.accessToken })).body;
    const [sums] = await db.query<{ approved: number; pending: number }>(
      `SELECT COALESCE(sum(points) FILTER (WHERE status = 'approved'), 0)::int AS approved, COALESCE(sum(points) FILTER (WHERE status = 'pending'), 0)::int AS pending
         FROM loyalty_entries WHERE community_id = $1 AND user_id = $2`,
      [cast.communityId, member.id],
    );
    if (summary.pending > 0) endedPending++;
    expect(summary.balance).toBe(sums.approved);
    expect(summary.pending).toBe(sums.pending);
    expect(summary.balance).toBeGreaterThanOrEqual(0);
    expect(summary.lifetimeEarned).toBe(summary.balance + summary.pending + summary.spent + summary.expired + summary.reversed);
    const rec = await t.http.get(`/api/v1/communities/${cast.slug}/loyalty/reconciliation`, { token: cast.admin.accessToken });
    expect(rec.body.drift).toEqual([]);
    // The tier is the one its points reach.
    expect(summary.tier).toBe(summary.tierPoints >= 25 ? 'High' : 'Low');
  }

  it('keeps the balance equal to the sum of entries, never negative, and the lifetime identity true', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 4, maxLength: 18 }), async (commands) => {
        const member = await createMember(t.http, cast.admin.accessToken, cast.slug);
        await run(member, commands);
        await invariants(member);
      }),
      // A fixed seed by default: the same 30 sequences every run, which are known to reach every kind of
      // entry (the test below checks it; a random seed sometimes missed one). LOYALTY_PROPERTY_SEED and
      // LOYALTY_PROPERTY_RUNS explore others.
      { numRuns: Number(process.env.LOYALTY_PROPERTY_RUNS ?? 30), seed: Number(process.env.LOYALTY_PROPERTY_SEED ?? 1) },
    );
  }, 180_000);

  it('exercised every kind of entry on the way (the property above is not vacuous)', async () => {
    const rows = await db.query<{ what: string }>(
      `SELECT DISTINCT kind || '/' || status || CASE WHEN kind = 'reversal' AND points < 0 THEN '/taken' ELSE '' END AS what FROM loyalty_entries WHERE community_id = $1`,
      [cast.communityId],
    );
    expect(rows.map((r) => r.what)).toEqual(
      expect.arrayContaining(['earn/approved', 'earn/cancelled', 'reversal/cancelled', 'reversal/approved/taken', 'redemption/approved', 'adjustment/approved', 'expiry/approved']),
    );
    expect(endedPending).toBeGreaterThan(0);
    const restored = await db.query(`SELECT 1 FROM loyalty_entries WHERE community_id = $1 AND source_key LIKE 'restore:%' LIMIT 1`, [cast.communityId]);
    expect(restored).toHaveLength(1);
  });
});
