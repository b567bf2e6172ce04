import sharp from 'sharp';
import { INVALIDATIONS, Invalidations } from '../src/core/cluster/invalidations';
import { startApp, TestApp, usingRedis } from './support/app';
import { Cast, createBoard, createCast, createThread, reply } from './support/content';
import { registerUser, unique } from './support/factories';
import { Http } from './support/http';

/**
 * Precise guest-cache invalidation, route by route: after every write route, every page a guest or a
 * member reads from the caching instance is what an instance without a cache renders from the same
 * database (no stale page), and writes that do not touch a page leave it cached.
 */
describe('guest cache: every write route', () => {
  let cached: TestApp;
  let fresh: TestApp;
  let c: Cast;
  let discussion: { id: string };
  let qa: { id: string };
  let other: { id: string };
  let thread: any;
  let question: any;
  let answer: any;
  let bystander: any;

  beforeAll(async () => {
    // Pages stay cached for 5 minutes here (10 s by default): the test is about invalidation, and on a
    // loaded machine priming a dozen pages and checking them again can take longer than 10 s, so the
    // first pages would expire on their own (a MISS that is no bug). A longer life also makes a page
    // that a write fails to drop stay stale, so the check is stricter.
    cached = await startApp({ env: { GUEST_CACHE_SECONDS: '300' } });
    // The same database, no cache: what a guest must see.
    fresh = cached.databaseUrl
      ? await startApp({ databaseUrl: cached.databaseUrl, env: { GUEST_CACHE_SECONDS: '0' } })
      : await startApp({ options: { database: cached.database }, env: { GUEST_CACHE_SECONDS: '0' } });
    if (!usingRedis) {
      // Without Redis, carry the caching instance's invalidations to the other one in process, as Redis
      // would: its own board rows (cached 5 s) must not make the "truth" stale.
      const truth = fresh.app.get<Invalidations>(INVALIDATIONS);
      cached.app.get<Invalidations>(INVALIDATIONS).subscribe((invalidation) => truth.publish(invalidation));
    }
    c = await createCast(cached.http);
    discussion = await createBoard(cached.http, c.admin.accessToken, c.slug, { slug: 'talk' });
    qa = await createBoard(cached.http, c.admin.accessToken, c.slug, { slug: 'ask', kind: 'qa' });
    other = await createBoard(cached.http, c.admin.accessToken, c.slug, { slug: 'elsewhere' });
    thread = await createThread(cached.http, c.member.accessToken, discussion.id, { title: 'Watched thread' });
    await reply(cached.http, c.member2.accessToken, thread.id, 'a first reply');
    question = await createThread(cached.http, c.member.accessToken, qa.id, { title: 'A watched question' });
    answer = await reply(cached.http, c.member2.accessToken, question.id, 'an answer');
    bystander = await createThread(cached.http, c.member.accessToken, other.id, { title: 'A thread nobody touches' });
  });
  afterAll(async () => {
    await fresh?.close();
    await cached?.close();
  });

  const watched = () => [
    `/api/v1/communities/${c.slug}`,
    `/api/v1/communities/${c.slug}/boards`,
    `/api/v1/boards/${discussion.id}/threads`,
    `/api/v1/boards/${discussion.id}/threads?sort=top`,
    `/api/v1/boards/${qa.id}/threads`,
    `/api/v1/threads/${thread.id}`,
    `/api/v1/threads/${thread.id}/posts`,
    `/api/v1/threads/${question.id}`,
    `/api/v1/threads/${question.id}/posts`,
  ];
  const untouched = () => [`/api/v1/boards/${other.id}/threads`, `/api/v1/threads/${bystander.id}`, `/api/v1/threads/${bystander.id}/posts`];

  async function prime(http: Http, urls: string[]) {
    for (const url of urls) {
      await http.get(url, { token: c.member2.accessToken }); // members share the pages too (SharedPages)
      await http.get(url);
      const again = await http.get(url);
      if (again.status === 200 && again.headers.get('x-cache') !== 'HIT') throw new Error(`${url} was not cached`);
    }
  }

  /** As a guest and as a member (whose own reactions and votes are laid over the shared pages). */
  async function expectNoStalePage(label: string) {
    for (const as of [null, c.member2]) {
      const opts = as ? { token: as.accessToken } : {};
      for (const url of [...watched(), ...untouched()]) {
        const [seen, truth] = [await cached.http.get(url, opts), await fresh.http.get(url, opts)];
        // Errors carry their own request id; everything else must be the same, byte for byte.
        const body = (res: { status: number; text: string; body: any }) => (res.status === 200 ? res.text : { ...res.body, requestId: undefined });
        const who = as ? 'member' : 'guest';
        expect({ label, who, url, status: seen.status, body: body(seen) }).toEqual({ label, who, url, status: truth.status, body: body(truth) });
      }
    }
  }

  async function expectCached(label: string, urls: string[]) {
    for (const url of urls) expect({ label, url, cache: (await cached.http.get(url)).headers.get('x-cache') }).toEqual({ label, url, cache: 'HIT' });
  }

  const token = (u: { accessToken: string }) => ({ token: u.accessToken });
  const ok = (res: { status: number; text: string }) => {
    if (res.status >= 400) throw new Error(`write failed: ${res.status} ${res.text}`);
    return res;
  };

  /** Writes to the watched pages (or the whole community): the untouched pages must stay cached unless `clearsAll`. */
  const writes: Array<[string, () => Promise<unknown>, { clearsAll?: boolean }?]> = [
    ['reply', () => reply(cached.http, c.member2.accessToken, thread.id, 'another reply')],
    ['edit a post', () => cached.http.patch(`/api/v1/posts/${thread.firstPost.id}`, { body: 'edited body' }, token(c.member)).then(ok)],
    ['react', () => cached.http.put(`/api/v1/posts/${thread.firstPost.id}/reactions/love`, undefined, token(c.member2)).then(ok)],
    ['unreact', () => cached.http.delete(`/api/v1/posts/${thread.firstPost.id}/reactions/love`, token(c.member2)).then(ok)],
    ['vote', () => cached.http.put(`/api/v1/posts/${answer.id}/vote`, { value: 1 }, token(c.staff)).then(ok)],
    ['accept', () => cached.http.post(`/api/v1/threads/${question.id}/accept`, { postId: answer.id }, token(c.member)).then(ok)],
    ['official', () => cached.http.post(`/api/v1/posts/${answer.id}/official`, undefined, token(c.staff)).then(ok)],
    ['not official any more', () => cached.http.delete(`/api/v1/posts/${answer.id}/official`, token(c.staff)).then(ok)],
    ['pin', () => cached.http.post(`/api/v1/threads/${thread.id}/pin`, undefined, token(c.moderator)).then(ok)],
    ['unpin', () => cached.http.post(`/api/v1/threads/${thread.id}/unpin`, undefined, token(c.moderator)).then(ok)],
    ['lock', () => cached.http.post(`/api/v1/threads/${thread.id}/lock`, undefined, token(c.moderator)).then(ok)],
    ['unlock', () => cached.http.post(`/api/v1/threads/${thread.id}/unlock`, undefined, token(c.moderator)).then(ok)],
    ['move to the Q&A board', () => cached.http.post(`/api/v1/threads/${thread.id}/move`, { boardId: qa.id }, token(c.moderator)).then(ok)],
    ['move back', () => cached.http.post(`/api/v1/threads/${thread.id}/move`, { boardId: discussion.id }, token(c.moderator)).then(ok)],
    ['new thread', () => createThread(cached.http, c.member2.accessToken, discussion.id, { title: 'A new thread here' })],
    [
      'delete a reply',
      async () => {
        const doomed = await reply(fresh.http, c.member2.accessToken, thread.id, 'to be deleted'); // written where nothing is cached
        await prime(cached.http, watched());
        return cached.http.delete(`/api/v1/posts/${doomed.id}`, token(c.member2)).then(ok);
      },
    ],
    [
      'delete a thread (its first post)',
      async () => {
        const doomed = await createThread(fresh.http, c.member2.accessToken, discussion.id, { title: 'Soon gone' });
        await prime(cached.http, [...watched(), `/api/v1/threads/${doomed.id}`]);
        await cached.http.delete(`/api/v1/posts/${doomed.firstPost.id}`, token(c.member2)).then(ok);
        expect((await cached.http.get(`/api/v1/threads/${doomed.id}`)).status).toBe(404);
      },
    ],
    ['make a board private', () => cached.http.patch(`/api/v1/boards/${discussion.id}`, { visibility: 'members' }, token(c.admin)).then(ok), { clearsAll: true }],
    ['make it public again', () => cached.http.patch(`/api/v1/boards/${discussion.id}`, { visibility: 'public' }, token(c.admin)).then(ok), { clearsAll: true }],
    ['new board', () => createBoard(cached.http, c.admin.accessToken, c.slug, { slug: unique('b') }), { clearsAll: true }],
    ['settings', () => cached.http.patch(`/api/v1/communities/${c.slug}/settings`, { flagsToHide: 4 }, token(c.admin)).then(ok), { clearsAll: true }],
    ['close as duplicate', async () => {
      const dup = await createThread(fresh.http, c.member2.accessToken, qa.id, { title: 'Asked again' });
      await prime(cached.http, watched());
      return cached.http.post(`/api/v1/threads/${dup.id}/close-as-duplicate`, { threadId: question.id }, token(c.moderator)).then(ok);
    }, { clearsAll: true }],
  ];

  // Each row is passed whole: jest takes a test function with more parameters than a row has for a callback test.
  it.each(writes.map(([label, write, options]) => ({ label, write, options })))('$label leaves no stale page behind', async ({ label, write, options }) => {
    await prime(cached.http, [...watched(), ...untouched()]);
    await write();
    await expectNoStalePage(label);
    if (!options?.clearsAll) {
      await prime(cached.http, untouched()); // a write that re-primed the watched pages first may have left these as they were
      await expectCached(label, untouched());
    }
  });

  /** Writes that change nothing a guest sees: every page stays cached. */
  const invisible: Array<[string, () => Promise<unknown>]> = [
    ['sign-up', () => registerUser(cached.http)],
    ['log-in', () => cached.http.post('/api/v1/auth/login', { email: c.member.email, password: c.member.password }).then(ok)],
    ['refresh', async () => {
      const user = await registerUser(fresh.http);
      await prime(cached.http, [...watched(), ...untouched()]);
      return cached.http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken }).then(ok);
    }],
    ['log-out', async () => {
      const user = await registerUser(fresh.http);
      await prime(cached.http, [...watched(), ...untouched()]);
      return cached.http.post('/api/v1/auth/logout', undefined, token(user)).then(ok);
    }],
    ['join', async () => {
      const user = await registerUser(fresh.http);
      await prime(cached.http, [...watched(), ...untouched()]);
      return cached.http.post(`/api/v1/communities/${c.slug}/join`, undefined, token(user)).then(ok);
    }],
    ['a refused write', () => cached.http.post(`/api/v1/threads/${thread.id}/posts`, { body: '' }, token(c.member))],
    ['an upload (not attached yet)', async () => {
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c33' } }).png().toBuffer();
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
      const res = await fetch(`${cached.baseUrl}/api/v1/communities/${c.slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${c.member.accessToken}` } });
      expect(res.status).toBe(201);
    }],
  ];

  it.each(invisible.map(([label, write]) => ({ label, write })))('$label keeps every page cached', async ({ label, write }) => {
    await prime(cached.http, [...watched(), ...untouched()]);
    await write();
    await expectCached(label, [...watched(), ...untouched()]);
    await expectNoStalePage(label);
  });
});
