import { Db } from '../src/core/database/db.service';
import { EXPORT_PAGE_SIZE } from '../src/account-data/account-data.service';
import { IdentityService } from '../src/identity/identity.service';
import { RecoveryMail } from '../src/identity/recovery-mail';
import { startApp, TestApp } from './support/app';
import { createBoard, createCast, createThread, reply, Cast } from './support/content';
import { eventually, registerUser, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';
import { startSmtp, TestSmtp } from './support/smtp';

describe('the member\'s data: export and account deletion', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let db: Db;
  let cast: Cast;
  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startApp({ env: { SMTP_URL: smtp.url } });
    db = t.app.get(Db);
    cast = await createCast(t.http);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  async function exportOf(user: Pick<TestUser, 'accessToken'>) {
    const res = await fetch(`${t.baseUrl}/api/v1/me/export`, { headers: { authorization: `Bearer ${user.accessToken}` } });
    const text = await res.text();
    return { res, text, body: res.status === 200 ? JSON.parse(text) : null };
  }

  it('exports what the member wrote, and nothing of anyone else', async () => {
    const { admin, slug, member: ann, member2: bob } = cast;
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: unique('talk') });
    const qa = await createBoard(t.http, admin.accessToken, slug, { slug: unique('qa'), kind: 'qa' });
    const thread = await createThread(t.http, ann.accessToken, board.id, { title: 'Ann asks about kettles', body: 'ann first post body' });
    const bobReply = await reply(t.http, bob.accessToken, thread.id, 'bob secret reply body');
    const annReply = await reply(t.http, ann.accessToken, thread.id, 'ann reply original');
    expect((await t.http.patch(`/api/v1/posts/${annReply.id}`, { body: 'ann reply edited' }, { token: ann.accessToken })).status).toBe(200);
    expect((await t.http.put(`/api/v1/posts/${bobReply.id}/reactions/like`, undefined, { token: ann.accessToken })).status).toBe(204);
    expect((await t.http.put(`/api/v1/posts/${annReply.id}/reactions/love`, undefined, { token: bob.accessToken })).status).toBe(204);
    const question = await createThread(t.http, bob.accessToken, qa.id, { title: 'Bob question', body: 'bob question body' });
    const answer = await reply(t.http, bob.accessToken, question.id, 'bob answer body');
    expect((await t.http.put(`/api/v1/posts/${answer.id}/vote`, { value: 1 }, { token: ann.accessToken })).status).toBe(200);
    const room = await t.http.post(`/api/v1/communities/${slug}/chat/rooms`, { kind: 'direct', memberIds: [bob.id] }, { token: ann.accessToken });
    expect(room.status).toBe(201);
    const annMessage = await t.http.post(`/api/v1/chat/rooms/${room.body.id}/messages`, { body: 'ann chat hello', clientId: 'a1' }, { token: ann.accessToken });
    expect(annMessage.status).toBe(201);
    expect((await t.http.post(`/api/v1/chat/rooms/${room.body.id}/messages`, { body: 'bob private chat answer', clientId: 'b1' }, { token: bob.accessToken })).status).toBe(201);
    const ledger = await eventually(async () => {
      const res = await t.http.get(`/api/v1/communities/${slug}/loyalty/me/ledger?limit=100`, { token: ann.accessToken });
      return res.body.items.length >= 2 ? res.body.items : null;
    });

    const { res, text, body } = await exportOf(ann);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="hearth-export.json"');
    expect(Object.keys(body)).toEqual([
      'format', 'exportedAt', 'account', 'memberships', 'threads', 'posts', 'reactions', 'votes', 'chatMessages', 'loyaltyLedger', 'notificationPreferences',
    ]);
    expect(body.account).toEqual(expect.objectContaining({ id: ann.id, email: ann.email, displayName: ann.displayName, emailVerified: false }));
    expect(body.memberships).toEqual([expect.objectContaining({ community: expect.objectContaining({ slug }), role: 'member' })]);
    expect(body.threads).toEqual([expect.objectContaining({ id: thread.id, title: 'Ann asks about kettles', boardId: board.id, deletedAt: null })]);
    expect(body.posts.map((p: { id: string; body: string }) => [p.id, p.body])).toEqual([
      [thread.firstPost.id, 'ann first post body'],
      [annReply.id, 'ann reply edited'],
    ]);
    expect(body.posts[1].revisions.map((r: { body: string }) => r.body)).toContain('ann reply original');
    expect(body.reactions).toEqual([{ postId: bobReply.id, kind: 'like', createdAt: expect.any(String) }]);
    expect(body.votes).toEqual([{ postId: answer.id, value: 1, createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    expect(body.chatMessages).toEqual([expect.objectContaining({ id: annMessage.body.id, roomId: room.body.id, body: 'ann chat hello' })]);
    expect(body.loyaltyLedger.map((e: { id: string }) => e.id).sort()).toEqual(ledger.map((e: { id: string }) => e.id).sort());
    expect(body.notificationPreferences).toEqual((await t.http.get('/api/v1/me/notification-preferences', { token: ann.accessToken })).body);
    // Nothing of others: not their posts, messages, emails, nor any password hash.
    for (const secret of ['bob secret reply body', 'bob private chat answer', 'bob question body', 'bob answer body', bob.email, cast.admin.email]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/password|argon2/i);
    expectProblem(await t.http.get('/api/v1/me/export'), 401, 'UNAUTHENTICATED');
  });

  it('streams the export in pages: chunked, no Content-Length, every post of a prolific member once', async () => {
    const { admin, slug, member2: writer } = cast;
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: unique('many') });
    const thread = await createThread(t.http, writer.accessToken, board.id, { title: 'A long thread', body: 'post 0' });
    const extra = EXPORT_PAGE_SIZE * 2 + 57;
    // Seeded in one statement (a test of paging, not of posting): posts 2..extra+1 of the thread, one microsecond apart.
    await db.query(
      `INSERT INTO posts (thread_id, community_id, board_id, post_number, author_id, author_role, body, html, created_at)
       SELECT $1, community_id, board_id, n + 1, $2, 'member', 'seeded ' || n, '<p>seeded ' || n || '</p>', created_at + n * interval '1 microsecond'
         FROM threads, generate_series(1, $3::int) AS n WHERE threads.id = $1`,
      [thread.id, writer.id, extra],
    );
    await db.query('UPDATE threads SET post_seq = $2, reply_count = $3 WHERE id = $1', [thread.id, extra + 1, extra]);

    const res = await fetch(`${t.baseUrl}/api/v1/me/export`, { headers: { authorization: `Bearer ${writer.accessToken}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    let chunks = 0;
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      text += decoder.decode(chunk, { stream: true });
    }
    expect(chunks).toBeGreaterThan(1);
    const body = JSON.parse(text);
    const mine = body.posts.filter((p: { threadId: string }) => p.threadId === thread.id).map((p: { body: string }) => p.body);
    expect(mine).toEqual(['post 0', ...Array.from({ length: extra }, (_, i) => `seeded ${i + 1}`)]);
  });

  it('deletes an account: anonymised in one go, posts kept as "deleted", no more log-in, user.deleted recorded, the store forgets the person', async () => {
    const { admin, slug, communityId, staff: reader } = cast;
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: unique('bye') });
    const leaver = await registerUser(t.http);
    expect((await t.http.post(`/api/v1/communities/${slug}/join`, undefined, { token: leaver.accessToken })).status).toBe(201);
    const thread = await createThread(t.http, leaver.accessToken, board.id, { title: 'Written before leaving', body: 'my words stay' });
    const otherDevice = (await t.http.post('/api/v1/auth/login', { email: leaver.email, password: leaver.password })).body;
    await db.query(`INSERT INTO store_customers (community_id, customer_id, user_id, linked_at) VALUES ($1, $2, $3, now())`, [communityId, unique('cust'), leaver.id]);
    const username = (await t.http.get('/api/v1/me', { token: leaver.accessToken })).body.user.username;
    // A guest's page of the thread is cached before the deletion.
    await t.http.get(`/api/v1/threads/${thread.id}`);
    const cached = await t.http.get(`/api/v1/threads/${thread.id}`);
    expect({ cache: cached.headers.get('x-cache'), name: cached.body.author.displayName }).toEqual({ cache: 'HIT', name: leaver.displayName });

    expectProblem(await t.http.delete('/api/v1/me', { body: {}, token: leaver.accessToken }), 400, 'PASSWORD_REQUIRED');
    expectProblem(await t.http.delete('/api/v1/me', { body: { password: 'not my password' }, token: leaver.accessToken }), 403, 'WRONG_PASSWORD');
    expectProblem(await t.http.delete('/api/v1/me', { body: { password: leaver.password, extra: 1 }, token: leaver.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.delete('/api/v1/me', { body: { password: leaver.password } }), 401, 'UNAUTHENTICATED');
    expect((await t.http.get('/api/v1/me', { token: leaver.accessToken })).status).toBe(200); // nothing happened yet

    const res = await t.http.delete('/api/v1/me', { body: { password: leaver.password }, token: leaver.accessToken });
    expect(res.status).toBe(204);

    for (const token of [leaver.accessToken, otherDevice.accessToken]) expectProblem(await t.http.get('/api/v1/me', { token }), 401, 'UNAUTHENTICATED');
    expectProblem(await t.http.post('/api/v1/auth/refresh', { refreshToken: leaver.refreshToken }), 401, 'INVALID_REFRESH_TOKEN');
    expectProblem(await t.http.post('/api/v1/auth/login', { email: leaver.email, password: leaver.password }), 401, 'INVALID_CREDENTIALS');

    const [row] = await db.query<Record<string, unknown>>(
      'SELECT email, display_name, username, bio, avatar_url, avatar_file, password_hash, email_verified_at, deleted_at FROM users WHERE id = $1',
      [leaver.id],
    );
    expect(row).toEqual({
      email: `deleted-${leaver.id}@deleted.invalid`, display_name: 'deleted', username: null, bio: '', avatar_url: null, avatar_file: null,
      password_hash: null, email_verified_at: null, deleted_at: expect.any(Date),
    });
    const events = await db.query<{ data: unknown; community_id: string | null }>(`SELECT data, community_id FROM events WHERE type = 'user.deleted' AND data->>'userId' = $1`, [leaver.id]);
    expect(events).toEqual([{ data: { userId: leaver.id }, community_id: null }]);

    // The posts stay, by "deleted", for members and guests.
    for (const token of [reader.accessToken, undefined]) {
      const read = await t.http.get(`/api/v1/threads/${thread.id}`, { token });
      expect(read.status).toBe(200);
      expect(read.body.author).toEqual(expect.objectContaining({ id: leaver.id, displayName: 'deleted', username: null, avatarUrl: null }));
      expect(read.body.firstPost).toEqual(expect.objectContaining({ body: 'my words stay', author: expect.objectContaining({ displayName: 'deleted' }) }));
    }
    // The store bridge unlinks the customer (from the event).
    await eventually(async () => (await db.query('SELECT 1 FROM store_customers WHERE user_id = $1', [leaver.id])).length === 0);

    // A reset for the old email sends nothing; the email and the username are free again.
    expect((await t.http.post('/api/v1/auth/password-reset', { email: leaver.email })).status).toBe(202);
    await t.app.get(RecoveryMail).idle();
    expect(smtp.received.filter((m) => m.subject === 'Reset your password' && m.to.includes(leaver.email.toLowerCase()))).toEqual([]);
    const again = await t.http.post('/api/v1/auth/register', { email: leaver.email, password: 'a new life password', displayName: 'Back again', username });
    expect(again.status).toBe(201);
    expect(again.body.user.username).toBe(username);
    expect(again.body.user.id).not.toBe(leaver.id);
  });

  it('allows 10 password attempts per 15 minutes, without locking the owner out of logging in', async () => {
    const user = await registerUser(t.http);
    for (let i = 0; i < 10; i++) expectProblem(await t.http.delete('/api/v1/me', { body: { password: `guess ${i}` }, token: user.accessToken }), 403, 'WRONG_PASSWORD');
    const limited = await t.http.delete('/api/v1/me', { body: { password: user.password }, token: user.accessToken });
    expect(expectProblem(limited, 429, 'RATE_LIMITED').detail).toBe('Too many password attempts, try again later');
    expect((await t.http.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
    expect((await t.http.get('/api/v1/me', { token: user.accessToken })).status).toBe(200);
  });

  it('deletes an account without a password (store single sign-on) on {"confirm": "DELETE"}', async () => {
    const identity = t.app.get(IdentityService);
    const email = `${unique('sso')}@example.com`;
    const userId = await identity.createPasswordlessAccount({ email, displayName: 'Shopper' });
    const session = await db.transaction(() => identity.startSession(userId, { ip: '127.0.0.1' }));
    expectProblem(await t.http.delete('/api/v1/me', { body: {}, token: session.accessToken }), 400, 'CONFIRMATION_REQUIRED');
    expectProblem(await t.http.delete('/api/v1/me', { body: { confirm: 'delete' }, token: session.accessToken }), 400, 'VALIDATION_FAILED');
    expect((await t.http.delete('/api/v1/me', { body: { confirm: 'DELETE' }, token: session.accessToken })).status).toBe(204);
    expectProblem(await t.http.get('/api/v1/me', { token: session.accessToken }), 401, 'UNAUTHENTICATED');
    // Store sign-on cannot bring the account back.
    await expect(db.transaction(() => identity.startSession(userId, { ip: '127.0.0.1' }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await t.app.get(RecoveryMail).idle();
    expect(smtp.received.filter((m) => m.to.includes(email))).toEqual([]);
  });
});
