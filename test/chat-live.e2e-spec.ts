import { Socket } from 'socket.io-client';
import { Db } from '../src/core/database/db.service';
import { EventsService } from '../src/core/events/events.service';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { ask, connectError, connectSocket, disconnected, Inbox, settle } from './support/sockets';

describe('chat: live threads, limits and the end of rights', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let communityId: string;
  let member: TestUser;
  let writer: TestUser;
  let moderator: TestUser;
  let publicBoard: { id: string };
  let membersBoard: { id: string };
  let staffBoard: { id: string };
  const sockets: Socket[] = [];
  const connect = async (who: TestUser | null) => {
    const s = await connectSocket(t.baseUrl, who?.accessToken ?? null);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug, id: communityId } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    member = await createMember(t.http, admin.accessToken, slug);
    writer = await createMember(t.http, admin.accessToken, slug);
    moderator = await createMember(t.http, admin.accessToken, slug, 'moderator');
    publicBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'open' });
    membersBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'inner', visibility: 'members' });
    staffBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'back', visibility: 'staff' });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.close();
  });

  describe('thread:watch', () => {
    it('sends committed replies, edits and deletions to watchers, guests included on public boards', async () => {
      const thread = await createThread(t.http, writer.accessToken, publicBoard.id, { title: 'Live thread', body: 'First' });
      const guest = await connect(null);
      const guestInbox = new Inbox(guest);
      expect(await ask(guest, 'thread:watch', { threadId: thread.id })).toEqual({ ok: true, threadId: thread.id });
      const m = await connect(member);
      const memberInbox = new Inbox(m);
      expect((await ask(m, 'thread:watch', { threadId: thread.id })).ok).toBe(true);

      const posted = await reply(t.http, writer.accessToken, thread.id, 'A **live** reply');
      for (const inbox of [guestInbox, memberInbox]) {
        const got = await inbox.next('post:new', (p) => p.post.id === posted.id);
        expect(got).toMatchObject({ threadId: thread.id, post: { id: posted.id, body: 'A **live** reply', author: { id: writer.id } } });
        expect(got.post.myReactions).toEqual([]);
      }
      await t.http.patch(`/api/v1/posts/${posted.id}`, { body: 'An edited reply' }, { token: writer.accessToken });
      expect((await guestInbox.next('post:updated')).post.body).toBe('An edited reply');
      await t.http.delete(`/api/v1/posts/${posted.id}`, { token: writer.accessToken });
      expect(await guestInbox.next('post:deleted')).toEqual({ threadId: thread.id, postId: posted.id, threadDeleted: false, replyCount: 0 });

      // After unwatching, nothing more.
      expect(await ask(m, 'thread:unwatch', { threadId: thread.id })).toEqual({ ok: true });
      const later = await reply(t.http, writer.accessToken, thread.id, 'Later');
      await guestInbox.next('post:new', (p) => p.post.id === later.id);
      await settle();
      expect(memberInbox.of('post:new').map((p) => p.post.id)).not.toContain(later.id);
    });

    it('sends accepted and official answers as updates, and the server\'s reply count with new and removed replies', async () => {
      const qa = await createBoard(t.http, admin.accessToken, slug, { slug: 'live-qa', kind: 'qa' });
      const question = await createThread(t.http, writer.accessToken, qa.id, { title: 'Which filter fits?', body: 'The X100 one?' });
      const first = await reply(t.http, member.accessToken, question.id, 'The blue one');
      const second = await reply(t.http, moderator.accessToken, question.id, 'The grey one');
      const guest = await connect(null);
      const inbox = new Inbox(guest);
      expect((await ask(guest, 'thread:watch', { threadId: question.id })).ok).toBe(true);

      // The asker accepts one answer, then another: the new one and the one it replaced are updated.
      expect((await t.http.post(`/api/v1/threads/${question.id}/accept`, { postId: first.id }, { token: writer.accessToken })).status).toBeLessThan(300);
      expect((await inbox.next('post:updated', (p) => p.post.id === first.id)).post).toMatchObject({ isAccepted: true });
      expect((await t.http.post(`/api/v1/threads/${question.id}/accept`, { postId: second.id }, { token: writer.accessToken })).status).toBeLessThan(300);
      expect((await inbox.next('post:updated', (p) => p.post.id === second.id && p.post.isAccepted)).post).toMatchObject({ isAccepted: true });
      expect((await inbox.next('post:updated', (p) => p.post.id === first.id && !p.post.isAccepted)).threadId).toBe(question.id);
      // Staff mark an official answer.
      expect((await t.http.post(`/api/v1/posts/${first.id}/official`, {}, { token: moderator.accessToken })).status).toBeLessThan(300);
      expect((await inbox.next('post:updated', (p) => p.post.id === first.id && p.post.isOfficial)).post).toMatchObject({ isOfficial: true });

      // A hidden reply leaves the page but still counts on the server (2 replies), as it does when it comes back.
      expect((await t.http.put(`/api/v1/posts/${second.id}/hidden`, {}, { token: moderator.accessToken })).status).toBe(200);
      expect(await inbox.next('post:deleted', (p) => p.postId === second.id)).toEqual({ threadId: question.id, postId: second.id, threadDeleted: false, replyCount: 2 });
      expect((await t.http.delete(`/api/v1/posts/${second.id}/hidden`, { token: moderator.accessToken })).status).toBe(200);
      expect(await inbox.next('post:new', (p) => p.post.id === second.id)).toMatchObject({ threadId: question.id, replyCount: 2 });
      // A deleted reply no longer counts.
      expect((await t.http.delete(`/api/v1/posts/${second.id}`, { token: moderator.accessToken })).status).toBeLessThan(300);
      expect(await inbox.next('post:deleted', (p) => p.postId === second.id && p.replyCount === 1)).toMatchObject({ replyCount: 1 });
    });

    it('never announces a rolled-back reply', async () => {
      const thread = await createThread(t.http, writer.accessToken, publicBoard.id, { title: 'Rollback thread', body: 'First' });
      const m = await connect(member);
      const inbox = new Inbox(m);
      await ask(m, 'thread:watch', { threadId: thread.id });
      const db = t.app.get(Db);
      const events = t.app.get(EventsService);
      const fakePostId = thread.firstPost.id;
      await expect(
        db.transaction(async () => {
          await events.record('post.created', { communityId, boardId: publicBoard.id, threadId: thread.id, postId: fakePostId, authorId: writer.id, replyToPostId: null, hasImage: false }, communityId);
          throw new Error('the write failed after recording its event');
        }),
      ).rejects.toThrow('the write failed');
      const committed = await reply(t.http, writer.accessToken, thread.id, 'Committed');
      await inbox.next('post:new', (p) => p.post.id === committed.id);
      await settle();
      expect(inbox.of('post:new').map((p) => p.post.id)).toEqual([committed.id]);
    });

    it('refuses guests on members-only boards and outsiders anywhere private', async () => {
      const thread = await createThread(t.http, writer.accessToken, membersBoard.id, { title: 'Members only', body: 'Inside' });
      const guest = await connect(null);
      expect(await ask(guest, 'thread:watch', { threadId: thread.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      const m = await connect(member);
      expect((await ask(m, 'thread:watch', { threadId: thread.id })).ok).toBe(true);
      expect(await ask(guest, 'thread:watch', { threadId: 'nope' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    });

    it('stops the updates of a thread moved to a board the watcher may not see', async () => {
      const thread = await createThread(t.http, writer.accessToken, publicBoard.id, { title: 'Moving thread', body: 'First' });
      const m = await connect(member);
      const inbox = new Inbox(m);
      await ask(m, 'thread:watch', { threadId: thread.id });
      const mod = await connect(moderator);
      const modInbox = new Inbox(mod);
      await ask(mod, 'thread:watch', { threadId: thread.id });
      const moved = await t.http.post(`/api/v1/threads/${thread.id}/move`, { boardId: staffBoard.id }, { token: moderator.accessToken });
      expect(moved.status).toBe(200);
      expect(await inbox.next('thread:unwatched')).toEqual({ threadId: thread.id, code: 'NOT_FOUND' });
      const secret = await reply(t.http, moderator.accessToken, thread.id, 'Staff only now');
      await modInbox.next('post:new', (p) => p.post.id === secret.id);
      await settle();
      expect(inbox.of('post:new').map((p) => p.post.id)).not.toContain(secret.id);
    });
  });

  describe('limits', () => {
    it('rate-limits sends per member from the community settings, with the seconds to wait', async () => {
      await setSettings(t.http, admin.accessToken, slug, { chatMessagesPer30Seconds: 3, newMemberChatMessagesPer30Seconds: 3 });
      const roomId = (await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { name: 'Fast', kind: 'private' }, { token: member.accessToken })).body.id;
      const m = await connect(member);
      for (let i = 0; i < 3; i++) expect((await ask(m, 'message:send', { roomId, body: `m${i}`, clientId: `r${i}` })).ok).toBe(true);
      const limited = await ask(m, 'message:send', { roomId, body: 'too many', clientId: 'r3' });
      expect(limited).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) } });
      expect(limited.error.retryAfter).toBeGreaterThan(0);
      // A resend of a stored message is not a new send.
      expect(await ask(m, 'message:send', { roomId, body: 'm0', clientId: 'r0' })).toMatchObject({ ok: true, created: false });
      await setSettings(t.http, admin.accessToken, slug, { chatMessagesPer30Seconds: 40, newMemberChatMessagesPer30Seconds: 20 });
    });

    it('refuses links beyond the new-member limit', async () => {
      await setSettings(t.http, admin.accessToken, slug, { newMemberMaxLinks: 1, newMemberDays: 30 });
      const fresh = await createMember(t.http, admin.accessToken, slug);
      const roomId = (await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { name: 'Links', kind: 'private' }, { token: fresh.accessToken })).body.id;
      const s = await connect(fresh);
      const ack = await ask(s, 'message:send', { roomId, body: 'https://a.example https://b.example', clientId: 'l1' });
      expect(ack).toMatchObject({ ok: false, error: { code: 'TOO_MANY_LINKS' } });
      expect((await ask(s, 'message:send', { roomId, body: 'https://a.example', clientId: 'l2' })).ok).toBe(true);
      await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
      await setSettings(t.http, admin.accessToken, slug, { newMemberDays: 1 });
    });

    it('disconnects a socket that sends more than 100 events in 10 seconds', async () => {
      const s = await connect(member);
      const gone = disconnected(s);
      for (let i = 0; i < 110; i++) s.emit('typing', { roomId: '00000000-0000-4000-8000-000000000000' });
      await expect(gone).resolves.toBe('io server disconnect');
    });

    it('allows at most 10 sockets per user', async () => {
      const user = await createMember(t.http, admin.accessToken, slug);
      const mine: Socket[] = [];
      for (let i = 0; i < 10; i++) mine.push(await connect(user));
      const err = await connectError(t.baseUrl, { token: user.accessToken });
      expect(err.data?.code).toBe('TOO_MANY_CONNECTIONS');
      mine[0].close();
      await settle(100);
      mine.push(await connect(user));
    });
  });

  describe('the end of rights', () => {
    it('a log-out disconnects that session\'s sockets, not the others', async () => {
      const login = await t.http.post('/api/v1/auth/login', { email: member.email, password: member.password });
      const doomed = await connectSocket(t.baseUrl, login.body.accessToken);
      sockets.push(doomed);
      const other = await connect(member);
      const gone = disconnected(doomed);
      expect((await t.http.post('/api/v1/auth/logout', undefined, { token: login.body.accessToken })).status).toBe(204);
      await expect(gone).resolves.toBe('io server disconnect');
      await settle(100);
      expect(other.connected).toBe(true);
    });

    it('a connection recovered after a role was lost does not get its rooms back', async () => {
      const helper = await createMember(t.http, admin.accessToken, slug, 'staff');
      const customer = await createMember(t.http, admin.accessToken, slug);
      const support = (await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support' }, { token: customer.accessToken })).body;
      const s = await connectSocket(t.baseUrl, helper.accessToken, { reconnection: true });
      sockets.push(s);
      const inbox = new Inbox(s);
      expect((await ask(s, 'room:join', { roomId: support.id })).ok).toBe(true);
      const c = await connect(customer);
      await ask(c, 'message:send', { roomId: support.id, body: 'hello', clientId: 'rec-0' });
      await inbox.next('message:new'); // recovery resumes from the last broadcast the client received
      const reconnected = new Promise<void>((resolve) => s.once('disconnect', () => s.once('connect', () => resolve())));
      s.io.engine.close(); // the transport drops; the client reconnects and asks to recover its session
      await t.http.put(`/api/v1/communities/${slug}/members/${helper.id}/role`, { role: 'member' }, { token: admin.accessToken });
      await reconnected;
      expect(s.recovered).toBe(true);
      expect(await inbox.next('room:removed')).toEqual({ roomId: support.id, code: 'NOT_FOUND' });
      await ask(c, 'message:send', { roomId: support.id, body: 'still there?', clientId: 'rec-1' });
      await settle();
      expect(inbox.of('message:new').map((p) => p.message.body)).toEqual(['hello']);
    });

    it('losing the staff role ends the support queue feed and the reading of support chats', async () => {
      const helper = await createMember(t.http, admin.accessToken, slug, 'staff');
      const s = await connect(helper);
      const inbox = new Inbox(s);
      const customer = await createMember(t.http, admin.accessToken, slug);
      const support = (await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support' }, { token: customer.accessToken })).body;
      await inbox.next('support:requested', (p) => p.room.id === support.id);
      expect((await ask(s, 'room:join', { roomId: support.id })).ok).toBe(true);
      await t.http.put(`/api/v1/communities/${slug}/members/${helper.id}/role`, { role: 'member' }, { token: admin.accessToken });
      expect(await inbox.next('room:removed')).toEqual({ roomId: support.id, code: 'NOT_FOUND' });
      const another = await createMember(t.http, admin.accessToken, slug);
      const second = (await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'support' }, { token: another.accessToken })).body;
      const c = await connect(customer);
      await ask(c, 'room:join', { roomId: support.id });
      await ask(c, 'message:send', { roomId: support.id, body: 'anyone?', clientId: 'q1' });
      await settle();
      expect(inbox.of('support:requested').map((p) => p.room.id)).not.toContain(second.id);
      expect(inbox.of('message:new')).toEqual([]);
      expect(await ask(s, 'room:join', { roomId: support.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    });
  });
});
