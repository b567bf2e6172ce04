import { startApp, TestApp } from './support/app';
import { Cast, createCast } from './support/content';
import { createCommunity, createMember, TestUser } from './support/factories';
import { PageClient, signInPage } from './support/page-client';

/**
 * The chat pages' second round over plain HTTP: the count on the navigation's Chat link (rooms with
 * unread messages in this community, server-rendered) and joining an empty public room at once.
 */
describe('web pages: chat link count and joining public rooms (HTTP)', () => {
  let t: TestApp;
  let cast: Cast;

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
  }, 180_000);
  afterAll(() => t?.close());

  const home = (slug = cast.slug) => `/c/${slug}`;
  const chat = (slug = cast.slug) => `/c/${slug}/chat`;
  const roomUrl = (id: string, slug = cast.slug) => `${chat(slug)}/${id}`;
  const signIn = (u: TestUser) => signInPage(t.baseUrl, u.email, u.password);
  const api = (path: string, body: unknown, u: TestUser) => t.http.post(`/api/v1${path}`, body, { token: u.accessToken });
  const send = async (roomId: string, u: TestUser, body: string) => {
    const res = await api(`/chat/rooms/${roomId}/messages`, { body, clientId: `c-${Math.random()}` }, u);
    expect(res.status).toBe(201);
    return res.body;
  };
  /** The Chat link as the navigation renders it. */
  const chatLink = (html: string, slug = cast.slug) => {
    const start = html.indexOf(`<a href="${chat(slug)}">Chat`);
    return start < 0 ? null : html.slice(start, html.indexOf('</a>', html.indexOf('Chat', start) + 4) + 4);
  };
  const withCount = (n: number, slug = cast.slug) =>
    `<a href="${chat(slug)}">Chat <span class="badge badge-role" data-chat-unread="${n}">${n}<span class="visually-hidden"> ${n === 1 ? 'room' : 'rooms'} with unread messages</span></span></a>`;
  async function postForm(b: PageClient, pagePath: string, action: string, fields: Record<string, string> = {}) {
    const page = await b.get(pagePath);
    return b.post(action, { _csrf: b.csrfFrom(page.text), ...fields });
  }

  it("shows on the Chat link how many of the member's rooms in this community have unread messages", async () => {
    const ana = await createMember(t.http, cast.admin.accessToken, cast.slug);
    const bo = await createMember(t.http, cast.admin.accessToken, cast.slug);
    const page = await signIn(ana);
    // Nothing unread: the plain link, as before.
    expect(chatLink((await page.get(home())).text)).toBe(`<a href="${chat()}">Chat</a>`);

    const direct = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'direct', memberIds: [ana.id] }, bo);
    await send(direct.body.id, bo, 'Hello Ana');
    await send(direct.body.id, bo, 'Are you there?');
    // Two messages in one room: one room.
    expect(chatLink((await page.get(home())).text)).toBe(withCount(1));

    const club = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'private', name: 'Kettle club', memberIds: [ana.id] }, bo);
    await send(club.body.id, bo, 'Welcome to the club');
    // Her own messages are not unread to her.
    const own = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'private', name: 'Notes to self', memberIds: [] }, ana);
    await send(own.body.id, ana, 'Buy descaler');
    // A public room she has not joined does not count.
    const lobby = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'public', name: 'Count lobby' }, cast.staff);
    await send(lobby.body.id, cast.staff, 'Welcome all');
    expect(chatLink((await page.get(home())).text)).toBe(withCount(2));
    // On every page of the community, the chat page too.
    expect(chatLink((await page.get(chat())).text)).toBe(withCount(2));
    expect(chatLink((await page.get(`/c/${cast.slug}/points`)).text)).toBe(withCount(2));

    // Another community's rooms count there, not here.
    const other = await createCommunity(t.http, cast.admin.accessToken);
    const cy = await createMember(t.http, cast.admin.accessToken, other.slug);
    expect((await api(`/communities/${other.slug}/join`, {}, ana)).status).toBeLessThan(300);
    const elsewhere = await api(`/communities/${other.slug}/chat/rooms`, { kind: 'direct', memberIds: [ana.id] }, cy);
    await send(elsewhere.body.id, cy, 'Hi from the other community');
    expect(chatLink((await page.get(home())).text)).toBe(withCount(2));
    expect(chatLink((await page.get(home(other.slug))).text, other.slug)).toBe(withCount(1, other.slug));

    // Reading a room: its own page already counts it read.
    expect(chatLink((await page.get(roomUrl(direct.body.id))).text)).toBe(withCount(1));
    expect(chatLink((await page.get(home())).text)).toBe(withCount(1));
    expect(chatLink((await page.get(roomUrl(club.body.id))).text)).toBe(`<a href="${chat()}">Chat</a>`);
    expect(chatLink((await page.get(home())).text)).toBe(`<a href="${chat()}">Chat</a>`);

    // Guests have no Chat link (nor count); a signed-in non-member neither.
    const guest = new PageClient(t.baseUrl);
    expect((await guest.get(home())).text).not.toContain('data-chat-unread');
    expect(chatLink((await guest.get(home())).text)).toBeNull();
    expect(chatLink((await (await signIn(cast.outsider)).get(home())).text)).toBeNull();
  });

  it('joins an empty public room at once: it is listed as the member\'s, and counts unread from then on', async () => {
    const empty = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'public', name: 'Quiet corner' }, cast.staff);
    expect(empty.status).toBe(201);
    const id = empty.body.id;
    const dee = await createMember(t.http, cast.admin.accessToken, cast.slug);
    const page = await signIn(dee);
    const before = await page.get(chat());
    expect(before.text).toContain(`action="${roomUrl(id)}/join"`);
    const room = await page.get(roomUrl(id));
    expect(room.text).toContain('data-chat-in-room="no"');

    const joined = await postForm(page, chat(), `${roomUrl(id)}/join`);
    expect(joined.status).toBe(303);
    expect(joined.headers.get('location')).toBe(roomUrl(id));
    // At once, with no message read or sent: hers, above "More public rooms", without a Join button.
    const after = await page.get(chat());
    expect(after.text).not.toContain(`action="${roomUrl(id)}/join"`);
    const listed = after.text.indexOf(`href="${roomUrl(id)}">Quiet corner</a>`);
    expect(listed).toBeGreaterThan(after.text.indexOf('<h2 id="public-heading">'));
    const more = after.text.indexOf('<h3 id="other-public-heading">');
    if (more >= 0) expect(listed).toBeLessThan(more);
    expect((await page.get(roomUrl(id))).text).toContain('data-chat-in-room="yes"');
    // The API's room list agrees: she has read state there.
    const rooms = (await t.http.get(`/api/v1/communities/${cast.slug}/chat/rooms?limit=100`, { token: dee.accessToken })).body.items;
    expect(rooms.find((r: { id: string }) => r.id === id)).toBeTruthy();

    // The first message in the room is unread to her, on the room list and on the Chat link.
    await send(id, cast.staff, 'First words in the corner');
    const unread = await page.get(chat());
    expect(unread.text).toContain(`href="${roomUrl(id)}">Quiet corner <span class="badge badge-role" data-unread="1">`);
    expect(chatLink(unread.text)).toBe(withCount(1));
    // Joining again (a stale form) changes nothing: the message is still unread.
    expect((await postForm(page, chat(), `${roomUrl(id)}/join`)).status).toBe(303);
    expect((await page.get(chat())).text).toContain(`href="${roomUrl(id)}">Quiet corner <span class="badge badge-role" data-unread="1">`);
  });

  it('refuses to "join" a room that is not public, on the room page (409), and another community\'s room (404)', async () => {
    const room = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'private', name: 'Invite only', memberIds: [] }, cast.member);
    const page = await signIn(cast.member);
    const refused = await postForm(page, roomUrl(room.body.id), `${roomUrl(room.body.id)}/join`);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('Only public rooms can be joined');

    const other = await createCommunity(t.http, cast.admin.accessToken);
    const lobby = await api(`/communities/${other.slug}/chat/rooms`, { kind: 'public', name: 'Elsewhere' }, cast.admin);
    expect(lobby.status).toBe(201);
    expect((await postForm(page, chat(), `${roomUrl(lobby.body.id)}/join`)).status).toBe(404);
  });
});
