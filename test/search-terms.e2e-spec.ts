import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';

/**
 * What customers search for (GET /communities/:slug/search/terms): first pages of searches counted by
 * their text, what found nothing the searcher could see, per community; staff only.
 */
describe('search terms: what customers look for, and what they do not find', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let member: TestUser;
  let staff: TestUser;
  let otherSlug: string;
  let otherAdmin: TestUser;
  const search = (q: string, extra = '', token?: string) =>
    t.http.get(`/api/v1/communities/${slug}/search?q=${encodeURIComponent(q)}${extra}`, token ? { token } : {});
  const terms = (query = '', token = staff.accessToken, community = slug) => t.http.get(`/api/v1/communities/${community}/search/terms${query}`, { token });

  beforeAll(async () => {
    t = await startApp();
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    member = await createMember(t.http, admin.accessToken, slug);
    staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: 'machines' });
    const back = await createBoard(t.http, admin.accessToken, slug, { slug: 'back', visibility: 'staff' });
    await createThread(t.http, member.accessToken, board.id, { title: 'How to descale the X100', body: 'Citric acid, then rinse twice.' });
    await createThread(t.http, member.accessToken, board.id, { title: 'Grinder too loud', body: 'The grinder rattles.' });
    await createThread(t.http, member.accessToken, board.id, { title: 'Grinder burrs', body: 'Which grinder burrs last?' });
    await createThread(t.http, staff.accessToken, back.id, { title: 'Recall plan', body: 'Internal recall plan for the K3.' });
    ({ slug: otherSlug } = await createCommunity(t.http, admin.accessToken));
    otherAdmin = await createMember(t.http, admin.accessToken, otherSlug, 'admin');
  });
  afterAll(() => t?.close());

  it('counts first pages by their text, and what found nothing the searcher could see', async () => {
    for (const q of ['descale', 'Descale ', '  DESCALE   ']) expect((await search(q)).status).toBe(200);
    expect((await search('descale', '', member.accessToken)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await search('milk frother')).body.items).toEqual([]);
    // A guest finds nothing on the staff board: that search found nothing for them.
    expect((await search('recall plan')).body.items).toEqual([]);
    // Staff find it: same text, found.
    expect((await search('recall plan', '', staff.accessToken)).body.items).toHaveLength(1);
    // The second page of a search is not another search.
    const first = await search('grinder', '&limit=1');
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await search('grinder', `&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`)).body.items).toHaveLength(1);
    // Suggestions (per keystroke) are not counted; nor are another community's searches.
    expect((await t.http.get(`/api/v1/communities/${slug}/search/suggest?q=desc`)).status).toBe(200);
    expect((await t.http.get(`/api/v1/communities/${otherSlug}/search?q=descale`)).status).toBe(200);

    const res = await terms();
    expect(res.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body).toEqual({
      from: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      to: today,
      top: [
        { term: 'descale', searches: 4, zeroResults: 0 },
        { term: 'milk frother', searches: 3, zeroResults: 3 },
        { term: 'recall plan', searches: 2, zeroResults: 1 },
        { term: 'grinder', searches: 1, zeroResults: 0 },
      ],
      noResults: [
        { term: 'milk frother', searches: 3, zeroResults: 3 },
        { term: 'recall plan', searches: 2, zeroResults: 1 },
      ],
    });
    expect((await terms('?limit=1')).body.top).toEqual([{ term: 'descale', searches: 4, zeroResults: 0 }]);
    // The other community's staff see only their own (a community with no boards yet finds nothing).
    expect((await terms('', otherAdmin.accessToken, otherSlug)).body.top).toEqual([{ term: 'descale', searches: 1, zeroResults: 1 }]);
    // A range that ended yesterday has none of today's.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect((await terms(`?from=${yesterday}T00:00:00Z&to=${today}T00:00:00Z`)).body).toEqual({ from: yesterday, to: yesterday, top: [], noResults: [] });
  });

  it('is for staff of the community only', async () => {
    expect((await t.http.get(`/api/v1/communities/${slug}/search/terms`)).status).toBe(401);
    expect((await terms('', member.accessToken)).status).toBe(403);
    expect([403, 404]).toContain((await terms('', otherAdmin.accessToken)).status);
    expect((await terms('', admin.accessToken)).status).toBe(200);
    const moderator = await createMember(t.http, admin.accessToken, slug, 'moderator');
    expect((await terms('', moderator.accessToken)).status).toBe(200);
  });

  it('refuses bad ranges and limits with problem+json', async () => {
    for (const query of ['?limit=0', '?limit=101', '?limit=abc', '?from=yesterday', '?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', '?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z']) {
      const res = await terms(query);
      expect({ query, status: res.status, type: res.headers.get('content-type') }).toEqual({ query, status: 400, type: expect.stringContaining('application/problem+json') });
    }
    expect((await t.http.get(`/api/v1/communities/nope-nope/search/terms`, { token: staff.accessToken })).status).toBe(404);
  });

  it('keeps what an instance counted when it shuts down', async () => {
    const second = t.databaseUrl ? await startApp({ databaseUrl: t.databaseUrl }) : await startApp({ options: { database: t.database } });
    try {
      expect((await second.http.get(`/api/v1/communities/${slug}/search?q=${encodeURIComponent('water filter')}`)).status).toBe(200);
    } finally {
      await second.close();
    }
    expect((await terms()).body.noResults).toContainEqual({ term: 'water filter', searches: 1, zeroResults: 1 });
  });
});
