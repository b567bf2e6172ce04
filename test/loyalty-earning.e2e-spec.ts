import sharp from 'sharp';
import { Db } from '../src/core/database/db.service';
import { DomainEventMap, DomainEventType } from '../src/core/events/event-types';
import { EventsService } from '../src/core/events/events.service';
import { LoyaltyClock } from '../src/loyalty/loyalty.clock';
import { LoyaltyScheduler } from '../src/loyalty/loyalty.scheduler';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createMember, eventually, TestUser } from './support/factories';
import { uploadImage } from './support/fuzz/fixtures';

const HOUR = 3_600_000;

/** Earning rules, the daily cap, the pending window (controllable clock), reversals and restores, tiers, orders. */
describe('Loyalty: earning points', () => {
  let t: TestApp;
  let db: Db;
  let clock: LoyaltyClock;
  let cast: Cast;
  let discussion: { id: string };
  let qa: { id: string };
  let showcase: { id: string };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    clock = t.app.get(LoyaltyClock);
    cast = await createCast(t.http, { ...NO_LIMITS, dailyPointsCap: 0 });
    discussion = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
    qa = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'questions', kind: 'qa' });
    showcase = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'shows', kind: 'showcase' });
  });
  afterAll(async () => {
    // Every delivery to the consumer succeeded, and every account adds up.
    const failed = await db.query(`SELECT last_error FROM event_deliveries WHERE consumer = 'loyalty' AND last_error IS NOT NULL`);
    expect(failed).toEqual([]);
    const rec = await t.http.get(`/api/v1/communities/${cast.slug}/loyalty/reconciliation`, { token: cast.admin.accessToken });
    expect(rec.body).toEqual(expect.objectContaining({ driftFound: 0, drift: [] }));
    expect(rec.body.accountsChecked).toBeGreaterThan(5);
    await t?.close();
  });

  /** Waits until the loyalty consumer has handled every event recorded so far. */
  const settle = () =>
    eventually(async () => {
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'loyalty' AND status = 'pending'`);
      return row.n === 0;
    });
  const me = async (user: TestUser, slug = cast.slug) => {
    await settle();
    const res = await t.http.get(`/api/v1/communities/${slug}/loyalty/me`, { token: user.accessToken });
    expect(res.status).toBe(200);
    return res.body;
  };
  const ledger = async (user: TestUser) => {
    await settle();
    const res = await t.http.get(`/api/v1/communities/${cast.slug}/loyalty/me/ledger?limit=100`, { token: user.accessToken });
    expect(res.status).toBe(200);
    return res.body.items as any[];
  };
  const record = <T extends DomainEventType>(type: T, data: DomainEventMap[T]) =>
    db.transaction(() => t.app.get(EventsService).record(type, data, cast.communityId));
  const fresh = () => createMember(t.http, cast.admin.accessToken, cast.slug);
  const pointsBy = (entries: any[]) => entries.reduce<Record<string, number>>((acc, e) => ({ ...acc, [`${e.rule}/${e.status}`]: (acc[`${e.rule}/${e.status}`] ?? 0) + e.points }), {});

  it('pays a thread and the first post of the day, pending through the moderation window', async () => {
    const author = await fresh();
    const thread = await createThread(t.http, author.accessToken, discussion.id);
    const entries = await ledger(author);
    expect(entries.map((e) => [e.kind, e.rule, e.points, e.status])).toEqual(
      expect.arrayContaining([
        ['earn', 'thread_created', 5, 'pending'],
        ['earn', 'first_post_of_day', 1, 'pending'],
      ]),
    );
    expect(entries).toHaveLength(2);
    expect(entries[0]).toEqual(expect.objectContaining({ sourceEventId: expect.stringMatching(/^\d+$/), postId: thread.firstPost.id, threadId: thread.id, approveAt: expect.any(String) }));
    expect(await me(author)).toEqual(expect.objectContaining({ balance: 0, pending: 6, lifetimeEarned: 6, tier: 'Bronze', nextTier: { name: 'Silver', minLifetime: 500, pointsNeeded: 500 } }));
  });

  it('pays replies (first of the day once), reactions received (not one\'s own), and takes a removed reaction back while pending', async () => {
    const author = await fresh();
    const replier = await fresh();
    const thread = await createThread(t.http, author.accessToken, discussion.id);
    const r1 = await reply(t.http, replier.accessToken, thread.id, 'first');
    await reply(t.http, replier.accessToken, thread.id, 'second');
    expect(pointsBy(await ledger(replier))).toEqual({ 'reply_created/pending': 4, 'first_post_of_day/pending': 1 });

    const react = (who: TestUser, postId: string, kind: string, method: 'put' | 'delete' = 'put') =>
      method === 'put' ? t.http.put(`/api/v1/posts/${postId}/reactions/${kind}`, undefined, { token: who.accessToken }) : t.http.delete(`/api/v1/posts/${postId}/reactions/${kind}`, { token: who.accessToken });
    expect((await react(author, r1.id, 'like')).status).toBe(204);
    expect((await react(author, r1.id, 'helpful')).status).toBe(204);
    expect((await react(replier, r1.id, 'love')).status).toBe(204); // own post: nothing
    expect((await react(replier, thread.firstPost.id, 'like')).status).toBe(204);
    await settle();
    expect(pointsBy(await ledger(replier))['reaction_received/pending']).toBe(2);
    expect(pointsBy(await ledger(author))['reaction_received/pending']).toBe(1);

    expect((await react(author, r1.id, 'helpful', 'delete')).status).toBe(204);
    const after = await ledger(replier);
    const cancelled = after.find((e) => e.kind === 'earn' && e.rule === 'reaction_received' && e.status === 'cancelled');
    expect(cancelled).toBeDefined();
    expect(after.find((e) => e.kind === 'reversal' && e.reversesEntryId === cancelled.id)).toEqual(expect.objectContaining({ points: 0, status: 'cancelled', requestedPoints: 1 }));
    // Re-adding the same reaction does not pay again.
    expect((await react(author, r1.id, 'helpful')).status).toBe(204);
    expect((await me(replier)).pending).toBe(4 + 1 + 1);
  });

  it('pays a showcase post with a photo on top of the thread', async () => {
    const author = await fresh();
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c33' } }).png().toBuffer();
    const upload = await uploadImage(t.baseUrl, author.accessToken, cast.slug, png);
    await createThread(t.http, author.accessToken, showcase.id, { attachmentIds: [upload.id] });
    await createThread(t.http, author.accessToken, showcase.id); // no photo: thread points only
    expect(pointsBy(await ledger(author))).toEqual({ 'thread_created/pending': 10, 'showcase_photo/pending': 10, 'first_post_of_day/pending': 1 });
  });

  it('pays the accepted answer to its author (never one\'s own) and the official answer, and takes them back when undone or moved', async () => {
    const asker = await fresh();
    const answerer = await fresh();
    const other = await fresh();
    const q = await createThread(t.http, asker.accessToken, qa.id, { title: 'How do I descale it?' });
    const a1 = await reply(t.http, answerer.accessToken, q.id, 'Vinegar');
    const own = await reply(t.http, asker.accessToken, q.id, 'Found it myself');
    const a2 = await reply(t.http, other.accessToken, q.id, 'Citric acid');
    const accept = (postId: string) => t.http.post(`/api/v1/threads/${q.id}/accept`, { postId }, { token: asker.accessToken });
    expect((await accept(own.id)).status).toBe(200);
    expect(pointsBy(await ledger(asker))['answer_accepted/pending']).toBeUndefined();
    expect((await accept(a1.id)).status).toBe(200);
    expect(pointsBy(await ledger(answerer))['answer_accepted/pending']).toBe(15);
    expect((await accept(a2.id)).status).toBe(200);
    expect(pointsBy(await ledger(answerer))['answer_accepted/cancelled']).toBe(15);
    expect(pointsBy(await ledger(other))['answer_accepted/pending']).toBe(15);

    expect((await t.http.post(`/api/v1/posts/${a1.id}/official`, undefined, { token: cast.staff.accessToken })).status).toBe(200);
    expect(pointsBy(await ledger(answerer))['answer_official/pending']).toBe(10);
    expect((await t.http.delete(`/api/v1/posts/${a1.id}/official`, { token: cast.staff.accessToken })).status).toBe(200);
    expect(pointsBy(await ledger(answerer))['answer_official/cancelled']).toBe(10);
  });

  it('caps content points per day (accepted answers exempt), by the loyalty clock\'s day', async () => {
    await setSettings(t.http, cast.admin.accessToken, cast.slug, { dailyPointsCap: 8 });
    try {
      const busy = await fresh();
      const asker = await fresh();
      const thread = await createThread(t.http, asker.accessToken, qa.id, { title: 'Which grinder should I buy?' });
      let last: any;
      for (let i = 0; i < 5; i++) last = await reply(t.http, busy.accessToken, thread.id, `reply ${i}`);
      const entries = await ledger(busy);
      expect(entries.reduce((s, e) => s + e.points, 0)).toBe(8); // 1 + 2 + 2 + 2 + 1 (capped), then nothing
      expect(entries.find((e) => e.requestedPoints === 2 && e.points === 1)).toBeDefined();
      expect(entries).toHaveLength(5);
      expect((await t.http.post(`/api/v1/threads/${thread.id}/accept`, { postId: last.id }, { token: asker.accessToken })).status).toBe(200);
      expect(pointsBy(await ledger(busy))['answer_accepted/pending']).toBe(15);
      // A new day (by the clock) has a new cap.
      clock.advance(24 * HOUR);
      await reply(t.http, busy.accessToken, thread.id, 'next day');
      expect((await me(busy)).lifetimeEarned).toBe(8 + 15 + 3);
    } finally {
      clock.reset();
      await setSettings(t.http, cast.admin.accessToken, cast.slug, { dailyPointsCap: 0 });
    }
  });

  it('approves pending points once their window passes: on read, and by the sweep', async () => {
    const a = await fresh();
    const b = await fresh();
    await createThread(t.http, a.accessToken, discussion.id);
    await createThread(t.http, b.accessToken, discussion.id);
    expect(await me(a)).toEqual(expect.objectContaining({ balance: 0, pending: 6 }));
    try {
      clock.advance(23 * HOUR);
      expect(await me(a)).toEqual(expect.objectContaining({ balance: 0, pending: 6 }));
      clock.advance(2 * HOUR);
      expect(await me(a)).toEqual(expect.objectContaining({ balance: 6, pending: 0, lifetimeEarned: 6 }));
      // b never read: the sweep approves it, once however often it runs.
      const scheduler = t.app.get(LoyaltyScheduler);
      const [first, second] = await Promise.all([scheduler.sweep(), scheduler.sweep()]);
      expect(first.approved).toBeGreaterThanOrEqual(2);
      expect(second).toBe(first); // one pass at a time per process
      const [row] = await db.query<{ balance: number; pending: number }>('SELECT balance, pending FROM loyalty_accounts WHERE community_id = $1 AND user_id = $2', [cast.communityId, b.id]);
      expect(row).toEqual({ balance: 6, pending: 0 });
      expect((await scheduler.sweep()).approved).toBe(0);
      const earned = await db.query(`SELECT data FROM events WHERE type = 'points.earned' AND data->>'userId' = $1 AND data->>'status' = 'approved'`, [b.id]);
      expect(earned).toHaveLength(2);
    } finally {
      clock.reset();
    }
  });

  it('cancels pending points of hidden content, and earns them again once when it is restored', async () => {
    const author = await fresh();
    const thread = await createThread(t.http, author.accessToken, discussion.id);
    const r = await reply(t.http, author.accessToken, thread.id, 'a reply');
    await settle();
    const base = { communityId: cast.communityId, boardId: discussion.id, threadId: thread.id, postId: r.id, authorId: author.id };
    await record('post.hidden', { ...base, hiddenBy: cast.moderator.id, reason: 'spam', isFirst: false });
    expect(pointsBy(await ledger(author))).toEqual({ 'thread_created/pending': 5, 'first_post_of_day/pending': 1, 'reply_created/cancelled': 2 });
    expect(await me(author)).toEqual(expect.objectContaining({ pending: 6, balance: 0, lifetimeEarned: 6 }));
    await record('post.restored', { ...base, restoredBy: cast.moderator.id, isFirst: false });
    await record('post.restored', { ...base, restoredBy: cast.moderator.id, isFirst: false });
    expect(await me(author)).toEqual(expect.objectContaining({ pending: 6, balance: 2, lifetimeEarned: 8 }));
    expect((await ledger(author)).filter((e) => e.reason === 'Content restored')).toHaveLength(1);
    // Hiding the whole thread takes everything in it.
    await record('post.hidden', { ...base, postId: thread.firstPost.id, hiddenBy: null, reason: 'flags', isFirst: true });
    expect(await me(author)).toEqual(expect.objectContaining({ pending: 0, balance: 0, lifetimeEarned: 2, reversed: 2 }));
  });

  it('restoring a thread gives back what hiding the thread took, not what hiding one of its replies took', async () => {
    const author = await fresh();
    const replier = await fresh();
    const thread = await createThread(t.http, author.accessToken, discussion.id);
    const r = await reply(t.http, replier.accessToken, thread.id, 'spam reply');
    await settle();
    const base = { communityId: cast.communityId, boardId: discussion.id, threadId: thread.id, authorId: author.id };
    await record('post.hidden', { ...base, postId: r.id, authorId: replier.id, hiddenBy: cast.moderator.id, reason: 'spam', isFirst: false });
    await record('post.hidden', { ...base, postId: thread.firstPost.id, hiddenBy: cast.moderator.id, reason: 'off topic', isFirst: true });
    expect(await me(author)).toEqual(expect.objectContaining({ pending: 0, balance: 0 }));
    await record('post.restored', { ...base, postId: thread.firstPost.id, restoredBy: cast.moderator.id, isFirst: true });
    expect(await me(author)).toEqual(expect.objectContaining({ balance: 6, lifetimeEarned: 6 }));
    expect(await me(replier)).toEqual(expect.objectContaining({ balance: 0, pending: 0, lifetimeEarned: 0 }));
    await record('post.restored', { ...base, postId: r.id, authorId: replier.id, restoredBy: cast.moderator.id, isFirst: false });
    expect(await me(replier)).toEqual(expect.objectContaining({ balance: 3, lifetimeEarned: 3 }));
  });

  it('reverses approved points of deleted content, taking no more than the balance and recording what it took', async () => {
    const author = await fresh();
    const thread = await createThread(t.http, author.accessToken, discussion.id);
    await settle();
    try {
      clock.advance(25 * HOUR);
      expect((await me(author)).balance).toBe(6);
      const adj = await t.http.post(`/api/v1/communities/${cast.slug}/loyalty/adjustments`, { userId: author.id, points: -4, reason: 'test spend' }, { token: cast.staff.accessToken });
      expect(adj.status).toBe(201);
      expect((await t.http.delete(`/api/v1/posts/${thread.firstPost.id}`, { token: author.accessToken })).status).toBe(204);
      const entries = await ledger(author);
      const reversals = entries.filter((e) => e.kind === 'reversal');
      expect(reversals.map((e) => [e.rule, e.points, e.requestedPoints]).sort()).toEqual([['first_post_of_day', 0, 1], ['thread_created', -2, 5]]);
      expect(reversals.reduce((s: number, e: any) => s - e.points, 0)).toBe(2);
      expect(reversals.reduce((s: number, e: any) => s + e.requestedPoints, 0)).toBe(6);
      expect(await me(author)).toEqual(expect.objectContaining({ balance: 0, pending: 0, lifetimeEarned: 6, reversed: 6 }));
    } finally {
      clock.reset();
    }
  });

  it('moves tiers both ways, recording tier.changed', async () => {
    await t.http.put(`/api/v1/communities/${cast.slug}/loyalty/rules`, { tiers: [{ name: 'Bronze', minLifetime: 0 }, { name: 'Silver', minLifetime: 20 }, { name: 'Gold', minLifetime: 40 }] }, { token: cast.admin.accessToken });
    try {
      const m = await fresh();
      const adjust = (points: number) => t.http.post(`/api/v1/communities/${cast.slug}/loyalty/adjustments`, { userId: m.id, points, reason: 'tier test' }, { token: cast.staff.accessToken });
      expect((await adjust(25)).body.summary).toEqual(expect.objectContaining({ tier: 'Silver', tierPoints: 25, nextTier: { name: 'Gold', minLifetime: 40, pointsNeeded: 15 } }));
      expect((await adjust(20)).body.summary.tier).toBe('Gold');
      expect((await adjust(-30)).body.summary.tier).toBe('Bronze');
      await settle();
      const changes = await db.query<{ data: any }>(`SELECT data FROM events WHERE type = 'tier.changed' AND data->>'userId' = $1 ORDER BY id`, [m.id]);
      expect(changes.map((c) => [c.data.previousTier, c.data.tier])).toEqual([['Bronze', 'Silver'], ['Silver', 'Gold'], ['Gold', 'Bronze']]);
    } finally {
      await t.http.put(`/api/v1/communities/${cast.slug}/loyalty/rules`, { tiers: [{ name: 'Bronze', minLifetime: 0 }, { name: 'Silver', minLifetime: 500 }, { name: 'Gold', minLifetime: 2000 }, { name: 'Platinum', minLifetime: 5000 }] }, { token: cast.admin.accessToken });
    }
  });

  it('pays orders per currency unit at once, once per order, and takes them back on refund', async () => {
    await t.http.put(`/api/v1/communities/${cast.slug}/loyalty/rules`, { orderPointsPerUnit: 2 }, { token: cast.admin.accessToken });
    const buyer = await fresh();
    const order = { communityId: cast.communityId, userId: buyer.id, orderId: 'ORD-1', total: 12.5, currency: 'EUR' };
    await record('order.paid', order);
    await record('order.paid', order); // the store sent it twice
    expect(await me(buyer)).toEqual(expect.objectContaining({ balance: 25, pending: 0 }));
    await record('order.refunded', order);
    expect(await me(buyer)).toEqual(expect.objectContaining({ balance: 0, reversed: 25 }));
    await t.http.put(`/api/v1/communities/${cast.slug}/loyalty/rules`, { orderPointsPerUnit: 0 }, { token: cast.admin.accessToken });
  });

  it('pays an event once however often it is handled', async () => {
    const author = await fresh();
    await createThread(t.http, author.accessToken, discussion.id);
    await settle();
    const [event] = await db.query<{ id: string; type: string; community_id: string; data: any; created_at: Date }>(
      `SELECT id, type, community_id, data, created_at FROM events WHERE type = 'thread.created' AND data->>'authorId' = $1`,
      [author.id],
    );
    const consumer = t.app.get(EventsService).consumer('loyalty')!;
    const again = { id: String(event.id), type: event.type as DomainEventType, communityId: event.community_id, data: event.data, createdAt: event.created_at };
    await db.transaction(() => consumer.handle(again));
    await db.transaction(() => consumer.handle(again));
    expect(await ledger(author)).toHaveLength(2);
  });
});
