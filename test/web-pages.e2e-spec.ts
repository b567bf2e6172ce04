import { startApp, TestApp } from './support/app';
import { createBoard, createCast, createThread, reply } from './support/content';
import { Cast } from './support/content';
import { registerUser } from './support/factories';
import { PageClient } from './support/page-client';

/** The web pages over plain HTTP (no browser): HTML, sessions, CSRF, guest cache and the API kept apart. */
describe('web pages (HTTP)', () => {
  let t: TestApp;
  let cast: Cast;
  let board: { id: string; slug: string };
  let thread: any;

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'general', name: 'General talk' });
    thread = await createThread(t.http, cast.member.accessToken, board.id, { title: 'Which kettle is best?', body: 'I need a **fast** kettle.', tags: ['kettles'] });
    await reply(t.http, cast.staff.accessToken, thread.id, 'The K2 boils in 90 seconds.');
  }, 180_000);
  afterAll(() => t?.close());


  async function signIn(email: string, password: string): Promise<PageClient> {
    const b = new PageClient(t.baseUrl);
    const page = await b.get('/login');
    const res = await b.post('/login', { _csrf: b.csrfFrom(page.text), email, password, next: '/' });
    expect(res.status).toBe(303);
    return b;
  }

  it('serves the community home, a board and a thread as HTML with canonical and Open Graph tags', async () => {
    const guest = new PageClient(t.baseUrl);
    const home = await guest.get(`/c/${cast.slug}`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.text).toContain('<html lang="en">');
    expect(home.text).toContain(`<link rel="canonical" href="${t.config.publicUrl}/c/${cast.slug}">`);
    expect(home.text).toContain('Which kettle is best?');
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect(home.headers.get('content-security-policy')).not.toContain('unsafe-inline');

    const boardPage = await guest.get(`/c/${cast.slug}/b/general`);
    expect(boardPage.status).toBe(200);
    expect(boardPage.text).toContain(`/t/${thread.id}/which-kettle-is-best`);

    const short = await guest.get(`/t/${thread.id}`);
    expect(short.status).toBe(301);
    expect(short.headers.get('location')).toBe(`/t/${thread.id}/which-kettle-is-best`);
    const page = await guest.get(`/t/${thread.id}/which-kettle-is-best`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<p>I need a <strong>fast</strong> kettle.</p>');
    expect(page.text).toContain('The K2 boils in 90 seconds.');
    expect(page.text).toContain('<span class="badge badge-role">Staff</span>');
    expect(page.text).toContain('<meta property="og:title" content="Which kettle is best? · ');
    expect(page.text).toContain('to reply.');
    expect(page.text).not.toContain('name="_csrf"');
  });

  it('answers unknown pages with an HTML 404 and unknown API routes with problem+json as before', async () => {
    const guest = new PageClient(t.baseUrl);
    const missing = await guest.get('/t/00000000-0000-4000-8000-000000000000/x');
    expect([missing.status, missing.headers.get('content-type')]).toEqual([404, 'text/html; charset=utf-8']);
    expect(missing.text).toContain('Thread not found');
    const api = await t.http.get('/api/v1/nothing-here');
    expect([api.status, api.headers.get('content-type')]).toEqual([404, 'application/problem+json; charset=utf-8']);
  });

  it('serves guests from the guest cache, and never a member (session cookie) from it', async () => {
    const path = `/t/${thread.id}/which-kettle-is-best`;
    await new PageClient(t.baseUrl).get(path);
    const second = await new PageClient(t.baseUrl).get(path);
    expect(second.headers.get('x-cache')).toBe('HIT');
    const member = await signIn(cast.member.email, cast.member.password);
    const mine = await member.get(path);
    expect(mine.headers.get('x-cache')).toBeNull();
    expect(mine.text).toContain('id="reply-form"');
    expect(mine.headers.get('cache-control')).toBe('private, no-store');
  });

  it('drops the guests\' cached community home when a board of it gets a new thread', async () => {
    const path = `/c/${cast.slug}`;
    await new PageClient(t.baseUrl).get(path);
    expect((await new PageClient(t.baseUrl).get(path)).headers.get('x-cache')).toBe('HIT');
    await createThread(t.http, cast.member2.accessToken, board.id, { title: 'Kettle lids that stay shut' });
    const fresh = await new PageClient(t.baseUrl).get(path);
    expect(fresh.headers.get('x-cache')).toBe('MISS');
    expect(fresh.text).toContain('Kettle lids that stay shut');
  });

  it('logs in with a cookie bound to the server session: the API refuses the cookie, log-out ends the session everywhere', async () => {
    const b = await signIn(cast.member.email, cast.member.password);
    const cookie = b.cookies.get('hearth_session')!;
    expect(cookie).toMatch(/^hrt_/);
    const api = await fetch(`${t.baseUrl}/api/v1/me`, { headers: { cookie: `hearth_session=${cookie}` } });
    expect(api.status).toBe(401);
    const sessions = await t.http.get('/api/v1/me/sessions', { token: cast.member.accessToken });
    const before = sessions.body.items.length;
    const page = await b.get(`/c/${cast.slug}`);
    const out = await b.post('/logout', { _csrf: b.csrfFrom(page.text) });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/']);
    expect(b.cookies.has('hearth_session')).toBe(false);
    const after = await t.http.get('/api/v1/me/sessions', { token: cast.member.accessToken });
    expect(after.body.items.length).toBe(before - 1);
    // The old cookie no longer signs anyone in.
    const stale = await fetch(`${t.baseUrl}/c/${cast.slug}`, { headers: { cookie: `hearth_session=${cookie}` } });
    expect(await stale.text()).toContain('>Log in</a>');
  });

  it('refuses a form without its CSRF token, with another session\'s token, or from another site', async () => {
    const b = await signIn(cast.member.email, cast.member.password);
    const page = await b.get(`/t/${thread.id}/which-kettle-is-best`);
    const token = b.csrfFrom(page.text);
    const none = await b.post(`/t/${thread.id}/reply`, { body: 'no token' });
    expect(none.status).toBe(403);
    expect(none.text).toContain('This form has expired or did not come from this site');
    const other = await signIn(cast.member2.email, cast.member2.password);
    const otherToken = other.csrfFrom((await other.get(`/c/${cast.slug}`)).text);
    expect((await b.post(`/t/${thread.id}/reply`, { _csrf: otherToken, body: 'stolen token' })).status).toBe(403);
    expect((await b.post(`/t/${thread.id}/reply`, { _csrf: token, body: 'cross site' }, { origin: 'https://evil.example' })).status).toBe(403);
    const ok = await b.post(`/t/${thread.id}/reply`, { _csrf: token, body: 'A real reply' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(new RegExp(`^/t/${thread.id}/which-kettle-is-best#post-[0-9a-f-]{36}$`));
    const posts = await t.http.get(`/api/v1/threads/${thread.id}/posts`);
    expect(posts.body.items.map((p: any) => p.body)).toEqual(['I need a **fast** kettle.', 'The K2 boils in 90 seconds.', 'A real reply']);
  });

  it('registers, joins, posts a thread (with errors shown beside the fields first)', async () => {
    const b = new PageClient(t.baseUrl);
    const asGuest = await b.get(`/c/${cast.slug}/b/general/new`);
    expect([asGuest.status, asGuest.headers.get('location')]).toEqual([303, `/login?next=${encodeURIComponent(`/c/${cast.slug}/b/general/new`)}`]);
    const reg = await b.get('/register?next=/c/' + cast.slug);
    const email = `web-${Date.now()}@example.com`;
    const bad = await b.post('/register', { _csrf: b.csrfFrom(reg.text), email, displayName: 'Wendy', password: 'short', next: `/c/${cast.slug}` });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('id="register-password-error"');
    const done = await b.post('/register', { _csrf: b.csrfFrom(bad.text), email, displayName: 'Wendy', password: 'a long enough password 1', next: `/c/${cast.slug}` });
    expect([done.status, done.headers.get('location')]).toEqual([303, `/c/${cast.slug}`]);
    const home = await b.get(`/c/${cast.slug}`);
    expect(home.text).toContain(`Join Community ${cast.slug}`);
    const joined = await b.post(`/c/${cast.slug}/join`, { _csrf: b.csrfFrom(home.text), next: `/c/${cast.slug}/b/general/new` });
    expect([joined.status, joined.headers.get('location')]).toEqual([303, `/c/${cast.slug}/b/general/new`]);
    const form = await b.get(`/c/${cast.slug}/b/general/new`);
    const csrf = b.csrfFrom(form.text);
    const invalid = await b.post(`/c/${cast.slug}/b/general/new`, { _csrf: csrf, title: 'ab', body: 'x', tags: 'Not A Tag!' });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain('id="thread-title-error"');
    expect(invalid.text).toContain('id="thread-tags-error"');
    const created = await b.post(`/c/${cast.slug}/b/general/new`, { _csrf: csrf, title: 'Descaling my kettle', body: 'Vinegar or citric acid?', tags: 'kettles, care', productSkus: 'K2' });
    expect(created.status).toBe(303);
    const threadPage = await b.get(created.headers.get('location')!);
    expect(threadPage.text).toContain('<h1>Descaling my kettle</h1>');
    expect(threadPage.text).toContain('#care</a>');
    expect(threadPage.text).toContain('SKU K2</a>');
  });

  it('lists a board\'s threads 25 a page, pinned first, filtered by tag and SKU', async () => {
    const busy = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'busy', name: 'Busy board' });
    const made = [];
    for (let i = 1; i <= 27; i++) {
      made.push(await createThread(t.http, cast.member.accessToken, busy.id, { title: `Thread number ${i}`, tags: i % 9 === 0 ? ['nines'] : [], productSkus: i === 5 ? ['SKU-5'] : [] }));
    }
    expect((await t.http.post(`/api/v1/threads/${made[0].id}/pin`, undefined, { token: cast.moderator.accessToken })).status).toBe(200);
    const b = new PageClient(t.baseUrl);
    const titles = (html: string) => [...html.matchAll(/<a href="\/t\/[^"]+">(Thread number \d+)<\/a>/g)].map((m) => m[1]);
    const first = await b.get(`/c/${cast.slug}/b/busy`);
    expect(titles(first.text)).toEqual(['Thread number 1', ...Array.from({ length: 24 }, (_, i) => `Thread number ${27 - i}`)]);
    expect(first.text).toContain('<span class="badge badge-pinned">Pinned</span>');
    const next = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(first.text)![1].replaceAll('&amp;', '&');
    const second = await b.get(next);
    expect(titles(second.text)).toEqual(['Thread number 3', 'Thread number 2']);
    expect(second.text).toContain('<meta name="robots" content="noindex">');
    expect(titles((await b.get(`/c/${cast.slug}/b/busy?tag=nines`)).text)).toEqual(['Thread number 27', 'Thread number 18', 'Thread number 9']);
    expect(titles((await b.get(`/c/${cast.slug}/b/busy?sku=SKU-5&sort=top`)).text)).toEqual(['Thread number 5']);
    const bad = await b.get(`/c/${cast.slug}/b/busy?sort=sideways`);
    expect([bad.status, bad.headers.get('content-type')]).toEqual([400, 'text/html; charset=utf-8']);
  });

  it('searches with highlighted snippets', async () => {
    const res = await new PageClient(t.baseUrl).get(`/c/${cast.slug}/search?q=kettle`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<mark>');
    expect(res.text).toContain('Which kettle is best?');
  });

  it('serves assets under hashed names, cached for a year', async () => {
    const page = await new PageClient(t.baseUrl).get(`/c/${cast.slug}`);
    const css = /href="(\/assets\/app\.[0-9a-f]{12}\.css)"/.exec(page.text)![1];
    const res = await fetch(t.baseUrl + css);
    expect([res.status, res.headers.get('cache-control'), res.headers.get('content-type')]).toEqual([200, 'public, max-age=31536000, immutable', 'text/css; charset=utf-8']);
    expect((await fetch(`${t.baseUrl}/assets/app.000000000000.css`)).status).toBe(404);
  });

  it('keeps the JavaScript of a page under 100 KB, all of it from our origin', async () => {
    const page = await new PageClient(t.baseUrl).get(`/t/${thread.id}/which-kettle-is-best`);
    const scripts = [...page.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.map((s) => s.replace(/\.[0-9a-f]{12}\./, '.'))).toEqual(['/assets/app.js', '/assets/socket.io.min.js', '/assets/thread.js']);
    const sizes = await Promise.all(scripts.map(async (s) => (await (await fetch(t.baseUrl + s)).arrayBuffer()).byteLength));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(100 * 1024);
    expect(page.text).not.toMatch(/<script>|<script [^>]*>[^<]/);
  });

  it('marks the cookies Secure when PUBLIC_URL is https', async () => {
    const secure = await startApp({ env: { PUBLIC_URL: 'https://community.example' } });
    try {
      const res = await fetch(`${secure.baseUrl}/login`);
      expect(res.headers.getSetCookie()).toEqual([expect.stringMatching(/^hearth_csrf=[\w-]{32}; Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax; Secure$/)]);
    } finally {
      await secure.close();
    }
  });

  it('lists the communities at / (a registered user with none joined sees them all)', async () => {
    await registerUser(t.http);
    const res = await new PageClient(t.baseUrl).get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain(`href="/c/${cast.slug}"`);
  });
});
