import sharp from 'sharp';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread } from './support/content';
import { PageClient, signInPage } from './support/page-client';

/** Photos on the pages: /media/:fileName with the page's session cookie, by the same rules as the API's /uploads. */
describe('photos on the pages (/media)', () => {
  let t: TestApp;
  let cast: Cast;
  let publicPhoto: string;
  let membersPhoto: string;
  let membersThread: { id: string };

  async function upload(): Promise<{ id: string; url: string }> {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#3a6' } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
    const res = await fetch(`${t.baseUrl}/api/v1/communities/${cast.slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${cast.member.accessToken}` } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; url: string };
  }
  const fileOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    const open = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'open' });
    const closed = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'closed', visibility: 'members' });
    const a = await upload();
    await createThread(t.http, cast.member.accessToken, open.id, { title: 'Public photo thread', body: 'Look', attachmentIds: [a.id] });
    const b = await upload();
    membersThread = await createThread(t.http, cast.member.accessToken, closed.id, { title: 'Members photo thread', body: 'Look', attachmentIds: [b.id] });
    publicPhoto = fileOf(a.url);
    membersPhoto = fileOf(b.url);
  }, 120_000);
  afterAll(() => t?.close());

  it('links photos through /media and serves a members-only photo to a member with the session cookie, not to a guest', async () => {
    const member = await signInPage(t.baseUrl, cast.member.email, cast.member.password);
    const page = await member.get(`/t/${membersThread.id}/members-photo-thread`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<img src="/media/${membersPhoto}"`);
    expect(page.text).not.toContain('/api/v1/uploads/');

    const mine = await fetch(`${t.baseUrl}/media/${membersPhoto}`, { headers: { cookie: member.cookieHeader() } });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('content-type')).toBe('image/png');
    expect(mine.headers.get('cache-control')).toBe('private, no-store');
    expect(mine.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await sharp(Buffer.from(await mine.arrayBuffer())).metadata()).width).toBe(8);

    expect((await new PageClient(t.baseUrl).get(`/media/${membersPhoto}`)).status).toBe(404);
    // The API's own route still wants the bearer token.
    expect((await fetch(`${t.baseUrl}/api/v1/uploads/${membersPhoto}`, { headers: { cookie: member.cookieHeader() } })).status).toBe(404);
  });

  it('shows a photo written inline in the markdown (an attached upload) through /media on a members-only board', async () => {
    const c = await upload();
    const name = fileOf(c.url);
    const closed = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'closed-inline', visibility: 'members' });
    const thread = await createThread(t.http, cast.member.accessToken, closed.id, {
      title: 'Inline photo thread',
      body: `Before ![the grinder](/api/v1/uploads/${name}) after`,
      attachmentIds: [c.id],
    });
    // The API keeps the API's address (clients send a bearer token).
    const api = await t.http.get(`/api/v1/threads/${thread.id}/posts`, { token: cast.member2.accessToken });
    expect(api.body.items[0].html).toContain(`<img src="/api/v1/uploads/${name}"`);
    const reader = await signInPage(t.baseUrl, cast.member2.email, cast.member2.password);
    const page = await reader.get(`/t/${thread.id}/inline-photo-thread`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<img src="/media/${name}" alt="the grinder"`);
    expect(page.text).not.toContain('<img src="/api/v1/uploads/');
    const img = await fetch(`${t.baseUrl}/media/${name}`, { headers: { cookie: reader.cookieHeader() } });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
  });

  it('serves a public photo to anyone, cached publicly; unknown and malformed names are 404', async () => {
    const res = await fetch(`${t.baseUrl}/media/${publicPhoto}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await new PageClient(t.baseUrl).get(`/media/${'0'.repeat(32)}.png`)).status).toBe(404);
    expect((await new PageClient(t.baseUrl).get('/media/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
  });
});
