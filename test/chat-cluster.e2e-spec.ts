import { Socket } from 'socket.io-client';
import { startApp, TestApp, usingPostgres, usingRedis } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { ask, connectSocket, disconnected, Inbox } from './support/sockets';

/** Two server instances on one database, sharing rooms through Redis (the streams adapter). */
(usingPostgres && usingRedis ? describe : describe.skip)('chat across two instances (PostgreSQL and Redis)', () => {
  let one: TestApp;
  let two: TestApp;
  let admin: TestUser;
  let slug: string;
  let ann: TestUser;
  let bob: TestUser;
  const sockets: Socket[] = [];
  const connect = async (app: TestApp, who: TestUser | null) => {
    const s = await connectSocket(app.baseUrl, who?.accessToken ?? null);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    one = await startApp();
    two = await startApp({ databaseUrl: one.databaseUrl! });
    admin = await loginAdmin(one.http);
    ({ slug } = await createCommunity(one.http, admin.accessToken));
    await setSettings(one.http, admin.accessToken, slug, NO_LIMITS);
    ann = await createMember(one.http, admin.accessToken, slug);
    bob = await createMember(one.http, admin.accessToken, slug);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await two?.close();
    await one?.close();
  });

  it('delivers a message sent on one instance to a member connected to the other, with presence across both', async () => {
    const roomId = (await one.http.post(`/api/v1/communities/${slug}/chat/rooms`, { name: 'Across', kind: 'private', memberIds: [bob.id] }, { token: ann.accessToken })).body.id;
    const a = await connect(one, ann);
    const b = await connect(two, bob);
    const bobInbox = new Inbox(b);
    await ask(b, 'room:join', { roomId });
    const joined = await ask(a, 'room:join', { roomId });
    expect(joined.ok ? 'joined' : JSON.stringify(joined)).toBe('joined');
    expect(joined.online.sort()).toEqual([ann.id, bob.id].sort());
    expect(await bobInbox.next('presence', (p) => p.userId === ann.id)).toEqual({ roomId, userId: ann.id, online: true });
    const sent = await ask(a, 'message:send', { roomId, body: 'from instance one', clientId: 'x1' });
    expect((await bobInbox.next('message:new', (p) => p.message.id === sent.message.id)).message.body).toBe('from instance one');
    a.close();
    expect(await bobInbox.next('presence', (p) => p.userId === ann.id && !p.online)).toEqual({ roomId, userId: ann.id, online: false });
  });

  it('disconnects, on the other instance, the sockets of a session logged out on this one', async () => {
    const login = await one.http.post('/api/v1/auth/login', { email: ann.email, password: ann.password });
    const s = await connectSocket(two.baseUrl, login.body.accessToken);
    sockets.push(s);
    const gone = disconnected(s);
    await one.http.post('/api/v1/auth/logout', undefined, { token: login.body.accessToken });
    await expect(gone).resolves.toBe('io server disconnect');
  });

  it('sends live thread replies and support requests written on one instance to sockets on the other', async () => {
    const board = await createBoard(one.http, admin.accessToken, slug, { slug: 'live' });
    const thread = await createThread(one.http, ann.accessToken, board.id, { title: 'Across instances', body: 'First' });
    const guest = await connect(two, null);
    const guestInbox = new Inbox(guest);
    await ask(guest, 'thread:watch', { threadId: thread.id });
    const posted = await reply(one.http, bob.accessToken, thread.id, 'Seen everywhere');
    expect((await guestInbox.next('post:new', (p) => p.post.id === posted.id)).post.body).toBe('Seen everywhere');

    const staff = await createMember(one.http, admin.accessToken, slug, 'staff');
    const staffSocket = await connect(two, staff);
    const staffInbox = new Inbox(staffSocket);
    const room = (await one.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support' }, { token: ann.accessToken })).body;
    expect((await staffInbox.next('support:requested')).room.id).toBe(room.id);
  });
});
