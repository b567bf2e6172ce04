import { Socket } from 'socket.io-client';
import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { expectProblem } from './support/http';
import { ask, connectError, connectSocket, Inbox, settle } from './support/sockets';

describe('chat: rooms, messages, history and read state', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let staff: TestUser;
  let ann: TestUser;
  let bob: TestUser;
  let cat: TestUser;
  let outsider: TestUser;
  let otherSlug: string;
  const sockets: Socket[] = [];
  const connect = async (who: TestUser | null) => {
    const s = await connectSocket(t.baseUrl, who?.accessToken ?? null);
    sockets.push(s);
    return s;
  };
  const createRoom = (who: TestUser, body: Record<string, unknown>, community = slug) =>
    t.http.post(`/api/v1/communities/${community}/chat/rooms`, body, { token: who.accessToken });

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    ann = await createMember(t.http, admin.accessToken, slug);
    bob = await createMember(t.http, admin.accessToken, slug);
    cat = await createMember(t.http, admin.accessToken, slug);
    ({ slug: otherSlug } = await createCommunity(t.http, admin.accessToken));
    outsider = await createMember(t.http, admin.accessToken, otherSlug, 'admin');
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.close();
  });

  describe('the handshake', () => {
    it('refuses a bad token or a malformed one with a code', async () => {
      for (const auth of [{ token: 'nope' }, { token: 42 }, { token: '' }]) {
        const err = await connectError(t.baseUrl, auth);
        expect(err.data?.code).toBe('UNAUTHENTICATED');
      }
    });

    it('refuses a logged-out token', async () => {
      const login = await t.http.post('/api/v1/auth/login', { email: cat.email, password: cat.password });
      await t.http.post('/api/v1/auth/logout', undefined, { token: login.body.accessToken });
      const err = await connectError(t.baseUrl, { token: login.body.accessToken });
      expect(err.data?.code).toBe('UNAUTHENTICATED');
    });

    it('lets guests connect, but only to watch threads', async () => {
      const guest = await connect(null);
      const ack = await ask(guest, 'room:join', { roomId: '00000000-0000-4000-8000-000000000000' });
      expect(ack).toEqual({ ok: false, error: expect.objectContaining({ code: 'UNAUTHENTICATED' }) });
    });
  });

  describe('rooms', () => {
    it('public rooms: staff create them, members may not; every member reads them; another community never sees them', async () => {
      expectProblem(await createRoom(ann, { name: 'Lobby', kind: 'public' }), 403, 'FORBIDDEN');
      const res = await createRoom(staff, { name: '  Lobby  ', kind: 'public' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'public', name: 'Lobby', members: [], support: null, unreadCount: 0 });
      const list = await t.http.get(`/api/v1/communities/${slug}/chat/rooms`, { token: bob.accessToken });
      expect(list.body.items.map((r: any) => r.id)).toContain(res.body.id);
      expectProblem(await t.http.get(`/api/v1/chat/rooms/${res.body.id}`, { token: outsider.accessToken }), 404, 'NOT_FOUND');
      expectProblem(await t.http.get(`/api/v1/chat/rooms/${res.body.id}/messages`, { token: outsider.accessToken }), 404, 'NOT_FOUND');
      expectProblem(await t.http.get(`/api/v1/communities/${slug}/chat/rooms`, { token: outsider.accessToken }), 403, 'FORBIDDEN');
    });

    it('validates names, kinds and members', async () => {
      expectProblem(await createRoom(staff, { kind: 'public' }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(staff, { name: 'x'.repeat(81), kind: 'public' }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(staff, { name: 'tab\there', kind: 'public' }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(staff, { name: '   ', kind: 'public' }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(ann, { name: 'x', kind: 'secret' }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(ann, { name: 'x', kind: 'private', extra: 1 }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(ann, { name: 'x', kind: 'private', memberIds: ['not-a-uuid'] }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(ann, { name: 'x', kind: 'private', memberIds: [outsider.id] }), 422, 'NOT_COMMUNITY_MEMBERS');
      expectProblem(await createRoom(ann, { kind: 'direct', memberIds: [] }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(ann, { kind: 'direct', memberIds: [bob.id, cat.id] }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(ann, { kind: 'direct', memberIds: [ann.id] }), 400, 'VALIDATION_FAILED');
      expectProblem(await createRoom(outsider, { name: 'x', kind: 'private' }), 403, 'FORBIDDEN');
    });

    it('private rooms: only the invited read or join them', async () => {
      const room = (await createRoom(ann, { name: 'Plans', kind: 'private', memberIds: [bob.id] })).body;
      expect(room.members.map((m: any) => m.id).sort()).toEqual([ann.id, bob.id].sort());
      expectProblem(await t.http.get(`/api/v1/chat/rooms/${room.id}/messages`, { token: cat.accessToken }), 404, 'NOT_FOUND');
      const catList = await t.http.get(`/api/v1/communities/${slug}/chat/rooms`, { token: cat.accessToken });
      expect(catList.body.items.map((r: any) => r.id)).not.toContain(room.id);
      const catSocket = await connect(cat);
      expect(await ask(catSocket, 'room:join', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await ask(catSocket, 'message:send', { roomId: room.id, body: 'let me in', clientId: 'c1' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      // An invitation lets cat in; only the creator (or a moderator) invites.
      expectProblem(await t.http.post(`/api/v1/chat/rooms/${room.id}/members`, { userIds: [cat.id] }, { token: bob.accessToken }), 403, 'FORBIDDEN');
      const invited = await t.http.post(`/api/v1/chat/rooms/${room.id}/members`, { userIds: [cat.id] }, { token: ann.accessToken });
      expect(invited.status).toBe(200);
      expect(await ask(catSocket, 'room:join', { roomId: room.id })).toMatchObject({ ok: true, room: { id: room.id } });
    });

    it('direct rooms: opening one again returns the same room', async () => {
      const first = await createRoom(ann, { kind: 'direct', memberIds: [cat.id] });
      expect(first.status).toBe(201);
      const again = await createRoom(cat, { kind: 'direct', memberIds: [ann.id] });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expectProblem(await t.http.get(`/api/v1/chat/rooms/${first.body.id}`, { token: bob.accessToken }), 404, 'NOT_FOUND');
    });
  });

  describe('messages over socket.io', () => {
    let roomId: string;
    beforeAll(async () => {
      roomId = (await createRoom(ann, { name: 'Trio', kind: 'private', memberIds: [bob.id, cat.id] })).body.id;
    });

    it('stores, then broadcasts to the room; a resend with the same clientId stores nothing new', async () => {
      const a = await connect(ann);
      const b = await connect(bob);
      const bobInbox = new Inbox(b);
      expect(await ask(a, 'room:join', { roomId })).toMatchObject({ ok: true, online: [ann.id] });
      const joined = await ask(b, 'room:join', { roomId });
      expect(joined.online.sort()).toEqual([ann.id, bob.id].sort());
      const sent = await ask(a, 'message:send', { roomId, body: 'Hello **there** <script>x</script>', clientId: 'm-1' });
      expect(sent).toMatchObject({ ok: true, created: true, message: { roomId, body: 'Hello **there** <script>x</script>', clientId: 'm-1', author: { id: ann.id } } });
      expect(sent.message.html).toContain('<strong>there</strong>');
      expect(sent.message.html).not.toContain('<script');
      const received = await bobInbox.next('message:new', (p) => p.message.id === sent.message.id);
      expect(received.message.body).toBe(sent.message.body);
      const resend = await ask(a, 'message:send', { roomId, body: 'Hello **there** <script>x</script>', clientId: 'm-1' });
      expect(resend).toEqual({ ok: true, created: false, message: sent.message });
      await settle();
      expect(bobInbox.of('message:new').filter((p) => p.message.clientId === 'm-1')).toHaveLength(1);
      const history = await t.http.get(`/api/v1/chat/rooms/${roomId}/messages`, { token: cat.accessToken });
      expect(history.body.items.filter((m: any) => m.clientId === 'm-1')).toHaveLength(1);
    });

    it('answers bad payloads with an error ack, never a crash or a row', async () => {
      const a = await connect(ann);
      const bad: unknown[] = [
        undefined,
        'text',
        [roomId],
        { roomId, body: '', clientId: 'x' },
        { roomId, body: '   ', clientId: 'x' },
        { roomId, body: 'x'.repeat(2001), clientId: 'x' },
        { roomId, body: 42, clientId: 'x' },
        { roomId, body: 'hi' },
        { roomId: 'nope', body: 'hi', clientId: 'x' },
        { roomId, body: 'hi', clientId: 'x', extra: true },
        { roomId, body: 'hi', clientId: 'y'.repeat(65) },
      ];
      for (const payload of bad) {
        const ack = await ask(a, 'message:send', payload);
        expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      }
      expect(await ask(a, 'no:such:event', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
      const db = t.app.get(Db);
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM chat_messages WHERE client_id IN ('x', 'y')`);
      expect(row.n).toBe(0);
      expect(a.connected).toBe(true);
    });

    it('pages history newest first with a cursor', async () => {
      const a = await connect(ann);
      const room = (await createRoom(ann, { name: 'Pages', kind: 'private', memberIds: [bob.id] })).body.id;
      for (let i = 1; i <= 5; i++) expect((await ask(a, 'message:send', { roomId: room, body: `n${i}`, clientId: `p${i}` })).ok).toBe(true);
      const first = await t.http.get(`/api/v1/chat/rooms/${room}/messages?limit=2`, { token: bob.accessToken });
      expect(first.body.items.map((m: any) => m.body)).toEqual(['n5', 'n4']);
      const second = await t.http.get(`/api/v1/chat/rooms/${room}/messages?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { token: bob.accessToken });
      expect(second.body.items.map((m: any) => m.body)).toEqual(['n3', 'n2']);
      const third = await t.http.get(`/api/v1/chat/rooms/${room}/messages?limit=2&cursor=${encodeURIComponent(second.body.nextCursor)}`, { token: bob.accessToken });
      expect(third.body).toMatchObject({ items: [{ body: 'n1' }], nextCursor: null });
      expectProblem(await t.http.get(`/api/v1/chat/rooms/${room}/messages?cursor=forged`, { token: bob.accessToken }), 400, 'INVALID_CURSOR');
    });

    it('keeps read state: unread counts per room, moved by room:read', async () => {
      const a = await connect(ann);
      const b = await connect(bob);
      const room = (await createRoom(ann, { name: 'Unread', kind: 'private', memberIds: [bob.id] })).body.id;
      const ids: string[] = [];
      for (let i = 1; i <= 3; i++) ids.push((await ask(a, 'message:send', { roomId: room, body: `u${i}`, clientId: `u${i}` })).message.id);
      const unreadOf = async (who: TestUser) =>
        (await t.http.get(`/api/v1/communities/${slug}/chat/rooms?limit=100`, { token: who.accessToken })).body.items.find((r: any) => r.id === room).unreadCount;
      expect(await unreadOf(bob)).toBe(3);
      expect(await unreadOf(ann)).toBe(0); // your own messages are read
      expect(await ask(b, 'room:read', { roomId: room, messageId: ids[1] })).toEqual({ ok: true, unreadCount: 1 });
      expect(await unreadOf(bob)).toBe(1);
      // Read marks never move back.
      expect(await ask(b, 'room:read', { roomId: room, messageId: ids[0] })).toEqual({ ok: true, unreadCount: 1 });
      const http = await t.http.post(`/api/v1/chat/rooms/${room}/read`, { messageId: ids[2] }, { token: bob.accessToken });
      expect(http.body).toEqual({ unreadCount: 0 });
      expect(await ask(b, 'room:read', { roomId: room, messageId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    });

    it('edits and deletes: the author (and moderators), broadcast to the room', async () => {
      const a = await connect(ann);
      const b = await connect(bob);
      const inbox = new Inbox(b);
      await ask(b, 'room:join', { roomId });
      const sent = await ask(a, 'message:send', { roomId, body: 'typo', clientId: 'e-1' });
      expect(await ask(b, 'message:edit', { messageId: sent.message.id, body: 'hijack' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const edited = await ask(a, 'message:edit', { messageId: sent.message.id, body: 'fixed' });
      expect(edited).toMatchObject({ ok: true, message: { body: 'fixed', editedAt: expect.any(String) } });
      expect((await inbox.next('message:updated')).message.body).toBe('fixed');
      expect(await ask(a, 'message:delete', { messageId: sent.message.id })).toEqual({ ok: true });
      expect(await inbox.next('message:deleted')).toEqual({ roomId, messageId: sent.message.id });
      const history = await t.http.get(`/api/v1/chat/rooms/${roomId}/messages?limit=100`, { token: bob.accessToken });
      expect(history.body.items.map((m: any) => m.id)).not.toContain(sent.message.id);
    });

    it('sends typing to the others in the room, throttled, and stores nothing', async () => {
      const a = await connect(ann);
      const b = await connect(bob);
      const inbox = new Inbox(b);
      await ask(b, 'room:join', { roomId });
      await ask(a, 'room:join', { roomId });
      expect(await ask(a, 'typing', { roomId })).toEqual({ ok: true, forwarded: true });
      expect(await ask(a, 'typing', { roomId })).toEqual({ ok: true, forwarded: false });
      expect(await inbox.next('typing')).toEqual({ roomId, userId: ann.id });
    });

    it('announces presence when a member comes and goes', async () => {
      const b = await connect(bob);
      const inbox = new Inbox(b);
      await ask(b, 'room:join', { roomId });
      const c = await connect(cat);
      await ask(c, 'room:join', { roomId });
      expect(await inbox.next('presence', (p) => p.userId === cat.id && p.online)).toEqual({ roomId, userId: cat.id, online: true });
      c.close();
      expect(await inbox.next('presence', (p) => p.userId === cat.id && !p.online)).toEqual({ roomId, userId: cat.id, online: false });
    });
  });
});
