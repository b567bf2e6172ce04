import sharp from 'sharp';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { expectProblem } from './support/http';

describe('search', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let member: TestUser;
  let staff: TestUser;
  let outsider: TestUser;
  let pub: { id: string };
  let staffBoard: { id: string };
  let membersBoard: { id: string };

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    member = await createMember(t.http, admin.accessToken, slug);
    staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    const other = await createCommunity(t.http, admin.accessToken);
    outsider = await createMember(t.http, admin.accessToken, other.slug);
    pub = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
    membersBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'members', visibility: 'members' });
    staffBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'staff', visibility: 'staff' });
    const grinder = await createThread(t.http, member.accessToken, pub.id, {
      title: 'Coffee grinder review',
      body: 'The burr grinder makes great espresso. <b>bold</b> claims',
      tags: ['coffee'],
      productSkus: ['GR-1'],
    });
    await reply(t.http, member.accessToken, grinder.id, 'My grinder broke after a week, the motor is weak');
    await createThread(t.http, member.accessToken, membersBoard.id, { title: 'Members talk about grinders', body: 'A grinder for members only' });
    await createThread(t.http, staff.accessToken, staffBoard.id, { title: 'Internal grinder recall plan', body: 'Grinder recall is confidential' });
    await createThread(t.http, member.accessToken, pub.id, { title: 'Kettle thoughts', body: 'Nothing about the other machine', tags: ['tea'], productSkus: ['KT-9'] });
  });
  afterAll(() => t?.close());

  const search = (q: string, token?: string) => t.http.get(`/api/v1/communities/${slug}/search?${q}`, { token });
  const titles = async (q: string, token?: string) =>
    (await search(q, token)).body.items.map((h: { thread: { title: string } }) => h.thread.title);

  it('finds titles and bodies, ranked, with escaped, highlighted snippets', async () => {
    const res = await search('q=grinder');
    expect(res.status).toBe(200);
    // One hit per thread: the thread's first post and its reply both match, the thread is listed once.
    expect(res.body.items.length).toBe(1);
    const first = res.body.items[0];
    expect(first).toEqual({ thread: expect.objectContaining({ title: 'Coffee grinder review' }), post: expect.objectContaining({ postNumber: 1 }), snippet: expect.any(String) });
    expect(first.snippet).toContain('<mark>grinder</mark>');
    expect(first.snippet).not.toContain('<b>');
    // Only our <mark> tags are markup; everything from the post is text.
    expect(first.snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    expect(await titles('q=' + encodeURIComponent('"motor is weak"'))).toEqual(['Coffee grinder review']);
    expect(await titles('q=' + encodeURIComponent('grinder -espresso'))).toEqual(['Coffee grinder review']);
  });

  it('respects board visibility for guests, outsiders, members and staff', async () => {
    expect(new Set(await titles('q=grinder'))).toEqual(new Set(['Coffee grinder review']));
    expect(new Set(await titles('q=grinder', outsider.accessToken))).toEqual(new Set(['Coffee grinder review']));
    expect(new Set(await titles('q=grinder', member.accessToken))).toEqual(new Set(['Coffee grinder review', 'Members talk about grinders']));
    expect(new Set(await titles('q=grinder', staff.accessToken))).toEqual(
      new Set(['Coffee grinder review', 'Members talk about grinders', 'Internal grinder recall plan']),
    );
    expect(await titles('q=recall', member.accessToken)).toEqual([]);
    expect(await titles(`q=recall&board=${staffBoard.id}`, member.accessToken)).toEqual([]);
  });

  it('filters by board, tag and SKU', async () => {
    expect(await titles(`q=grinder&board=${membersBoard.id}`, staff.accessToken)).toEqual(['Members talk about grinders']);
    expect(new Set(await titles('q=grinder&tag=coffee', staff.accessToken))).toEqual(new Set(['Coffee grinder review']));
    expect(await titles('q=grinder&sku=KT-9', staff.accessToken)).toEqual([]);
    expect(await titles('q=machine&sku=KT-9')).toEqual(['Kettle thoughts']);
  });

  it('pages results and rejects bad queries', async () => {
    const page1 = await search('q=grinder&limit=1', staff.accessToken);
    const page2 = await search(`q=grinder&limit=1&cursor=${page1.body.nextCursor}`, staff.accessToken);
    expect(page1.body.items).toHaveLength(1);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].post.id).not.toBe(page1.body.items[0].post.id);
    expectProblem(await search(''), 400, 'VALIDATION_FAILED');
    expectProblem(await search('q=%20%20'), 400, 'VALIDATION_FAILED');
    expectProblem(await search(`q=${'x'.repeat(201)}`), 400, 'VALIDATION_FAILED');
    expectProblem(await search('q=a&board=nope'), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.get('/api/v1/communities/nowhere/search?q=x'), 404, 'NOT_FOUND');
    // Query syntax users type never errors.
    expect((await search('q=' + encodeURIComponent('"unclosed & | ! ( :*'))).status).toBe(200);
  });
});

