import type { QueryRunner } from 'typeorm';
import { Usernames1764170000000 } from '../migrations/1764170000000-Usernames';
import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { createBoard, createCast, createThread, reply } from './support/content';
import { createCommunity, createMember, loginAdmin, registerUser, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';
import { inbox } from './support/notifications';
import { connectStore, ssoRequest } from './support/store';

/** Usernames (issue 20): chosen or derived at sign-up and SSO, unique in any letter case, reserved names, renames, @mentions by username. */
describe('usernames', () => {
  let t: TestApp;
  let db: Db;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    db = t.app.get(Db);
    admin = await loginAdmin(t.http);
  });
  afterAll(() => t?.close());

  const register = (body: Record<string, unknown>) =>
    t.http.post('/api/v1/auth/register', { email: `${unique('u')}@example.com`, password: 'a fine password 123', displayName: 'Someone', ...body });
  const me = async (token: string) => (await t.http.get('/api/v1/me', { token })).body.user;
  const patchMe = (user: TestUser, body: Record<string, unknown>) => t.http.patch('/api/v1/me', body, { token: user.accessToken });

  describe('at registration', () => {
    it('keeps a chosen username as written, and shows it on /me with an empty bio', async () => {
      const res = await register({ username: 'Ada_Lace', displayName: 'Ada' });
      expect(res.status).toBe(201);
      expect(res.body.user).toEqual(expect.objectContaining({ username: 'Ada_Lace', displayName: 'Ada', bio: '' }));
      expect(await me(res.body.accessToken)).toEqual(expect.objectContaining({ id: res.body.user.id, username: 'Ada_Lace', bio: '' }));
    });

    it('refuses a username taken in any letter case with 409 USERNAME_TAKEN', async () => {
      expect((await register({ username: 'Grace.H' })).status).toBe(201);
      expectProblem(await register({ username: 'grace.h' }), 409, 'USERNAME_TAKEN');
      expectProblem(await register({ username: 'GRACE.H' }), 409, 'USERNAME_TAKEN');
      const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE lower(username) = 'grace.h'`);
      expect(row.n).toBe(1);
    });

    it('refuses malformed usernames (422 INVALID_USERNAME, or 400 when too long for the DTO)', async () => {
      for (const username of ['ab', 'a..b', '.abc', 'abc-', 'bad name', 'naïve']) {
        const problem = expectProblem(await register({ username }), 422, 'INVALID_USERNAME');
        expect(problem.errors).toEqual([{ field: 'username', message: expect.any(String) }]);
      }
      expectProblem(await register({ username: 'a'.repeat(21) }), 400, 'VALIDATION_FAILED');
      expectProblem(await register({ username: 42 }), 400, 'VALIDATION_FAILED');
    });

    it('refuses reserved names and community slugs; a new community may take a slug equal to a username', async () => {
      for (const username of ['admin', 'Staff', 'SUPPORT', 'moderator', 'system', 'deleted']) {
        expectProblem(await register({ username }), 422, 'USERNAME_RESERVED');
      }
      const community = await createCommunity(t.http, admin.accessToken, unique('brand'));
      expectProblem(await register({ username: community.slug }), 422, 'USERNAME_RESERVED');
      expectProblem(await register({ username: community.slug.toUpperCase() }), 422, 'USERNAME_RESERVED');
      const taken = await register({ username: 'fans-club' });
      expect(taken.status).toBe(201);
      expect((await t.http.post('/api/v1/communities', { slug: 'fans-club', name: 'Fans' }, { token: admin.accessToken })).status).toBe(201);
      expect(await me(taken.body.accessToken)).toEqual(expect.objectContaining({ username: 'fans-club' }));
    });

    it('derives a missing username from the display name: ada, ada1, ada2..., within 20 characters', async () => {
      const names: string[] = [];
      for (let i = 0; i < 3; i++) names.push((await register({ displayName: 'Hypatia Of Alexandrias' })).body.user.username);
      expect(names).toEqual(['hypatiaofalexandrias', 'hypatiaofalexandria1', 'hypatiaofalexandria2']);
      // "admin" is reserved, and the platform admin (display name "Admin") holds admin1.
      expect((await register({ displayName: 'Admin' })).body.user.username).toBe('admin2');
      expect((await register({ displayName: '李' })).body.user.username).toBe('member');
      expect((await register({ displayName: '李', username: null })).body.user.username).toBe('member1');
      await createCommunity(t.http, admin.accessToken, 'tesla-owners');
      expect((await register({ displayName: 'Tesla Owners' })).body.user.username).toBe('teslaowners');
      expect((await register({ displayName: 'Tesla-Owners' })).body.user.username).toBe('tesla-owners1');
    });

    it('two sign-ups racing for one chosen name: one 201, one 409', async () => {
      const results = await Promise.all([register({ username: 'racer_x' }), register({ username: 'RACER_X' })]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expectProblem(results.find((r) => r.status === 409)!, 409, 'USERNAME_TAKEN');
    });

    it('sign-ups racing for one derived name all get distinct names', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => register({ displayName: 'Twin Peaks' })));
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(results.map((r) => r.body.user.username).sort()).toEqual(['twinpeaks', 'twinpeaks1', 'twinpeaks2', 'twinpeaks3', 'twinpeaks4']);
    });

    it('store single sign-on derives the new account\'s username', async () => {
      const community = await createCommunity(t.http, admin.accessToken);
      const secrets = await connectStore(t.http, admin.accessToken, community.slug, 'http://127.0.0.1:9/hooks', ['member.joined']);
      await register({ displayName: 'Store Buyer', username: 'storebuyer' });
      const claims = { storeCustomerId: unique('cust_'), email: `${unique('buyer')}@shop.test`, name: 'Store Buyer' };
      const res = await t.http.post(`/api/v1/communities/${community.slug}/sso`, ssoRequest(secrets.ssoSecret, claims));
      expect(res.status).toBe(200);
      expect(res.body.user.username).toBe('storebuyer1');
    });
  });

  it('the migration gives existing accounts usernames from their display names, oldest first, avoiding slugs and taken names', async () => {
    await createCommunity(t.http, admin.accessToken, 'legacy-name');
    expect((await register({ username: 'legacyname2' })).status).toBe(201);
    const ids: string[] = [];
    for (const displayName of ['Legacy Name', 'Legacy Name', 'Legacy Name', 'Legacy-Name', 'Zoë']) ids.push((await register({ displayName })).body.user.id);
    await db.query('UPDATE users SET username = NULL WHERE id = ANY($1::uuid[])', [ids]);
    const runner = db.dataSource.createQueryRunner();
    try {
      await (new Usernames1764170000000() as unknown as { assignUsernames(q: QueryRunner): Promise<void> }).assignUsernames(runner);
    } finally {
      await runner.release();
    }
    const rows = await db.query<{ id: string; username: string }>('SELECT id, username FROM users WHERE id = ANY($1::uuid[])', [ids]);
    expect(ids.map((id) => rows.find((r) => r.id === id)!.username)).toEqual(['legacyname', 'legacyname1', 'legacyname3', 'legacy-name1', 'zoe']);
  });

  describe('renames', () => {
    it('allows one change per 30 days (409 USERNAME_CHANGE_TOO_SOON); letter case alone is free; the old name is kept in the history', async () => {
      const user = await registerUser(t.http);
      const first = await patchMe(user, { username: 'renamed_one' });
      expect(first.status).toBe(200);
      expect(first.body.user.username).toBe('renamed_one');
      expect((await patchMe(user, { username: 'Renamed_One' })).body.user.username).toBe('Renamed_One');
      const tooSoon = expectProblem(await patchMe(user, { username: 'renamed_two' }), 409, 'USERNAME_CHANGE_TOO_SOON');
      expect(tooSoon.nextChangeAt).toEqual(expect.any(String));
      await db.query(`UPDATE users SET username_changed_at = now() - interval '31 days' WHERE id = $1`, [user.id]);
      expect((await patchMe(user, { username: 'renamed_two' })).body.user.username).toBe('renamed_two');
      const history = await db.query<{ username: string }>('SELECT username FROM username_history WHERE user_id = $1 ORDER BY id', [user.id]);
      expect(history.map((h) => h.username)).toEqual([user.displayName.split(' ').join('').toLowerCase(), 'Renamed_One']);
    });

    it('refuses a rename to a taken, reserved or malformed name without spending the monthly change', async () => {
      const user = await registerUser(t.http);
      await register({ username: 'occupied' });
      expectProblem(await patchMe(user, { username: 'OCCUPIED' }), 409, 'USERNAME_TAKEN');
      expectProblem(await patchMe(user, { username: 'moderator' }), 422, 'USERNAME_RESERVED');
      expectProblem(await patchMe(user, { username: 'x..y' }), 422, 'INVALID_USERNAME');
      expect((await patchMe(user, { username: 'free_name' })).status).toBe(200);
    });
  });

  describe('@mentions', () => {
    let cast: Awaited<ReturnType<typeof createCast>>;
    let board: { id: string };
    beforeAll(async () => {
      cast = await createCast(t.http);
      board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
    });

    const mentionsOf = async (postId: string) =>
      (await db.query<{ user_id: string }>('SELECT user_id FROM post_mentions WHERE post_id = $1 ORDER BY user_id', [postId])).map((r) => r.user_id);
    const linkTo = (user: TestUser) => `href="/u/${user.id}"`;

    it('link by username, are recorded on the post and notify; a display-name handle no longer resolves', async () => {
      const ada = await createMember(t.http, cast.admin.accessToken, cast.slug);
      await patchMe(ada, { username: 'ada_m', displayName: 'Ada Byron' });
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Mentions', body: 'Hello @Ada_M and @AdaByron' });
      expect(thread.firstPost.html).toContain(linkTo(ada));
      expect(thread.firstPost.html).toContain('@AdaByron');
      expect(thread.firstPost.html.match(/href="\/u\//g)).toHaveLength(1);
      expect(await mentionsOf(thread.firstPost.id)).toEqual([ada.id]);
      expect((await inbox(t, ada)).items.filter((n) => n.type === 'mention')).toHaveLength(1);
    });

    it('a mention by username resolves after a display-name change', async () => {
      const bob = await createMember(t.http, cast.admin.accessToken, cast.slug);
      await patchMe(bob, { username: 'bob_b' });
      expect((await patchMe(bob, { displayName: 'Robert Something Else' })).status).toBe(200);
      const post = await reply(t.http, cast.member.accessToken, (await createThread(t.http, cast.member2.accessToken, board.id)).id, 'Thanks @bob_b.');
      expect(post.html).toContain(linkTo(bob));
      expect(await mentionsOf(post.id)).toEqual([bob.id]);
      expect((await inbox(t, bob)).items.filter((n) => n.type === 'mention')).toHaveLength(1);
    });

    it('a former username resolves to its last holder until someone else takes it', async () => {
      const carol = await createMember(t.http, cast.admin.accessToken, cast.slug);
      await db.query(`UPDATE users SET username = 'carol_old' WHERE id = $1`, [carol.id]);
      await patchMe(carol, { username: 'carol_new' });
      const thread = await createThread(t.http, cast.member.accessToken, board.id, { body: '@carol_old and @carol_new' });
      expect(await mentionsOf(thread.firstPost.id)).toEqual([carol.id]);
      expect(thread.firstPost.html).toBe(`<p><a ${linkTo(carol)} class="mention">@carol_old</a> and <a ${linkTo(carol)} class="mention">@carol_new</a></p>\n`);
      const dave = await createMember(t.http, cast.admin.accessToken, cast.slug);
      await patchMe(dave, { username: 'carol_old' });
      const later = await reply(t.http, cast.member.accessToken, thread.id, 'ping @carol_old');
      expect(await mentionsOf(later.id)).toEqual([dave.id]);
      // What a post mentioned stays as it was written.
      expect(await mentionsOf(thread.firstPost.id)).toEqual([carol.id]);
      expect((await t.http.get('/api/v1/users/carol_old')).body.id).toBe(dave.id);
    });

    it('editing a post replaces its recorded mentions; members of other communities are not linked', async () => {
      const erin = await createMember(t.http, cast.admin.accessToken, cast.slug);
      await patchMe(erin, { username: 'erin_e' });
      const stranger = await registerUser(t.http);
      await patchMe(stranger, { username: 'stranger_s' });
      const post = await reply(t.http, cast.member.accessToken, (await createThread(t.http, cast.member.accessToken, board.id)).id, '@erin_e @stranger_s');
      expect(await mentionsOf(post.id)).toEqual([erin.id]);
      expect(post.html).not.toContain(linkTo(stranger));
      const edited = await t.http.patch(`/api/v1/posts/${post.id}`, { body: 'no one now' }, { token: cast.member.accessToken });
      expect(edited.status).toBe(200);
      expect(await mentionsOf(post.id)).toEqual([]);
      await t.http.patch(`/api/v1/posts/${post.id}`, { body: 'back to @ERIN_E' }, { token: cast.member.accessToken });
      expect(await mentionsOf(post.id)).toEqual([erin.id]);
    });
  });
});
