import { Socket } from 'socket.io-client';
import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { createCommunity, createMember, eventually, loginAdmin, TestUser } from './support/factories';
import { expectProblem } from './support/http';
import { ask, connectSocket, Inbox } from './support/sockets';

describe('chat: support chats', () => {
  let t: TestApp;
  let db: Db;
  let admin: TestUser;
  let slug: string;
  let communityId: string;
  let customer: TestUser;
  let other: TestUser;
  let staff1: TestUser;
  let staff2: TestUser;
  let outsiderStaff: TestUser;
  const sockets: Socket[] = [];
  const connect = async (who: TestUser) => {
    const s = await connectSocket(t.baseUrl, who.accessToken);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    admin = await loginAdmin(t.http);
    ({ slug, id: communityId } = await createCommunity(t.http, admin.accessToken));
    customer = await createMember(t.http, admin.accessToken, slug);
    other = await createMember(t.http, admin.accessToken, slug);
    staff1 = await createMember(t.http, admin.accessToken, slug, 'staff');
    staff2 = await createMember(t.http, admin.accessToken, slug, 'staff');
    const elsewhere = await createCommunity(t.http, admin.accessToken);
    outsiderStaff = await createMember(t.http, admin.accessToken, elsewhere.slug, 'admin');
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.close();
  });

  it('is requested, offered to staff, claimed once, answered, closed, and its response time counted', async () => {
    const staffSocket = await connect(staff1);
    const staffInbox = new Inbox(staffSocket);
    const opened = await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support' }, { token: customer.accessToken });
    expect(opened.status).toBe(201);
    const roomId = opened.body.id;
    expect(opened.body.support).toMatchObject({ status: 'open', customer: { id: customer.id }, claimedBy: null, firstResponseSeconds: null });
    expect((await staffInbox.next('support:requested')).room.id).toBe(roomId);

    // One open support chat per customer: asking again returns it.
    const again = await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support' }, { token: customer.accessToken });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(roomId);

    // The queue: staff only, of this community only.
    const queue = await t.http.get(`/api/v1/communities/${slug}/chat/support?status=open`, { token: staff2.accessToken });
    expect(queue.body.items.map((r: any) => r.id)).toEqual([roomId]);
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/chat/support`, { token: customer.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/chat/support`, { token: outsiderStaff.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.post(`/api/v1/chat/rooms/${roomId}/claim`, undefined, { token: outsiderStaff.accessToken }), 404, 'NOT_FOUND');
    expectProblem(await t.http.get(`/api/v1/chat/rooms/${roomId}/messages`, { token: other.accessToken }), 404, 'NOT_FOUND');

    const customerSocket = await connect(customer);
    const customerInbox = new Inbox(customerSocket);
    await ask(customerSocket, 'room:join', { roomId });
    expect((await ask(customerSocket, 'message:send', { roomId, body: 'My grinder is jammed', clientId: 's1' })).ok).toBe(true);
    // Staff answer only after claiming it.
    expect(await ask(staffSocket, 'message:send', { roomId, body: 'Hello', clientId: 'x1' })).toMatchObject({ ok: false, error: { code: 'SUPPORT_NOT_CLAIMED' } });
    expectProblem(await t.http.post(`/api/v1/chat/rooms/${roomId}/claim`, undefined, { token: customer.accessToken }), 403, 'FORBIDDEN');

    // Two staff claim at once: one wins, the other gets 409.
    const claims = await Promise.all([staff1, staff2].map((s) => t.http.post(`/api/v1/chat/rooms/${roomId}/claim`, undefined, { token: s.accessToken })));
    expect(claims.map((c) => c.status).sort()).toEqual([200, 409]);
    const loser = claims.find((c) => c.status === 409)!;
    expect(loser.body.code).toBe('SUPPORT_ALREADY_CLAIMED');
    const winner = claims.find((c) => c.status === 200)!;
    const claimer = winner.body.support.claimedBy.id === staff1.id ? staff1 : staff2;
    const bystander = claimer === staff1 ? staff2 : staff1;
    // The customer sees who answers.
    expect((await customerInbox.next('support:claimed')).room.support.claimedBy.id).toBe(claimer.id);

    const claimerSocket = claimer === staff1 ? staffSocket : await connect(staff2);
    const bystanderSocket = await connect(bystander);
    expect(await ask(bystanderSocket, 'message:send', { roomId, body: 'me too', clientId: 'b1' })).toMatchObject({ ok: false, error: { code: 'SUPPORT_CLAIMED_BY_OTHER' } });
    const answer = await ask(claimerSocket, 'message:send', { roomId, body: 'Let us fix it', clientId: 'a1' });
    expect(answer.ok).toBe(true);
    expect((await customerInbox.next('message:new', (p) => p.message.id === answer.message.id)).message.author.id).toBe(claimer.id);

    const room = await t.http.get(`/api/v1/chat/rooms/${roomId}`, { token: customer.accessToken });
    expect(room.body.support.status).toBe('claimed');
    expect(room.body.support.firstResponseSeconds).toEqual(expect.any(Number));

    const closed = await t.http.post(`/api/v1/chat/rooms/${roomId}/close`, undefined, { token: customer.accessToken });
    expect(closed.status).toBe(200);
    expect(closed.body.support.status).toBe('closed');
    expect(await ask(customerSocket, 'message:send', { roomId, body: 'one more', clientId: 's2' })).toMatchObject({ ok: false, error: { code: 'ROOM_CLOSED' } });
    expectProblem(await t.http.post(`/api/v1/chat/rooms/${roomId}/close`, undefined, { token: claimer.accessToken }), 409, 'ROOM_CLOSED');
    expectProblem(await t.http.post(`/api/v1/chat/rooms/${roomId}/claim`, undefined, { token: bystander.accessToken }), 409, 'ROOM_CLOSED');

    // A new request after closing is a new chat.
    const next = await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support' }, { token: customer.accessToken });
    expect(next.status).toBe(201);
    expect(next.body.id).not.toBe(roomId);

    // Response times, in the shape of qa/response-times.
    const times = await t.http.get(`/api/v1/communities/${slug}/chat/support/response-times`, { token: staff2.accessToken });
    expect(times.body).toMatchObject({ questions: 2, answered: 1, within: { '1h': 0.5, '4h': 0.5, '24h': 0.5 } });
    expect(times.body.firstResponseSeconds.p50).toEqual(expect.any(Number));
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/chat/support/response-times`, { token: customer.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/chat/support/response-times?from=2026-01-02&to=2026-01-01`, { token: staff1.accessToken }), 400, 'VALIDATION_FAILED');

    // Every step was recorded as an event, in order.
    await eventually(async () => {
      const rows = await db.query<{ type: string }>(
        `SELECT type FROM events WHERE community_id = $1 AND type LIKE 'support.%' AND data->>'roomId' = $2 ORDER BY id`,
        [communityId, roomId],
      );
      expect(rows.map((r) => r.type)).toEqual(['support.requested', 'support.claimed', 'support.closed']);
      return true;
    });
    const [sent] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'chat.message_sent' AND data->>'roomId' = $1`, [roomId]);
    expect(sent.n).toBe(2);
  });

  it('keeps the queue oldest first, pages it, and refuses bad filters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const who = await createMember(t.http, admin.accessToken, slug);
      ids.push((await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support' }, { token: who.accessToken })).body.id);
    }
    const page1 = await t.http.get(`/api/v1/communities/${slug}/chat/support?status=open&limit=2`, { token: staff1.accessToken });
    const open = page1.body.items.map((r: any) => r.id);
    const page2 = await t.http.get(`/api/v1/communities/${slug}/chat/support?status=open&limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`, { token: staff1.accessToken });
    const all = [...open, ...page2.body.items.map((r: any) => r.id)];
    expect(all.slice(-3)).toEqual(ids);
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/chat/support?status=pending`, { token: staff1.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support', memberIds: [staff1.id] }, { token: other.accessToken }), 400, 'VALIDATION_FAILED');
  });
});
