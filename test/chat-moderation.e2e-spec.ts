import { Socket } from 'socket.io-client';
import { startApp, TestApp } from './support/app';
import { NO_LIMITS, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { expectProblem } from './support/http';
import { ask, connectSocket, Inbox, settle } from './support/sockets';

describe('chat and moderation: sanctions on sockets, rules and reports on messages', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let mod: TestUser;
  let ann: TestUser;
  let bob: TestUser;
  let roomId: string;
  const sockets: Socket[] = [];
  const connect = async (who: TestUser) => {
    const s = await connectSocket(t.baseUrl, who.accessToken);
    sockets.push(s);
    return s;
  };
  const sanction = (userId: string, kind: string, until?: string) =>
    t.http.post(`/api/v1/communities/${slug}/sanctions`, { userId, kind, reason: 'test', ...(until ? { until } : {}) }, { token: mod.accessToken });

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    mod = await createMember(t.http, admin.accessToken, slug, 'moderator');
    ann = await createMember(t.http, admin.accessToken, slug);
    bob = await createMember(t.http, admin.accessToken, slug);
    roomId = (await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { name: 'Lobby', kind: 'public' }, { token: mod.accessToken })).body.id;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.close();
  });

  it('a silenced member reads but cannot send or type; lifting the sanction gives it back', async () => {
    const s = await connect(bob);
    expect((await ask(s, 'room:join', { roomId })).ok).toBe(true);
    const res = await sanction(bob.id, 'silence', new Date(Date.now() + 3_600_000).toISOString());
    expect(res.status).toBe(201);
    expect(await ask(s, 'message:send', { roomId, body: 'hello?', clientId: 'sil-1' })).toMatchObject({ ok: false, error: { code: 'SILENCED' } });
    expect(await ask(s, 'typing', { roomId })).toMatchObject({ ok: false, error: { code: 'SILENCED' } });
    expect((await t.http.get(`/api/v1/chat/rooms/${roomId}/messages`, { token: bob.accessToken })).status).toBe(200);
    expect((await t.http.delete(`/api/v1/sanctions/${res.body.id}`, { token: mod.accessToken })).status).toBeLessThan(300);
    expect((await ask(s, 'message:send', { roomId, body: 'back', clientId: 'sil-2' })).ok).toBe(true);
  });

  it('a ban ends the member\'s sockets in the community at once: rooms left, nothing more received or sent', async () => {
    const victim = await createMember(t.http, admin.accessToken, slug);
    const s = await connect(victim);
    const inbox = new Inbox(s);
    expect((await ask(s, 'room:join', { roomId })).ok).toBe(true);
    expect((await sanction(victim.id, 'ban')).status).toBe(201);
    expect(await inbox.next('room:removed')).toEqual({ roomId, code: 'BANNED' });
    const a = await connect(ann);
    await ask(a, 'message:send', { roomId, body: 'after the ban', clientId: 'ban-1' });
    await settle();
    expect(inbox.of('message:new')).toEqual([]);
    expect(await ask(s, 'room:join', { roomId })).toMatchObject({ ok: false, error: { code: 'BANNED' } });
    expect(await ask(s, 'message:send', { roomId, body: 'let me back', clientId: 'ban-2' })).toMatchObject({ ok: false, error: { code: 'BANNED' } });
  });

  it('watched words block, hold or flag chat messages', async () => {
    const rules = await t.http.put(
      `/api/v1/communities/${slug}/moderation/rules`,
      { watchedWords: [{ pattern: 'casino', action: 'block' }, { pattern: 'buy now', action: 'queue' }, { pattern: 'crypto*', action: 'flag' }], queueNewMemberFirstPost: false },
      { token: admin.accessToken },
    );
    expect(rules.status).toBe(200);
    const a = await connect(ann);
    const b = await connect(bob);
    const bobInbox = new Inbox(b);
    await ask(b, 'room:join', { roomId });
    expect(await ask(a, 'message:send', { roomId, body: 'Best Casino in town', clientId: 'w-1' })).toMatchObject({ ok: false, error: { code: 'CONTENT_BLOCKED' } });
    const held = await ask(a, 'message:send', { roomId, body: 'Buy now, cheap grinders', clientId: 'w-2' });
    expect(held.ok).toBe(true);
    const flagged = await ask(a, 'message:send', { roomId, body: 'cryptocurrency accepted', clientId: 'w-3' });
    await bobInbox.next('message:new', (p) => p.message.id === flagged.message.id);
    await settle();
    expect(bobInbox.of('message:new').map((p) => p.message.id)).not.toContain(held.message.id);
    const history = await t.http.get(`/api/v1/chat/rooms/${roomId}/messages?limit=100`, { token: bob.accessToken });
    expect(history.body.items.map((m: any) => m.id)).not.toContain(held.message.id);
    expect(history.body.items.map((m: any) => m.clientId)).not.toContain('w-1');
    const queue = await t.http.get(`/api/v1/communities/${slug}/moderation/queue?status=open&type=flagged_message`, { token: mod.accessToken });
    const targets = queue.body.items.map((i: any) => i.targetId ?? i.target?.message?.id);
    expect(targets).toEqual(expect.arrayContaining([held.message.id, flagged.message.id]));
    await t.http.put(`/api/v1/communities/${slug}/moderation/rules`, { watchedWords: [], queueNewMemberFirstPost: false }, { token: admin.accessToken });
  });

  it('a reported message can be hidden by a moderator: it leaves the room for everyone', async () => {
    const a = await connect(ann);
    const b = await connect(bob);
    const bobInbox = new Inbox(b);
    await ask(b, 'room:join', { roomId });
    const sent = await ask(a, 'message:send', { roomId, body: 'rude words', clientId: 'rep-1' });
    const report = await t.http.post('/api/v1/reports', { targetType: 'message', targetId: sent.message.id, reason: 'abuse' }, { token: bob.accessToken });
    expect(report.status).toBe(201);
    // A member of another community cannot report what they cannot read.
    const elsewhere = await createCommunity(t.http, admin.accessToken);
    const outsider = await createMember(t.http, admin.accessToken, elsewhere.slug);
    expectProblem(await t.http.post('/api/v1/reports', { targetType: 'message', targetId: sent.message.id, reason: 'spam' }, { token: outsider.accessToken }), 404, 'NOT_FOUND');
    const queue = await t.http.get(`/api/v1/communities/${slug}/moderation/queue?status=open&type=flagged_message`, { token: mod.accessToken });
    const item = queue.body.items.find((i: any) => (i.targetId ?? i.target?.message?.id) === sent.message.id);
    expect(item).toBeDefined();
    const resolved = await t.http.post(`/api/v1/moderation/items/${item.id}/resolve`, { action: 'hide', version: item.version }, { token: mod.accessToken });
    expect(resolved.status).toBe(200);
    expect(await bobInbox.next('message:deleted', (p) => p.messageId === sent.message.id)).toEqual({ roomId, messageId: sent.message.id });
    const history = await t.http.get(`/api/v1/chat/rooms/${roomId}/messages?limit=100`, { token: bob.accessToken });
    expect(history.body.items.map((m: any) => m.id)).not.toContain(sent.message.id);
  });
});
