import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { createBoard, createCast, createThread, NO_LIMITS } from './support/content';
import { createMember, eventually } from './support/factories';

/** A member who deletes their account (user.deleted) is forgotten by loyalty: points closed out, off the leaderboard. */
describe('Loyalty: a deleted account', () => {
  let t: TestApp;
  let db: Db;

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
  });
  afterAll(async () => {
    await t?.close();
  });

  const settled = () =>
    eventually(async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'loyalty' AND status = 'pending'`))[0].n === 0);

  it('cancels pending points, expires the balance in every community, and leaves the leaderboard; the ledger still adds up', async () => {
    const casts = [await createCast(t.http, { ...NO_LIMITS, dailyPointsCap: 0 }), await createCast(t.http, { ...NO_LIMITS, dailyPointsCap: 0 })];
    const leaver = await createMember(t.http, casts[0].admin.accessToken, casts[0].slug);
    expect([200, 201]).toContain((await t.http.post(`/api/v1/communities/${casts[1].slug}/join`, undefined, { token: leaver.accessToken })).status);
    const stayer = await createMember(t.http, casts[0].admin.accessToken, casts[0].slug);
    const board = await createBoard(t.http, casts[0].admin.accessToken, casts[0].slug, { slug: 'talk' });
    await createThread(t.http, leaver.accessToken, board.id); // 5 + 1 pending
    for (const [i, who, points] of [[0, leaver, 40], [0, stayer, 10], [1, leaver, 7]] as const) {
      const res = await t.http.post(`/api/v1/communities/${casts[i].slug}/loyalty/adjustments`, { userId: who.id, points, reason: 'welcome' }, { token: casts[i].admin.accessToken });
      expect(res.status).toBe(201);
    }
    await settled();
    const board0 = async () => (await t.http.get(`/api/v1/communities/${casts[0].slug}/loyalty/leaderboard`, { token: stayer.accessToken })).body.items.map((r: any) => [r.user.id, r.points]);
    expect(await board0()).toEqual([[leaver.id, 40], [stayer.id, 10]]);

    expect((await t.http.delete('/api/v1/me', { body: { password: leaver.password }, token: leaver.accessToken })).status).toBe(204);
    await settled();

    const summary = async (i: number) => (await t.http.get(`/api/v1/communities/${casts[i].slug}/loyalty/members/${leaver.id}`, { token: casts[i].admin.accessToken })).body;
    expect(await summary(0)).toEqual(expect.objectContaining({ balance: 0, pending: 0, expired: 40 }));
    expect(await summary(1)).toEqual(expect.objectContaining({ balance: 0, pending: 0, expired: 7 }));
    const ledger = (await t.http.get(`/api/v1/communities/${casts[0].slug}/loyalty/members/${leaver.id}/ledger?limit=100`, { token: casts[0].admin.accessToken })).body.items;
    expect(ledger.filter((e: any) => e.kind === 'expiry').map((e: any) => [e.rule, e.points, e.reason])).toEqual([['account_deleted', -40, 'Account deleted']]);
    expect(ledger.filter((e: any) => e.kind === 'reversal').map((e: any) => [e.status, e.reason]).sort()).toEqual([
      ['cancelled', 'Account deleted'],
      ['cancelled', 'Account deleted'],
    ]);
    expect(await board0()).toEqual([[stayer.id, 10]]);
    for (const cast of casts) {
      const rec = await t.http.get(`/api/v1/communities/${cast.slug}/loyalty/reconciliation`, { token: cast.admin.accessToken });
      expect(rec.body).toEqual(expect.objectContaining({ driftFound: 0 }));
    }
    // Handled once: the event again changes nothing.
    const [event] = await db.query<{ id: string }>(`SELECT id FROM events WHERE type = 'user.deleted' AND data->>'userId' = $1`, [leaver.id]);
    await db.query(`UPDATE event_deliveries SET status = 'pending', next_attempt_at = now() WHERE event_id = $1 AND consumer = 'loyalty'`, [event.id]);
    await settled();
    expect((await db.query(`SELECT count(*)::int AS n FROM loyalty_entries WHERE user_id = $1`, [leaver.id]))[0]).toEqual({ n: ledger.length + 2 }); // and the other community's adjustment and expiry
  });
});
