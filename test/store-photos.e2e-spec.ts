import sharp from 'sharp';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { uploadImage } from './support/fuzz/fixtures';
import { expectProblem } from './support/http';

describe('store: showcase photos the brand may reuse', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let author: TestUser;
  let member: TestUser;
  let outsiderAdmin: TestUser;
  let showcase: { id: string };
  let discussion: { id: string };
  let image: Buffer;
  const list = (query = '', token = admin.accessToken) => t.http.get(`/api/v1/communities/${slug}/store/reusable-photos${query}`, { token });

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    author = await createMember(t.http, admin.accessToken, slug);
    member = await createMember(t.http, admin.accessToken, slug);
    const elsewhere = await createCommunity(t.http, admin.accessToken);
    outsiderAdmin = await createMember(t.http, admin.accessToken, elsewhere.slug, 'admin');
    showcase = await createBoard(t.http, admin.accessToken, slug, { slug: 'showcase', kind: 'showcase' });
    discussion = await createBoard(t.http, admin.accessToken, slug, { slug: 'talk' });
    image = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#a63' } }).png().toBuffer();
  });
  afterAll(() => t?.close());

  async function photoThread(boardId: string, sku: string, consent: boolean) {
    const up = await uploadImage(t.baseUrl, author.accessToken, slug, image);
    const thread = await createThread(t.http, author.accessToken, boardId, { title: `My ${sku} setup`, body: 'Look', productSkus: [sku], attachmentIds: [up.id] });
    if (consent) expect((await t.http.put(`/api/v1/attachments/${up.id}/reuse-consent`, undefined, { token: author.accessToken })).status).toBe(200);
    return { attachmentId: up.id as string, thread };
  }

  it('lists consented showcase photos, newest consent first, by SKU; revoked consent or a deleted thread drops them', async () => {
    const first = await photoThread(showcase.id, 'GR-1', true);
    const second = await photoThread(showcase.id, 'KT-2', true);
    await photoThread(showcase.id, 'GR-1', false); // no consent
    await photoThread(discussion.id, 'GR-1', true); // not a showcase board

    const all = await list();
    expect(all.status).toBe(200);
    expect(all.body.items.map((p: any) => p.attachmentId)).toEqual([second.attachmentId, first.attachmentId]);
    expect(all.body.items[1]).toMatchObject({ threadId: first.thread.id, authorId: author.id, productSkus: ['GR-1'], consentAt: expect.any(String) });

    const bySku = await list('?sku=GR-1');
    expect(bySku.body.items.map((p: any) => p.attachmentId)).toEqual([first.attachmentId]);

    const page1 = await list('?limit=1');
    const page2 = await list(`?limit=1&cursor=${encodeURIComponent(page1.body.nextCursor)}`);
    expect([...page1.body.items, ...page2.body.items].map((p: any) => p.attachmentId)).toEqual([second.attachmentId, first.attachmentId]);

    await t.http.delete(`/api/v1/attachments/${second.attachmentId}/reuse-consent`, { token: author.accessToken });
    expect((await list()).body.items.map((p: any) => p.attachmentId)).toEqual([first.attachmentId]);
    expect((await t.http.delete(`/api/v1/posts/${first.thread.firstPost.id}`, { token: author.accessToken })).status).toBe(204);
    expect((await list()).body.items).toEqual([]);
  });

  it('is for the community\'s admins only', async () => {
    expectProblem(await list('', member.accessToken), 403, 'FORBIDDEN');
    expectProblem(await list('', outsiderAdmin.accessToken), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/store/reusable-photos`), 401, 'UNAUTHENTICATED');
    expectProblem(await list('?sku=bad sku'), 400, 'VALIDATION_FAILED');
  });
});
