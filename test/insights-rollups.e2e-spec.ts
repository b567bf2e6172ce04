import { Db } from '../src/core/database/db.service';
import { DomainEvent, DomainEventMap, DomainEventType } from '../src/core/events/event-types';
import { EventsService } from '../src/core/events/events.service';
import { DashboardService } from '../src/insights/dashboard.service';
import { InsightsClock } from '../src/insights/insights.clock';
import { InsightsConsumer } from '../src/insights/insights.consumer';
import { InsightsRepository } from '../src/insights/insights.repository';
import { RebuildService } from '../src/insights/rebuild.service';
import { SegmentsService } from '../src/insights/segments.service';
import { startApp, TestApp } from './support/app';
import { Cast, createCast } from './support/content';
import { eventually } from './support/factories';

const DAY = 86_400_000;
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/**
 * The roll-ups the dashboard reads instead of the active-day rows (issue 17, speed): the blocks of
 * active days (most engaged over any range), the segment counters, and the consumer's one-statement
 * batches. Each is checked against the figures computed from the plain rows, and against the rebuild.
 */
describe('Insights roll-ups', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;
  let now: Date;
  /** Today's UTC midnight by the insights clock: the day boundary the scripted history straddles. */
  let midnight: Date;
  const members = Array.from({ length: 14 }, (_, i) => uuid(700 + i));

  const settle = () =>
    eventually(async () => {
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'insights' AND status <> 'done'`);
      return row.n === 0;
    }, 30_000);
  const record = <T extends DomainEventType>(type: T, data: DomainEventMap[T], at: Date) =>
    db.transaction(async () => {
      const id = await t.app.get(EventsService).record(type, data, cast.communityId);
      await db.query('UPDATE events SET created_at = $2 WHERE id = $1', [id, at]);
      return id;
    });
  let n = 0;
  const post = (authorId: string) => {
    n++;
    return { communityId: cast.communityId, boardId: uuid(1), threadId: uuid(3000 + n), postId: uuid(4000 + n), authorId };
  };
  /** The range's top 10 straight from the active-day rows: what the blocks must give. */
  const direct = (fromDay: string, toDay: string) =>
    db.query<{ user_id: string; contribution: number; days: number }>(
      `SELECT user_id, sum(contribution)::int AS contribution, count(*)::int AS days FROM insights_activity
        WHERE community_id = $1 AND day >= $2::date AND day <= $3::date GROUP BY user_id ORDER BY 2 DESC, 3 DESC, user_id LIMIT 10`,
      [cast.communityId, fromDay, toDay],
    );
  const counters = async () => {
    const [row] = await db.query<{ a: number; b: number; c: number }>('SELECT members_a AS a, members_b AS b, members_c AS c FROM insights_communities WHERE community_id = $1', [cast.communityId]);
    return row;
  };
  const counted = async () => {
    const [row] = await db.query<{ a: number; b: number; c: number }>(
      `SELECT count(*) FILTER (WHERE segment = 'A')::int AS a, count(*) FILTER (WHERE segment = 'B')::int AS b, count(*) FILTER (WHERE segment = 'C')::int AS c
         FROM insights_profiles WHERE community_id = $1`,
      [cast.communityId],
    );
    return row;
  };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    cast = await createCast(t.http);
    now = t.app.get(InsightsClock).now();
    midnight = new Date(`${dayOf(now)}T00:00:00.000Z`);
    // Real accounts (other consumers of the same events, loyalty and notifications, need them).
    await db.query(
      `INSERT INTO users (id, email, display_name) SELECT u, 'rollups-' || u || '@hearth.test', 'Rollups member' FROM unnest($1::uuid[]) AS u`,
      [[...members, uuid(799)]],
    );
    // 14 members over the last 140 days: member i posts on the days d where (d * (i + 3)) % 11 < i % 6 + 1,
    // a thread (3), a reply (2) or a chat message (1) by the day; reactions (0) on others.
    for (let i = 0; i < members.length; i++) {
      for (let d = 1; d <= 140; d++) {
        const at = new Date(midnight.getTime() - d * DAY + (i * 7 + d) * 60_000);
        const k = (d * (i + 3)) % 11;
        if (k >= (i % 6) + 1) {
          if ((d + i) % 9 === 0) await record('reaction.added', { ...post(members[(i + 1) % members.length]), userId: members[i], kind: 'like' }, at);
          continue;
        }
        const kind = (d + i) % 3;
        if (kind === 0) await record('thread.created', { ...post(members[i]), productSkus: [], tags: [], title: `T ${i} ${d}`, boardKind: 'discussion', hasImage: false }, at);
        else if (kind === 1) await record('post.created', { ...post(members[i]), replyToPostId: null, hasImage: false }, at);
        else await record('chat.message_sent', { communityId: cast.communityId, roomId: uuid(9), roomKind: 'public', messageId: uuid(5000 + i * 1000 + d), authorId: members[i] }, at);
      }
    }
    // The day boundary: one reply a millisecond before today's midnight (yesterday), one at midnight (today).
    await record('post.created', { ...post(members[0]), replyToPostId: null, hasImage: false }, new Date(midnight.getTime() - 1));
    await record('post.created', { ...post(members[0]), replyToPostId: null, hasImage: false }, midnight);
    await settle();
  }, 600_000);
  afterAll(async () => {
    const failed = await db.query(`SELECT last_error FROM event_deliveries WHERE consumer = 'insights' AND last_error IS NOT NULL`);
    expect(failed).toEqual([]);
    await t?.close();
  });

  it('most engaged over any range (any start, 1 to 140 days) equals the sums of its active days', async () => {
    const repo = t.app.get(InsightsRepository);
    const today = dayOf(now);
    let compared = 0;
    for (const length of [1, 2, 5, 30, 64, 90, 128, 140]) {
      for (const endAgo of [0, 1, 3, 17, 40]) {
        const toDay = dayOf(new Date(midnight.getTime() - endAgo * DAY));
        const fromDay = dayOf(new Date(midnight.getTime() - (endAgo + length - 1) * DAY));
        const expected = await direct(fromDay, toDay);
        expect(await repo.mostEngaged(cast.communityId, fromDay, toDay)).toEqual(expected);
        if (expected.length) compared++;
      }
    }
    expect(compared).toBeGreaterThan(30);
    // The dashboard gives the same list (a 90-day range ending today).
    const from = new Date(midnight.getTime() - 89 * DAY);
    const view = await dashboard({ from: from.toISOString(), to: now.toISOString() });
    const top = await direct(dayOf(from), today);
    expect(top.length).toBe(10);
    expect(view.mostEngaged).toEqual(top.map((m) => ({ userId: m.user_id, contribution: m.contribution, activeDays: m.days })));
  });

  it('counts by UTC day: a reply a millisecond before midnight is the day before, one at midnight is today', async () => {
    const repo = t.app.get(InsightsRepository);
    const today = dayOf(now);
    const yesterday = dayOf(new Date(midnight.getTime() - 1));
    const rows = await db.query<{ day: string; contribution: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, contribution FROM insights_activity WHERE community_id = $1 AND user_id = $2 AND day >= $3::date ORDER BY day`,
      [cast.communityId, members[0], yesterday],
    );
    expect(rows.map((r) => r.day)).toEqual([yesterday, today]);
    expect(await repo.mostEngaged(cast.communityId, today, today)).toEqual([{ user_id: members[0], contribution: 2, days: 1 }]);
    const two = await repo.mostEngaged(cast.communityId, yesterday, today);
    expect(two.find((m) => m.user_id === members[0])).toEqual({ user_id: members[0], contribution: rows[0].contribution + 2, days: 2 });
    expect(two).toEqual(await direct(yesterday, today));
  });

  it('a batch with an event seen before applies only the new ones, once', async () => {
    const [old] = await db.query<{ id: string }>(`SELECT id::text AS id FROM events WHERE type = 'post.created' AND community_id = $1 ORDER BY id LIMIT 1`, [cast.communityId]);
    const fresh = await record('post.created', { ...post(uuid(799)), replyToPostId: null, hasImage: false }, now);
    const rows = await db.query<{ id: string; type: string; community_id: string; data: unknown; created_at: Date }>(
      'SELECT id::text AS id, type, community_id, data, created_at FROM events WHERE id = ANY($1::bigint[]) ORDER BY id',
      [[old.id, fresh]],
    );
    const events = rows.map((r) => ({ id: r.id, type: r.type, communityId: r.community_id, data: r.data, createdAt: new Date(r.created_at) }) as DomainEvent);
    const before = await db.query<{ replies: number }>('SELECT replies FROM insights_profiles WHERE community_id = $1 AND user_id = $2', [cast.communityId, members[0]]);
    // The dispatcher may deliver the new event at the same time: either way it counts once.
    await db.transaction(() => t.app.get(InsightsConsumer).handleBatch(events));
    await settle();
    const [profile] = await db.query<{ replies: number }>('SELECT replies FROM insights_profiles WHERE community_id = $1 AND user_id = $2', [cast.communityId, uuid(799)]);
    expect(profile.replies).toBe(1);
    expect(await db.query('SELECT replies FROM insights_profiles WHERE community_id = $1 AND user_id = $2', [cast.communityId, members[0]])).toEqual(before);
    expect(await repo().mostEngaged(cast.communityId, dayOf(now), dayOf(now))).toEqual(await direct(dayOf(now), dayOf(now)));
  });

  it('the segment counters follow new members, the daily job and a deleted account; the dashboard reads them', async () => {
    // Before the daily job every profile is in C: the 14 members, the batch test's, and the cast's who joined.
    const [{ total }] = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM insights_profiles WHERE community_id = $1', [cast.communityId]);
    expect(total).toBeGreaterThanOrEqual(members.length + 1);
    expect(await counters()).toEqual({ a: 0, b: 0, c: total });
    expect(await counted()).toEqual({ a: 0, b: 0, c: total });
    expect(await t.app.get(SegmentsService).runCommunity(cast.communityId)).toBeGreaterThan(0);
    const afterJob = await counted();
    expect(afterJob.a + afterJob.b).toBeGreaterThan(0);
    expect(await counters()).toEqual(afterJob);
    const [gone] = await db.query<{ segment: string }>(`SELECT segment FROM insights_profiles WHERE community_id = $1 AND user_id = $2`, [cast.communityId, members[5]]);
    await db.transaction(() => t.app.get(EventsService).record('user.deleted', { userId: members[5] }, null));
    await settle();
    const afterDelete = await counted();
    expect(afterDelete.a + afterDelete.b + afterDelete.c).toBe(total - 1);
    expect(await counters()).toEqual(afterDelete);
    expect(afterJob[gone.segment.trim().toLowerCase() as 'a' | 'b' | 'c'] - 1).toBe(afterDelete[gone.segment.trim().toLowerCase() as 'a' | 'b' | 'c']);
    // A straggler about the deleted member (points for a reply made before, delivered after) brings nothing back.
    await record('points.earned', { communityId: cast.communityId, userId: members[5], entryId: uuid(6001), points: 5, rule: 'reply', status: 'pending' }, now);
    await record('post.created', { ...post(members[5]), replyToPostId: null, hasImage: false }, now);
    await settle();
    expect(await db.query('SELECT 1 FROM insights_profiles WHERE user_id = $1', [members[5]])).toEqual([]);
    expect(await db.query('SELECT 1 FROM insights_activity WHERE user_id = $1', [members[5]])).toEqual([]);
    expect(await counted()).toEqual(afterDelete);
    expect(await counters()).toEqual(afterDelete);
    const view = await dashboard({});
    expect({ a: view.segments.A.count, b: view.segments.B.count, c: view.segments.C.count }).toEqual(afterDelete);
  });

  it('the rebuild from the events gives the same blocks and counters as the consumer kept', async () => {
    await settle();
    const snapshot = async () => ({
      blocks: await db.query('SELECT * FROM insights_activity_blocks WHERE community_id = $1 ORDER BY level, block, user_id', [cast.communityId]),
      activity: await db.query('SELECT * FROM insights_activity WHERE community_id = $1 ORDER BY user_id, day', [cast.communityId]),
      counters: await counters(),
    });
    const before = await snapshot();
    expect(before.blocks.length).toBeGreaterThan(100);
    await t.app.get(RebuildService).rebuild();
    expect(await snapshot()).toEqual(before);
    expect(await counters()).toEqual(await counted());
  });

  const repo = () => t.app.get(InsightsRepository);
  /**
   * The dashboard as the API gives it (DashboardService, which the controller calls; the HTTP route is
   * covered in insights.e2e-spec.ts). Called directly: the embedded database runs on this process's event
   * loop, and after its long statements a kept-alive test connection can be closed under the client.
   */
  const dashboard = (query: { from?: string; to?: string }) => t.app.get(DashboardService).dashboard({ id: cast.communityId, slug: cast.slug, role: 'staff' }, query);
});
