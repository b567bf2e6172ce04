import { startApp, TestApp } from './support/app';
import { Cast, createCast, setSettings } from './support/content';
import { TestUser } from './support/factories';
import { PageClient, signInPage } from './support/page-client';

/** The chat pages over plain HTTP: the room list, opening rooms, a room's history and forms, who may see what. */
describe('web pages: chat (HTTP)', () => {
  let t: TestApp;
  let cast: Cast;
  const names: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    for (const u of [cast.member, cast.member2, cast.staff, cast.moderator, cast.outsider]) {
      names[u.id] = (await t.http.get('/api/v1/me', { token: u.accessToken })).body.user.username;
    }
  }, 180_000);
  afterAll(() => t?.close());

  const chat = () => `/c/${cast.slug}/chat`;
  const roomUrl = (id: string) => `${chat()}/${id}`;
  const signIn = (u: TestUser) => signInPage(t.baseUrl, u.email, u.password);
  const roomIdOf = (location: string | null) => /\/chat\/([0-9a-f-]{36})/.exec(location ?? '')![1];
  const count = (html: string, needle: string) => html.split(needle).length - 1;
  async function postForm(b: PageClient, pagePath: string, action: string, fields: Record<string, string>) {
    const page = await b.get(pagePath);
    return b.post(action, { _csrf: b.csrfFrom(page.text), ...fields });
  }
  const api = (path: string, body: unknown, u: TestUser) => t.http.post(`/api/v1${path}`, body, { token: u.accessToken });

  it('sends guests to log in, and asks a signed-in non-member to join (403), as the points page does', async () => {
    const guest = new PageClient(t.baseUrl);
    const list = await guest.get(chat());
    expect(list.status).toBe(303);
    expect(list.headers.get('location')).toBe(`/login?next=${encodeURIComponent(chat())}`);
    const room = await guest.get(roomUrl('00000000-0000-4000-8000-000000000000'));
    expect(room.status).toBe(303);

    const outsider = await signIn(cast.outsider);
    const page = await outsider.get(chat());
    expect(page.status).toBe(403);
    expect(page.text).toContain(`action="/c/${cast.slug}/join"`);
    expect(page.text).not.toContain('Chat with');
    // No Chat link in the community navigation for a non-member; a member has one.
    expect((await outsider.get(`/c/${cast.slug}`)).text).not.toContain(`href="${chat()}"`);
    expect((await (await signIn(cast.member)).get(`/c/${cast.slug}`)).text).toContain(`<a href="${chat()}">Chat</a>`);
    expect((await guest.get(`/c/${cast.slug}`)).text).not.toContain(`href="${chat()}"`);
  });

  it('opens a support chat once, shows its state to the member and Claim and Close to staff, and takes messages without JavaScript', async () => {
    const member = await signIn(cast.member);
    const list = await member.get(chat());
    expect(list.status).toBe(200);
    expect(list.text).toContain(`Chat with Community ${cast.slug} support`);
    const opened = await postForm(member, chat(), `${chat()}/support`, {});
    expect(opened.status).toBe(303);
    const roomId = roomIdOf(opened.headers.get('location'));
    // Asking again opens the same chat.
    const again = await postForm(member, chat(), `${chat()}/support`, {});
    expect(again.headers.get('location')).toBe(roomUrl(roomId));

    const mine = await member.get(roomUrl(roomId));
    expect(mine.status).toBe(200);
    expect(mine.text).toContain('<h1>Your support chat</h1>');
    expect(mine.text).toContain('data-support-status="open">Waiting for a staff member</strong>');
    expect(mine.text).not.toContain('/claim"');
    expect(mine.text).toContain(`action="${roomUrl(roomId)}/close"`);
    expect(mine.text).toContain(`data-chat-room-id="${roomId}"`);
    expect(mine.text).toMatch(/<script src="\/assets\/socket\.io\.min\.[0-9a-f]{12}\.js" defer><\/script>\s*<script src="\/assets\/chat\.[0-9a-f]{12}\.js" defer>/);

    // The member writes without JavaScript: POST, then 303 back at the message; sanitized as the API renders it.
    const sent = await postForm(member, roomUrl(roomId), `${roomUrl(roomId)}/messages`, { body: 'My **kettle** <script>alert(1)</script> leaks', clientId: 'web-form-1' });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toMatch(new RegExp(`^${roomUrl(roomId)}#message-[0-9a-f-]{36}$`));
    // The same form sent twice (same clientId) stores one message.
    const twice = await postForm(member, roomUrl(roomId), `${roomUrl(roomId)}/messages`, { body: 'My **kettle** <script>alert(1)</script> leaks', clientId: 'web-form-1' });
    expect(twice.headers.get('location')).toBe(sent.headers.get('location'));
    const withMessage = await member.get(roomUrl(roomId));
    expect(count(withMessage.text, '<strong>kettle</strong>')).toBe(1);
    expect(withMessage.text).not.toContain('<script>alert');

    // Staff: the chat is waiting; they may not answer before claiming it.
    const staff = await signIn(cast.staff);
    const waiting = await staff.get(roomUrl(roomId));
    expect(waiting.status).toBe(200);
    expect(waiting.text).toContain(`action="${roomUrl(roomId)}/claim"`);
    expect(waiting.text).toContain(`action="${roomUrl(roomId)}/close"`);
    expect(waiting.text).toContain('Claim this support chat before answering it');
    expect(waiting.text).not.toContain('id="send-form"');
    const claimed = await postForm(staff, roomUrl(roomId), `${roomUrl(roomId)}/claim`, {});
    expect(claimed.status).toBe(303);
    const answering = await staff.get(roomUrl(roomId));
    expect(answering.text).toContain('>With you</strong>');
    expect(answering.text).toContain('id="send-form"');
    expect(answering.text).not.toContain('/claim"');
    // A second claim (another staff member) is refused on the page with the API's message.
    const moderator = await signIn(cast.moderator);
    const late = await postForm(moderator, roomUrl(roomId), `${roomUrl(roomId)}/claim`, {});
    expect(late.status).toBe(409);
    expect(late.text).toContain('Another staff member already answers this support chat');
    expect((await moderator.get(roomUrl(roomId))).text).toContain('Another staff member answers this support chat');

    // Staff answer: the member's list shows one unread message until the room is opened.
    expect((await postForm(staff, roomUrl(roomId), `${roomUrl(roomId)}/messages`, { body: 'Which model is it?', clientId: 'web-staff-1' })).status).toBe(303);
    const unread = await member.get(chat());
    expect(unread.text).toContain('1 unread message');
    expect(unread.text).toMatch(new RegExp(`href="${roomUrl(roomId)}">Your support chat <span class="badge badge-role" data-unread="1">1<span class="visually-hidden"> unread</span>`));
    expect(unread.text).toContain(`data-support-status="claimed">With ${cast.staff.displayName}</span>`);
    const read = await member.get(roomUrl(roomId));
    expect(read.text).toContain(`data-support-status="claimed">With ${cast.staff.displayName}</strong>`);
    expect(read.text).toContain('<p>Which model is it?</p>');
    // In a support chat the staff's messages carry a Staff badge; the customer's do not.
    expect(count(read.text, '<span class="badge badge-role">Staff</span>')).toBe(1);
    expect((await member.get(chat())).text).toContain('No unread messages.');

    // Closed: readable, no more messages, on both sides.
    expect((await postForm(staff, roomUrl(roomId), `${roomUrl(roomId)}/close`, {})).status).toBe(303);
    const closed = await member.get(roomUrl(roomId));
    expect(closed.text).toContain('data-support-status="closed">Closed</strong>');
    expect(closed.text).toContain('This support chat is closed');
    expect(closed.text).not.toContain('id="send-form"');
    const refused = await member.post(`${roomUrl(roomId)}/messages`, { _csrf: member.csrfFrom(closed.text), body: 'Hello?', clientId: 'web-form-2' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('This support chat is closed');
    // A new request is a new chat.
    const next = await postForm(member, chat(), `${chat()}/support`, {});
    expect(roomIdOf(next.headers.get('location'))).not.toBe(roomId);
  });

  it('keeps a room to those who may read it: 404 for another community, a private room one is not in, and a wrong community slug', async () => {
    const room = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'private', name: 'Secret plans', memberIds: [cast.member2.id] }, cast.member);
    expect(room.status).toBe(201);
    for (const u of [cast.outsider, cast.moderator, cast.staff]) {
      const page = await (await signIn(u)).get(roomUrl(room.body.id));
      expect(page.status).toBe(404);
      expect(page.text).toContain('Room not found');
      expect(page.text).not.toContain('Secret plans');
    }
    const member2 = await signIn(cast.member2);
    expect((await member2.get(roomUrl(room.body.id))).status).toBe(200);
    // The outsider's own community's slug with this room: still 404; so is a forged post to it.
    const outsider = await signIn(cast.outsider);
    const otherSlug = (await t.http.get('/api/v1/me', { token: cast.outsider.accessToken })).body.memberships[0].community.slug;
    expect((await outsider.get(`/c/${otherSlug}/chat/${room.body.id}`)).status).toBe(404);
    const home = await outsider.get(`/c/${otherSlug}/chat`);
    expect(home.status).toBe(200);
    const forged = await outsider.post(`/c/${otherSlug}/chat/${room.body.id}/messages`, { _csrf: outsider.csrfFrom(home.text), body: 'hi', clientId: 'x-1' });
    expect(forged.status).toBe(404);
    expect((await member2.get(`/c/${otherSlug}/chat/${room.body.id}`)).status).toBe(404);
    expect((await member2.get(`${chat()}/not-a-room`)).status).toBe(404);
  });

  it('opens a direct message by username, the same room again, and says plainly when the name is wrong', async () => {
    const member = await signIn(cast.member);
    const first = await postForm(member, chat(), `${chat()}/direct`, { username: `@${names[cast.member2.id]}` });
    expect(first.status).toBe(303);
    const again = await postForm(member, chat(), `${chat()}/direct`, { username: names[cast.member2.id].toUpperCase() });
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    const roomId = roomIdOf(first.headers.get('location'));
    // Named by the other member on each side.
    expect((await member.get(roomUrl(roomId))).text).toContain(`<h1>${cast.member2.displayName}</h1>`);
    const theirs = await (await signIn(cast.member2)).get(chat());
    expect(theirs.text).toContain(`href="${roomUrl(roomId)}">${cast.member.displayName}</a>`);

    const unknown = await postForm(member, chat(), `${chat()}/direct`, { username: 'nobody_here_42' });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('No member of this community is called @nobody_here_42');
    expect(unknown.text).toContain('id="direct-username" name="username" type="text" value="nobody_here_42"');
    expect(unknown.text).toContain('aria-invalid="true"');
    const outsider = await postForm(member, chat(), `${chat()}/direct`, { username: names[cast.outsider.id] });
    expect(outsider.status).toBe(422);
    const self = await postForm(member, chat(), `${chat()}/direct`, { username: names[cast.member.id] });
    expect(self.status).toBe(422);
    expect(self.text).toContain('That is you');
    const blank = await postForm(member, chat(), `${chat()}/direct`, { username: '' });
    expect(blank.status).toBe(400);
  });

  it('creates a private room with invited members by username, with errors next to the fields', async () => {
    const member = await signIn(cast.member);
    const bad = await postForm(member, chat(), `${chat()}/rooms`, { name: '', members: `@${names[cast.member2.id]}, ghost_name_1` });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('id="room-name-error" class="field-error">Give the room a name</p>');
    expect(bad.text).toContain('id="room-members-error" class="field-error">No member of this community is called @ghost_name_1</p>');
    expect(bad.text).toContain(`value="@${names[cast.member2.id]}, ghost_name_1"`);
    const tooLong = await postForm(member, chat(), `${chat()}/rooms`, { name: 'x'.repeat(81), members: '' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain('id="room-name-error"');

    const made = await postForm(member, chat(), `${chat()}/rooms`, { name: 'Descaling club', members: `@${names[cast.member2.id]} ${names[cast.staff.id]}` });
    expect(made.status).toBe(303);
    const roomId = roomIdOf(made.headers.get('location'));
    const page = await member.get(roomUrl(roomId));
    expect(page.text).toContain('<h1>Descaling club</h1>');
    for (const u of [cast.member, cast.member2, cast.staff]) expect(page.text).toContain(`<li data-user-id="${u.id}">`);
    const list = await (await signIn(cast.member2)).get(chat());
    expect(list.text).toContain(`href="${roomUrl(roomId)}">Descaling club</a>`);
    expect(list.text).toContain('3 members');
  });

  it('lists public rooms with a Join button, joins one, and pages a long history by the API cursor', async () => {
    const lobby = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'public', name: 'Lobby' }, cast.staff);
    expect(lobby.status).toBe(201);
    const id = lobby.body.id;
    for (let i = 1; i <= 55; i++) expect((await api(`/chat/rooms/${id}/messages`, { body: `Message number ${i}`, clientId: `m-${i}` }, cast.staff)).status).toBe(201);

    const member2 = await signIn(cast.member2);
    const before = await member2.get(chat());
    expect(before.text).toContain('<h3 id="other-public-heading">More public rooms</h3>');
    expect(before.text).toContain(`action="${roomUrl(id)}/join"`);
    expect(before.text).toContain('aria-label="Join Lobby"');
    expect((await postForm(member2, chat(), `${roomUrl(id)}/join`, {})).headers.get('location')).toBe(roomUrl(id));
    const after = await member2.get(chat());
    expect(after.text).not.toContain(`action="${roomUrl(id)}/join"`);
    expect(after.text).toContain(`href="${roomUrl(id)}">Lobby</a>`);
    // Joined: a new message counts as unread.
    expect((await api(`/chat/rooms/${id}/messages`, { body: 'Message number 56', clientId: 'm-56' }, cast.staff)).status).toBe(201);
    expect((await member2.get(chat())).text).toContain(`href="${roomUrl(id)}">Lobby <span class="badge badge-role" data-unread="1">`);

    const newest = await member2.get(roomUrl(id));
    expect(count(newest.text, '<li id="message-')).toBe(50);
    // Oldest first on the page: 7 .. 56.
    expect(newest.text.indexOf('Message number 7<')).toBeLessThan(newest.text.indexOf('Message number 56<'));
    expect(newest.text).not.toContain('Message number 6<');
    const older = /href="([^"]+)" rel="prev">Older messages/.exec(newest.text)![1].replaceAll('&amp;', '&');
    const page2 = await member2.get(older);
    expect(page2.status).toBe(200);
    expect(count(page2.text, '<li id="message-')).toBe(6);
    expect(page2.text).toContain('Message number 1<');
    expect(page2.text).toContain(`href="${roomUrl(id)}">Newest messages</a>`);
    expect(page2.text).not.toContain('id="send-form"');
    expect(page2.text).not.toContain('data-chat-room-id');
    expect((await member2.get(`${roomUrl(id)}?before=forged.cursor`)).status).toBe(400);
  });

  it('refuses a blank message next to the field, a form without its CSRF token, and a guest post', async () => {
    const room = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'private', name: 'Form checks', memberIds: [] }, cast.member);
    const member = await signIn(cast.member);
    const blank = await postForm(member, roomUrl(room.body.id), `${roomUrl(room.body.id)}/messages`, { body: '   ', clientId: 'web-blank' });
    expect(blank.status).toBe(400);
    expect(blank.text).toContain('aria-invalid="true"');
    expect(blank.text).toContain('id="message-body-error" class="field-error">body must not be blank</p>');
    const long = await postForm(member, roomUrl(room.body.id), `${roomUrl(room.body.id)}/messages`, { body: 'y'.repeat(2001), clientId: 'web-long' });
    expect(long.status).toBe(400);
    expect(long.text).toContain('id="message-body-error"');
    const noCsrf = await member.post(`${roomUrl(room.body.id)}/messages`, { body: 'hi', clientId: 'web-x' });
    expect(noCsrf.status).toBe(403);
    const guest = new PageClient(t.baseUrl);
    expect((await guest.post(`${chat()}/support`, {})).status).toBe(403);
    expect((await t.http.get(`/api/v1/chat/rooms/${room.body.id}/messages`, { token: cast.member.accessToken })).body.items).toEqual([]);
  });

  it('shows a rate-limited send on the page with the text kept and Retry-After', async () => {
    await setSettings(t.http, cast.admin.accessToken, cast.slug, { chatMessagesPer30Seconds: 1, newMemberChatMessagesPer30Seconds: 1 });
    try {
      const room = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'private', name: 'Fast talk', memberIds: [] }, cast.member2);
      const b = await signIn(cast.member2);
      expect((await postForm(b, roomUrl(room.body.id), `${roomUrl(room.body.id)}/messages`, { body: 'First', clientId: 'web-fast-1' })).status).toBe(303);
      const second = await postForm(b, roomUrl(room.body.id), `${roomUrl(room.body.id)}/messages`, { body: 'Second, too soon', clientId: 'web-fast-2' });
      expect(second.status).toBe(429);
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(second.text).toContain('You are sending messages too fast');
      expect(second.text).toContain('>Second, too soon</textarea>');
    } finally {
      await setSettings(t.http, cast.admin.accessToken, cast.slug, { chatMessagesPer30Seconds: 40, newMemberChatMessagesPer30Seconds: 20 });
    }
  });
});
