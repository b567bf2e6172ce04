import sharp from 'sharp';
import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { createMember, registerUser, TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Profiles (issue 20): PATCH /me, public profiles, a community's member profile with counts, avatars. */
describe('profiles', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;
  let pub: { id: string };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    cast = await createCast(t.http);
    pub = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'public-talk' });
  });
  afterAll(() => t?.close());

  const patchMe = (user: TestUser, body: Record<string, unknown>) => t.http.patch('/api/v1/me', body, { token: user.accessToken });
  const eventsOf = async (type: string, userId: string) =>
    (await db.query<{ data: Record<string, unknown> }>(`SELECT data FROM events WHERE type = $1 AND data->>'userId' = $2 ORDER BY id`, [type, userId])).map((e) => e.data);

  let shade = 0;
  async function upload(user: TestUser, width = 120, height = 60): Promise<{ id: string }> {
    shade = (shade + 41) % 256;
    const png = await sharp({ create: { width, height, channels: 3, background: { r: shade, g: 30, b: 200 } } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'me.png');
    const res = await fetch(`${t.baseUrl}/api/v1/communities/${cast.slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${user.accessToken}` } });
    if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  }

  describe('PATCH /me', () => {
    it('changes the display name and bio, answers as GET /me does, and records user.profile_changed', async () => {
      const user = await createMember(t.http, cast.admin.accessToken, cast.slug);
      const res = await patchMe(user, { displayName: '  Ada Lovelace ', bio: 'I write <b>notes</b> on engines.' });
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual(expect.objectContaining({ id: user.id, displayName: 'Ada Lovelace', bio: 'I write <b>notes</b> on engines.', email: user.email }));
      expect(res.body.memberships).toEqual([expect.objectContaining({ role: 'member', community: expect.objectContaining({ slug: cast.slug }) })]);
      expect((await t.http.get('/api/v1/me', { token: user.accessToken })).body.user).toEqual(res.body.user);
      expect(await eventsOf('user.profile_changed', user.id)).toEqual([{ userId: user.id, changed: ['displayName', 'bio'] }]);
      // Nothing changed: no event.
      expect((await patchMe(user, { displayName: 'Ada Lovelace' })).status).toBe(200);
      expect(await eventsOf('user.profile_changed', user.id)).toHaveLength(1);
    });

    it('records user.username_changed with the previous name', async () => {
      const user = await registerUser(t.http);
      const before = (await t.http.get('/api/v1/me', { token: user.accessToken })).body.user.username;
      expect((await patchMe(user, { username: 'new_name_1' })).status).toBe(200);
      expect(await eventsOf('user.username_changed', user.id)).toEqual([{ userId: user.id, username: 'new_name_1', previousUsername: before }]);
      expect(await eventsOf('user.profile_changed', user.id)).toEqual([{ userId: user.id, changed: ['username'] }]);
    });

    it('refuses bad input with 400, and guests with 401', async () => {
      const user = await registerUser(t.http);
      expectProblem(await patchMe(user, { bio: 'x'.repeat(501) }), 400, 'VALIDATION_FAILED');
      expectProblem(await patchMe(user, { displayName: '   ' }), 400, 'VALIDATION_FAILED');
      expectProblem(await patchMe(user, { displayName: 'x'.repeat(51) }), 400, 'VALIDATION_FAILED');
      expectProblem(await patchMe(user, { avatarUploadId: 'not-an-id' }), 400, 'VALIDATION_FAILED');
      expectProblem(await patchMe(user, { email: 'x@example.com' }), 400, 'VALIDATION_FAILED');
      for (const field of ['displayName', 'username', 'bio', 'avatarUploadId']) {
        expect(expectProblem(await patchMe(user, { [field]: null }), 400, 'VALIDATION_FAILED').errors).toEqual([{ field, message: `${field} may not be null` }]);
      }
      expectProblem(await t.http.patch('/api/v1/me', { bio: 'hi' }), 401, 'UNAUTHENTICATED');
      expect((await patchMe(user, { bio: 'x'.repeat(500) })).body.user.bio).toHaveLength(500);
    });

    it('a changed display name shows on the next read, for guests (cached pages) and members', async () => {
      const author = await createMember(t.http, cast.admin.accessToken, cast.slug);
      const thread = await createThread(t.http, author.accessToken, pub.id, { title: 'Cached page' });
      const path = `/api/v1/threads/${thread.id}/posts`;
      expect((await t.http.get(path)).headers.get('x-cache')).toBe('MISS');
      const cached = await t.http.get(path);
      expect(cached.headers.get('x-cache')).toBe('HIT');
      expect(cached.body.items[0].author).toEqual({ id: author.id, username: expect.any(String), displayName: author.displayName, avatarUrl: null });
      await t.http.get(path, { token: cast.member.accessToken });
      expect((await patchMe(author, { displayName: 'Renamed Author' })).status).toBe(200);
      const guest = await t.http.get(path);
      expect(guest.body.items[0].author.displayName).toBe('Renamed Author');
      expect((await t.http.get(path, { token: cast.member.accessToken })).body.items[0].author.displayName).toBe('Renamed Author');
      expect((await t.http.get(`/api/v1/threads/${thread.id}`)).body.author.displayName).toBe('Renamed Author');
      const members = (await t.http.get(`/api/v1/communities/${cast.slug}/members?limit=100`, { token: cast.member.accessToken })).body.items;
      expect(members.find((m: any) => m.user.id === author.id).user.displayName).toBe('Renamed Author');
    });
  });

  describe('avatars', () => {
    it('crops one of the member\'s own uploads to a 256 px square that anyone may fetch, and replaces it', async () => {
      const user = await createMember(t.http, cast.admin.accessToken, cast.slug);
      const first = await patchMe(user, { avatarUploadId: (await upload(user)).id });
      expect(first.status).toBe(200);
      const url: string = first.body.user.avatarUrl;
      expect(url).toEqual(expect.stringContaining('/api/v1/uploads/'));
      const image = await t.http.request('GET', new URL(url).pathname);
      expect({ status: image.status, type: image.headers.get('content-type') }).toEqual({ status: 200, type: 'image/webp' });
      const bytes = Buffer.from(await (await fetch(`${t.baseUrl}${new URL(url).pathname}`)).arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect({ format: meta.format, width: meta.width, height: meta.height, exif: meta.exif }).toEqual({ format: 'webp', width: 256, height: 256, exif: undefined });
      expect((await t.http.get(`/api/v1/users/${user.id}`)).body.avatarUrl).toBe(url);
      const thread = await createThread(t.http, user.accessToken, pub.id);
      expect(thread.author.avatarUrl).toBe(url);
      expect(await eventsOf('user.profile_changed', user.id)).toEqual([{ userId: user.id, changed: ['avatar'] }]);

      const second = await patchMe(user, { avatarUploadId: (await upload(user, 40, 300)).id });
      expect(second.body.user.avatarUrl).not.toBe(url);
      expect((await t.http.get(new URL(url).pathname)).status).toBe(404);
      expect((await t.http.get(new URL(second.body.user.avatarUrl).pathname)).status).toBe(200);
    });

    it('refuses someone else\'s upload with 404 UPLOAD_NOT_FOUND and keeps the avatar', async () => {
      const user = await createMember(t.http, cast.admin.accessToken, cast.slug);
      const theirs = await upload(cast.member2);
      expectProblem(await patchMe(user, { avatarUploadId: theirs.id }), 404, 'UPLOAD_NOT_FOUND');
      expectProblem(await patchMe(user, { avatarUploadId: '00000000-0000-4000-8000-000000000000' }), 404, 'UPLOAD_NOT_FOUND');
      expect((await t.http.get('/api/v1/me', { token: user.accessToken })).body.user.avatarUrl).toBeNull();
    });
  });

  describe('GET /users/:idOrUsername', () => {
    it('answers the public profile by id or by username in any letter case', async () => {
      const user = await registerUser(t.http);
      await patchMe(user, { username: 'Public_Pat', bio: 'Hello there', displayName: 'Pat' });
      const expected = { id: user.id, username: 'Public_Pat', displayName: 'Pat', avatarUrl: null, bio: 'Hello there' };
      for (const key of [user.id, user.id.toUpperCase(), 'Public_Pat', 'public_pat', 'PUBLIC_PAT']) {
        const res = await t.http.get(`/api/v1/users/${key}`);
        expect({ key, status: res.status, body: res.body }).toEqual({ key, status: 200, body: expected });
      }
    });

    it('is 404 for unknown and deleted accounts and for anything else', async () => {
      for (const key of ['00000000-0000-4000-8000-000000000000', 'nobody_here', '..', 'a'.repeat(300), '%00', 'x y']) {
        expectProblem(await t.http.get(`/api/v1/users/${encodeURIComponent(key)}`), 404, 'NOT_FOUND');
      }
      const gone = await registerUser(t.http);
      await db.query('UPDATE users SET username = NULL WHERE id = $1', [gone.id]); // a deleted account has no username
      expectProblem(await t.http.get(`/api/v1/users/${gone.id}`), 404, 'NOT_FOUND');
    });
  });

  describe('GET /communities/:slug/members/:userId', () => {
    let subject: TestUser;
    let expectedBase: Record<string, unknown>;

    beforeAll(async () => {
      const admin = cast.admin.accessToken;
      const priv = await createBoard(t.http, admin, cast.slug, { slug: 'members-only', visibility: 'members' });
      const staffOnly = await createBoard(t.http, admin, cast.slug, { slug: 'staff-room', visibility: 'staff' });
      const qa = await createBoard(t.http, admin, cast.slug, { slug: 'questions', kind: 'qa' });
      subject = await createMember(t.http, admin, cast.slug, 'staff');
      const s = subject.accessToken;
      const other = cast.member2.accessToken;
      // Public: 2 threads (a third deleted), 2 replies (a third hidden, a fourth deleted).
      const t1 = await createThread(t.http, s, pub.id, { title: 'one' });
      await createThread(t.http, s, pub.id, { title: 'two' });
      const t3 = await createThread(t.http, s, pub.id, { title: 'three' });
      expect((await t.http.delete(`/api/v1/posts/${t3.firstPost.id}`, { token: s })).status).toBe(204);
      const theirs = await createThread(t.http, other, pub.id, { title: 'theirs' });
      await reply(t.http, s, theirs.id, 'r1');
      await reply(t.http, s, t1.id, 'r2');
      const hidden = await reply(t.http, s, theirs.id, 'r3');
      expect((await t.http.put(`/api/v1/posts/${hidden.id}/hidden`, undefined, { token: cast.moderator.accessToken })).status).toBe(200);
      const deleted = await reply(t.http, s, theirs.id, 'r4');
      expect((await t.http.delete(`/api/v1/posts/${deleted.id}`, { token: s })).status).toBe(204);
      // Members only: 1 thread, 1 reply. Staff only: 1 thread.
      const p1 = await createThread(t.http, other, priv.id, { title: 'members' });
      await createThread(t.http, s, priv.id, { title: 'mine, members' });
      await reply(t.http, s, p1.id, 'members reply');
      await createThread(t.http, s, staffOnly.id, { title: 'staff' });
      // Q&A (public): an answer accepted by the asker, and one not accepted.
      const question = await createThread(t.http, other, qa.id, { title: 'A question?' });
      const answer = await reply(t.http, s, question.id, 'An answer');
      await reply(t.http, s, question.id, 'Another answer');
      expect((await t.http.post(`/api/v1/threads/${question.id}/accept`, { postId: answer.id }, { token: other })).status).toBe(200);
      expectedBase = {
        user: { id: subject.id, username: expect.any(String), displayName: subject.displayName, avatarUrl: null, bio: '' },
        role: 'staff',
        joinedAt: expect.any(String),
      };
    });

    const get = (token?: string, slug = cast.slug, userId = subject.id) => t.http.get(`/api/v1/communities/${slug}/members/${userId}`, { token });

    it('counts what the caller may read: guests the public boards, members the members boards too, staff everything', async () => {
      const guest = await get();
      expect(guest.status).toBe(200);
      expect(guest.body).toEqual({ ...expectedBase, counts: { threads: 2, replies: 4, acceptedAnswers: 1 } });
      expect((await get(cast.outsider.accessToken)).body.counts).toEqual({ threads: 2, replies: 4, acceptedAnswers: 1 });
      expect((await get(cast.member.accessToken)).body.counts).toEqual({ threads: 3, replies: 5, acceptedAnswers: 1 });
      expect((await get(cast.staff.accessToken)).body.counts).toEqual({ threads: 4, replies: 5, acceptedAnswers: 1 });
      expect((await get(cast.admin.accessToken)).body.counts).toEqual({ threads: 4, replies: 5, acceptedAnswers: 1 });
    });

    it('is 404 for a non-member, an unknown user and an unknown community', async () => {
      expectProblem(await get(undefined, cast.slug, cast.outsider.id), 404, 'NOT_FOUND');
      expectProblem(await get(undefined, cast.slug, '00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
      expectProblem(await get(undefined, cast.slug, 'not-an-id'), 404, 'NOT_FOUND');
      expectProblem(await get(undefined, 'no-such-community'), 404, 'NOT_FOUND');
    });
  });
});
