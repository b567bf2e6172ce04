import { io, Socket } from 'socket.io-client';
import { startApp, TestApp } from './support/app';
import { Cast, createCast } from './support/content';
import { signInPage } from './support/page-client';
import { ask } from './support/sockets';

/** The web pages' session cookie signs a socket in (pages' chat and live bell), from the pages' own origin only. */
describe('sockets signed in by the page session cookie', () => {
  let t: TestApp;
  let cast: Cast;
  let roomId: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    const room = await t.http.post(`/api/v1/communities/${cast.slug}/chat/rooms`, { name: 'Cookie room', kind: 'private', memberIds: [] }, { token: cast.member.accessToken });
    expect(room.status).toBe(201);
    roomId = room.body.id;
  }, 120_000);
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.close();
  });

  async function connect(headers: Record<string, string>): Promise<Socket> {
    const socket = io(t.baseUrl, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  it('signs in a socket with the cookie from the same origin, and not from another site', async () => {
    const page = await signInPage(t.baseUrl, cast.member.email, cast.member.password);
    const cookie = page.cookieHeader();

    const same = await connect({ cookie, origin: t.baseUrl });
    expect(await ask(same, 'room:join', { roomId })).toMatchObject({ ok: true, room: { id: roomId } });

    const noOrigin = await connect({ cookie });
    expect(await ask(noOrigin, 'room:join', { roomId })).toMatchObject({ ok: true });

    const otherSite = await connect({ cookie, origin: 'https://evil.example' });
    expect(await ask(otherSite, 'room:join', { roomId })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });

  it('treats a logged-out session cookie as a guest', async () => {
    const page = await signInPage(t.baseUrl, cast.member.email, cast.member.password);
    const cookie = page.cookieHeader();
    const home = await page.get('/');
    expect((await page.post('/logout', { _csrf: page.csrfFrom(home.text) })).status).toBe(303);
    const stale = await connect({ cookie, origin: t.baseUrl });
    expect(await ask(stale, 'room:join', { roomId })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });
});