describe('image uploads', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let member: TestUser;
  let other: TestUser;
  let board: { id: string };

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    member = await createMember(t.http, admin.accessToken, slug);
    other = await createMember(t.http, admin.accessToken, slug);
    board = await createBoard(t.http, admin.accessToken, slug, { slug: 'showcase', kind: 'showcase' });
  });
  afterAll(() => t?.close());

  async function upload(token: string | undefined, data: Buffer, filename = 'photo.jpg', type = 'image/jpeg') {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(data)], { type }), filename);
    const res = await fetch(`${t.baseUrl}/api/v1/communities/${slug}/uploads`, {
      method: 'POST',
      body: form,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers, text };
  }

  const photoWithGps = () =>
    sharp({ create: { width: 120, height: 80, channels: 3, background: '#3a6' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Phone' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .toBuffer();

  it('stores a re-encoded photo without metadata and serves it with safe headers', async () => {
    const input = await photoWithGps();
    expect((await sharp(input).metadata()).exif).toBeDefined();
    const res = await upload(member.accessToken, input, 'evil.svg', 'image/svg+xml');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      url: expect.stringMatching(/\/api\/v1\/uploads\/[0-9a-f]{32}\.jpg$/),
      contentType: 'image/jpeg',
      width: 120,
      height: 80,
      bytes: expect.any(Number),
      reuseConsent: false,
      reuseConsentAt: null,
    });
    const path = new URL(res.body.url).pathname;
    // Not attached yet: only its uploader may fetch it (see security-access.e2e-spec.ts).
    const served = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${member.accessToken}` } });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-security-policy')).toContain("default-src 'none'");
    const bytes = Buffer.from(await served.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.exif).toBeUndefined();
    expect((await fetch(`${t.baseUrl}/api/v1/uploads/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/api/v1/uploads/${'0'.repeat(32)}.jpg`)).status).toBe(404);
  });

  it('attaches photos to a showcase thread, and records reuse consent', async () => {
    const up = await upload(member.accessToken, await photoWithGps());
    expectProblem(
      await t.http.post(`/api/v1/boards/${board.id}/threads`, { title: 'Not my photo', body: 'x', attachmentIds: [up.body.id] }, { token: other.accessToken }),
      400,
      'VALIDATION_FAILED',
    );
    const thread = await createThread(t.http, member.accessToken, board.id, { title: 'My kitchen', body: 'Look!', attachmentIds: [up.body.id] });
    expect(thread.firstPost.attachments).toEqual([expect.objectContaining({ id: up.body.id, url: up.body.url })]);
    // An attachment is used once.
    expectProblem(await t.http.post(`/api/v1/threads/${thread.id}/posts`, { body: 'again', attachmentIds: [up.body.id] }, { token: member.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.put(`/api/v1/attachments/${up.body.id}/reuse-consent`, undefined, { token: other.accessToken }), 404, 'NOT_FOUND');
    const granted = await t.http.put(`/api/v1/attachments/${up.body.id}/reuse-consent`, undefined, { token: member.accessToken });
    expect(granted.status).toBe(200);
    expect(granted.body).toEqual(expect.objectContaining({ reuseConsent: true, reuseConsentAt: expect.any(String) }));
    const revoked = await t.http.delete(`/api/v1/attachments/${up.body.id}/reuse-consent`, { token: member.accessToken });
    expect(revoked.body).toEqual(expect.objectContaining({ reuseConsent: false, reuseConsentAt: null }));
    const events = await t.http.get(`/api/v1/threads/${thread.id}`);
    expect(events.body.firstPost.attachments[0].reuseConsent).toBe(false);
  });

  it('rejects what is not a safe image', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>');
    expectProblem(await upload(member.accessToken, svg, 'cat.jpg', 'image/jpeg') as never, 415, 'UNSUPPORTED_IMAGE_TYPE');
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    expectProblem(await upload(member.accessToken, html, 'cat.png', 'image/png') as never, 415, 'UNSUPPORTED_IMAGE_TYPE');
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);
    expectProblem(await upload(member.accessToken, corrupt) as never, 422, 'IMAGE_CORRUPT');
    // A decompression bomb: tiny file, 100 million pixels in its header.
    const bomb = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: '#000' } }).png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expectProblem(await upload(member.accessToken, bomb, 'bomb.png', 'image/png') as never, 422, 'IMAGE_TOO_MANY_PIXELS');
    const huge = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(10 * 1024 * 1024 + 100, 1)]);
    const tooBig = await upload(member.accessToken, huge, 'big.png', 'image/png');
    expect(tooBig.status).toBe(413);
    const noFile = await fetch(`${t.baseUrl}/api/v1/communities/${slug}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${member.accessToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(noFile.status).toBe(415);
    expect((await upload(undefined, await photoWithGps())).status).toBe(401);
    const outsiderCommunity = await createCommunity(t.http, admin.accessToken);
    const outsider = await createMember(t.http, admin.accessToken, outsiderCommunity.slug);
    expect((await upload(outsider.accessToken, await photoWithGps())).status).toBe(403);
  });
});
