import { Db } from '../src/core/database/db.service';
import { EventDispatcher } from '../src/core/events/event-dispatcher';
import { EventsService } from '../src/core/events/events.service';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, NO_LIMITS, reply } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';

/**
 * The loyalty consumer's batch path (`handleBatch` -> `creditMany`) gives the same ledger as handling
 * each event on its own. One script of threads, replies and reactions (with a daily cap small enough
 * to cut entries, repeated first-posts-of-the-day, an own reaction and a removed one) runs in two
 * communities: in the first each event is handled before the next action; in the second the
 * dispatcher is stopped during the script, so its events wait and are handed over in batches.
 */
describe('Loyalty: batches earn exactly what one event at a time does', () => {
  let t: TestApp;
  let db: Db;
  const batches = { ok: 0, failed: 0, events: 0 };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    // Count the consumer's batches (and whether they went through) without changing what they do.
    const consumer = t.app.get(EventsService).consumer('loyalty')!;
    const original = consumer.handleBatch!;
    Object.assign(consumer, {
      handleBatch: async (events: any[]) => {
        try {
          await original(events);
          batches.ok++;
          batches.events += events.length;
        } catch (err) {
          batches.failed++;
          throw err;
        }
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const pendingLoyalty = async (communityId: string) =>
    (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM event_deliveries d JOIN events e ON e.id = d.event_id WHERE d.consumer = 'loyalty' AND d.status = 'pending' AND e.community_id = $1`,
      [communityId],
    ))[0].n;

  async function script(cast: Cast, authors: TestUser[], reactors: TestUser[], step: () => Promise<void>) {
    const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
    const react = async (who: TestUser, postId: string, kind: string, method: 'put' | 'delete' = 'put') => {
      const res =
        method === 'put'
          ? await t.http.put(`/api/v1/posts/${postId}/reactions/${kind}`, undefined, { token: who.accessToken })
          : await t.http.delete(`/api/v1/posts/${postId}/reactions/${kind}`, { token: who.accessToken });
      expect(res.status).toBe(204);
      await step();
    };
    for (const author of authors) {
      const thread = await createThread(t.http, author.accessToken, board.id);
      await step();
      // With a cap of 12: the thread and first post of the day (6), four reactions (10), one taken back
      // while pending (9), a reply (11), a second reply cut to 1 of 2 (12), then nothing more today.
      for (const r of reactors) for (const kind of ['like', 'helpful']) await react(r, thread.firstPost.id, kind);
      await react(author, thread.firstPost.id, 'love'); // one's own: earns nothing
      await react(reactors[0], thread.firstPost.id, 'like', 'delete');
      for (let i = 0; i < 2; i++) {
        const post = await reply(t.http, author.accessToken, thread.id, `Reply ${i}`);
        await step();
        for (const r of reactors) await react(r, post.id, 'like');
      }
    }
  }

  /** The ledger and accounts of a community, members named by their place in the script. */
  async function outcome(communityId: string, members: TestUser[]) {
    const index = new Map(members.map((m, i) => [m.id, i]));
    const entries = await db.query<{ user_id: string; kind: string; rule: string; points: number; requested_points: number | null; status: string; reason: string }>(
      `SELECT user_id, kind, rule, points, requested_points, status, reason FROM loyalty_entries WHERE community_id = $1`,
      [communityId],
    );
    const accounts = await db.query<{ user_id: string; balance: number; pending: number; lifetime_earned: number; reversed: number }>(
      `SELECT user_id, balance, pending, lifetime_earned, reversed FROM loyalty_accounts WHERE community_id = $1`,
      [communityId],
    );
    const [events] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE community_id = $1 AND type = 'points.earned'`, [communityId]);
    return {
      entries: entries.map((e) => ({ ...e, user_id: index.get(e.user_id) })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      accounts: accounts.map((a) => ({ ...a, user_id: index.get(a.user_id) })).sort((a, b) => a.user_id! - b.user_id!),
      pointsEarnedEvents: events.n,
    };
  }

  it('gives the same entries, caps, accounts and events as one event at a time', async () => {
    const settings = { ...NO_LIMITS, dailyPointsCap: 12 };
    const casts = [await createCast(t.http, settings), await createCast(t.http, settings)];
    const people = await Promise.all(
      casts.map(async (cast) => {
        const authors = [await createMember(t.http, cast.admin.accessToken, cast.slug), await createMember(t.http, cast.admin.accessToken, cast.slug)];
        const reactors = [await createMember(t.http, cast.admin.accessToken, cast.slug), await createMember(t.http, cast.admin.accessToken, cast.slug)];
        return { authors, reactors };
      }),
    );

    // One at a time: each action's events handled before the next.
    const [one, many] = casts;
    await script(one, people[0].authors, people[0].reactors, async () => {
      await eventually(async () => (await pendingLoyalty(one.communityId)) === 0);
    });
    const before = { ...batches };

    // In batches: nothing is handed over until the script is done.
    const dispatcher = t.app.get(EventDispatcher);
    await dispatcher.stop();
    try {
      await script(many, people[1].authors, people[1].reactors, async () => undefined);
      expect(await pendingLoyalty(many.communityId)).toBeGreaterThan(20);
    } finally {
      dispatcher.start();
    }
    await eventually(async () => (await pendingLoyalty(many.communityId)) === 0, 30_000);

    // The second community's events went through whole batches, none fell back to one by one.
    expect(batches.failed).toBe(before.failed);
    expect(batches.ok - before.ok).toBeGreaterThanOrEqual(1);
    expect(batches.events - before.events).toBeGreaterThan(20);

    const a = await outcome(one.communityId, [...people[0].authors, ...people[0].reactors]);
    const b = await outcome(many.communityId, [...people[1].authors, ...people[1].reactors]);
    expect(b).toEqual(a);
    // The script reached the cap (entries cut short) and took a reaction back: the comparison covers both.
    expect(a.entries.some((e) => e.requested_points !== null && e.points < e.requested_points)).toBe(true);
    expect(a.entries.some((e) => e.kind === 'reversal')).toBe(true);
    expect(a.pointsEarnedEvents).toBeGreaterThan(10);
  });
});
