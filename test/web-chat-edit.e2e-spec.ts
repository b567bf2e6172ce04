import { startApp, TestApp } from './support/app';
import { Cast, createCast } from './support/content';
import { TestUser } from './support/factories';
import { PageClient, signInPage } from './support/page-client';
import { ask, connectSocket, Inbox } from './support/sockets';

/**
 * Editing and deleting chat messages on the room page without JavaScript: Edit opens an edit page
 * that posts the new body, Delete posts at once; both go through MessagesService, which decides who
 * may (the author; a moderator of the room), and come back to the room (303). Refusals are pages.
 */
describe('web pages: chat message edit and delete (HTTP)', () => {
  let t: TestApp;
  let cast: Cast;
  let lobby: string;

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    const room = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'public', name: 'Lobby' }, cast.staff);
    expect(room.status).toBe(201);
    lobby = room.body.id;
  }, 180_000);
  afterAll(() => t?.close());

  const roomUrl = (id: string) => `/c/${cast.slug}/chat/${id}`;
  const signIn = (u: TestUser) => signInPage(t.baseUrl, u.email, u.password);
  const api = (path: string, body: unknown, u: TestUser) => t.http.post(`/api/v1${path}`, body, { token: u.accessToken });
  let n = 0;
  async function say(u: TestUser, body: string, roomId = lobby): Promise<string> {
    const res = await api(`/chat/rooms/${roomId}/messages`, { body, clientId: `edit-spec-${++n}` }, u);
    expect(res.status).toBe(201);
    return res.body.id;
  }
  async function stored(messageId: string, roomId = lobby, u: TestUser = cast.staff): Promise<{ body: string; editedAt: string | null } | undefined> {
    const res = await t.http.get(`/api/v1/chat/rooms/${roomId}/messages`, { token: u.accessToken });
    expect(res.status).toBe(200);
    return res.body.items.find((m: { id: string }) => m.id === messageId);
  }
  async function postForm(b: PageClient, pagePath: string, action: string, fields: Record<string, string>) {
    const page = await b.get(pagePath);
    return b.post(action, { _csrf: b.csrfFrom(page.text), ...fields });
  }
  const editUrl = (id: string, roomId = lobby) => `${roomUrl(roomId)}/messages/${id}/edit`;
  const deleteUrl = (id: string, roomId = lobby) => `${roomUrl(roomId)}/messages/${id}/delete`;

  it('lets the author edit their message on an edit page and delete it, each back to the room, live for the room', async () => {
    const id = await say(cast.member, 'My kettle is **new**');
    const watcher = await connectSocket(t.baseUrl, cast.member2.accessToken);
    try {
      const inbox = new Inbox(watcher);
      expect((await ask(watcher, 'room:join', { roomId: lobby })).ok).toBe(true);
      const member = await signIn(cast.member);
      const page = await member.get(roomUrl(lobby));
      expect(page.status).toBe(200);
      expect(page.text).toContain(`<a href="${editUrl(id)}" data-message-edit>Edit<span class="visually-hidden"> your message of`);
      expect(page.text).toContain(`action="${deleteUrl(id)}"`);
      expect(page.text).toContain('data-chat-moderator="no"');

      const form = await member.get(editUrl(id));
      expect(form.status).toBe(200);
      expect(form.text).toContain('<h1>Edit message</h1>');
      expect(form.text).toContain('>My kettle is **new**</textarea>');
      expect(form.text).toContain(`action="${editUrl(id)}"`);
      expect(form.text).toContain(`<a href="${roomUrl(lobby)}#message-${id}">Cancel</a>`);

      const saved = await member.post(editUrl(id), { _csrf: member.csrfFrom(form.text), body: 'My kettle is _descaled_' });
      expect(saved.status).toBe(303);
      expect(saved.headers.get('location')).toBe(`${roomUrl(lobby)}#message-${id}`);
      const after = await member.get(roomUrl(lobby));
      expect(after.text).toContain('<em>descaled</em>');
      expect(after.text).not.toContain('<strong>new</strong>');
      expect(after.text).toMatch(new RegExp(`id="message-${id}"[^]*?<span class="edited">edited</span>`));
      expect((await stored(id))?.body).toBe('My kettle is _descaled_');
      expect((await inbox.next('message:updated', (p) => p.message.id === id)).message.body).toBe('My kettle is _descaled_');

      const gone = await postForm(member, roomUrl(lobby), deleteUrl(id), {});
      expect(gone.status).toBe(303);
      expect(gone.headers.get('location')).toBe(`${roomUrl(lobby)}#message-log`);
      expect(await stored(id)).toBeUndefined();
      expect((await member.get(roomUrl(lobby))).text).not.toContain(`id="message-${id}"`);
      await inbox.next('message:deleted', (p) => p.messageId === id);
    } finally {
      watcher.close();
    }
  });

  it('gives another member no buttons, and refuses their edit and delete (403 page) with nothing changed', async () => {
    const id = await say(cast.member, 'Only mine to change');
    const member2 = await signIn(cast.member2);
    const page = await member2.get(roomUrl(lobby));
    expect(page.text).toContain(`id="message-${id}"`);
    expect(page.text).not.toContain(editUrl(id));
    expect(page.text).not.toContain(deleteUrl(id));

    const form = await member2.get(editUrl(id));
    expect(form.status).toBe(403);
    expect(form.text).toContain('Only the author or a moderator can change this message');
    expect(form.text).not.toContain('Only mine to change</textarea>');
    const edit = await postForm(member2, roomUrl(lobby), editUrl(id), { body: 'Hijacked' });
    expect(edit.status).toBe(403);
    expect(edit.text).toContain('Only the author or a moderator can change this message');
    const del = await postForm(member2, roomUrl(lobby), deleteUrl(id), {});
    expect(del.status).toBe(403);
    expect(del.text).toContain('id="chat-notice" class="form-error" role="alert">Only the author or a moderator can change this message</p>');
    expect(await stored(id)).toMatchObject({ body: 'Only mine to change', editedAt: null });

    // A room they may not read, and a message of another room under this one: the 404 page.
    const secret = await api(`/communities/${cast.slug}/chat/rooms`, { kind: 'private', name: 'Secret', memberIds: [] }, cast.member);
    const hidden = await say(cast.member, 'Private words', secret.body.id);
    expect((await postForm(member2, roomUrl(lobby), editUrl(hidden, secret.body.id), { body: 'x' })).status).toBe(404);
    expect((await postForm(member2, roomUrl(lobby), deleteUrl(hidden, secret.body.id), {})).status).toBe(404);
    const member = await signIn(cast.member);
    expect((await postForm(member, roomUrl(lobby), deleteUrl(hidden, lobby), {})).status).toBe(404);
    expect((await member.get(editUrl(hidden, lobby))).status).toBe(404);
    expect((await member.get(editUrl('not-a-message'))).status).toBe(404);
    const outsider = await signIn(cast.outsider);
    expect((await outsider.get(editUrl(id))).status).toBe(404);
    expect(await stored(hidden, secret.body.id, cast.member)).toMatchObject({ body: 'Private words' });
  });

  it("lets a moderator delete a member's message, as the chat rules allow (Delete only: Edit stays the author's button)", async () => {
    const id = await say(cast.member, 'Buy cheap watches here');
    const moderator = await signIn(cast.moderator);
    const page = await moderator.get(roomUrl(lobby));
    expect(page.text).toContain('data-chat-moderator="yes"');
    expect(page.text).toContain(`action="${deleteUrl(id)}"`);
    expect(page.text).toContain(`Delete<span class="visually-hidden"> the message from ${cast.member.displayName} of`);
    expect(page.text).not.toContain(`href="${editUrl(id)}"`);
    const gone = await postForm(moderator, roomUrl(lobby), deleteUrl(id), {});
    expect(gone.status).toBe(303);
    expect(await stored(id)).toBeUndefined();
  });

  it('shows a blank or too long body next to the field, keeps the text, and refuses a form without its CSRF token', async () => {
    const id = await say(cast.member, 'Keep me as I am');
    const member = await signIn(cast.member);
    const blank = await postForm(member, editUrl(id), editUrl(id), { body: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.text).toContain('aria-invalid="true"');
    expect(blank.text).toContain('id="edit-body-error" class="field-error">body must not be blank</p>');
    const long = await postForm(member, editUrl(id), editUrl(id), { body: 'y'.repeat(2001) });
    expect(long.status).toBe(400);
    expect(long.text).toContain('id="edit-body-error" class="field-error">body must be shorter than or equal to 2000 characters</p>');
    expect(long.text).toContain(`>${'y'.repeat(2001)}</textarea>`);

    const noCsrf = await member.post(editUrl(id), { body: 'No token' });
    expect(noCsrf.status).toBe(403);
    const noCsrfDelete = await member.post(deleteUrl(id), {});
    expect(noCsrfDelete.status).toBe(403);
    const guest = new PageClient(t.baseUrl);
    expect((await guest.post(deleteUrl(id), {})).status).toBe(403);
    expect(await stored(id)).toMatchObject({ body: 'Keep me as I am', editedAt: null });
  });
});
