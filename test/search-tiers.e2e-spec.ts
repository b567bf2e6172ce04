import { Db } from '../src/core/database/db.service';
import { SearchRecentPruner } from '../src/threads/search-recent.pruner';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';

/**
 * Search ranks in tiers once a community has more than SEARCH_RECENT_POSTS posts: FAQ entries, then
 * the newest posts, then the older ones, each tier by relevance. Here the recent tier is 4 posts.
 * A trigger on posts keeps the tier in step with writes; the pruner trims it.
 */
describe('search tiers', () => {
  let t: TestApp;
  let slug: string;
  let communityId: string;
  let member: TestUser;
  let recentThreadId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApp({ env: { SEARCH_RECENT_POSTS: '4' } });
    const admin = await loginAdmin(t.http);
    ({ slug, id: communityId } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    member = await createMember(t.http, admin.accessToken, slug);
    const staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
    const qa = await createBoard(t.http, admin.accessToken, slug, { slug: 'questions', kind: 'qa' });
    // Oldest first. The FAQ answer and the strongest match are old; the newest four posts match weakly.
    const question = await createThread(t.http, member.accessToken, qa.id, { title: 'Which descaler?', body: 'Asking about cleaning' });
    ids.question = question.firstPost.id; // its title matches
    const faq = await reply(t.http, staff.accessToken, question.id, 'Use the descaler from the kit');
    expect((await t.http.post(`/api/v1/posts/${faq.id}/official`, undefined, { token: staff.accessToken })).status).toBe(200);
    expect((await t.http.post(`/api/v1/posts/${faq.id}/faq`, undefined, { token: staff.accessToken })).status).toBe(201);
    ids.faq = faq.id;
    ids.strong = (await createThread(t.http, member.accessToken, board.id, { title: 'Descaler descaler descaler', body: 'descaler descaler descaler descaler' })).firstPost.id;
    ids.older = (await createThread(t.http, member.accessToken, board.id, { title: 'Old note', body: 'a descaler once' })).firstPost.id;
    const recent = await createThread(t.http, member.accessToken, board.id, { title: 'Weekly cleaning', body: 'descaler twice, descaler' });
    recentThreadId = recent.id;
    ids.recent1 = recent.firstPost.id;
    ids.recent2 = (await reply(t.http, member.accessToken, recent.id, 'the descaler worked')).id;
    ids.recent3 = (await reply(t.http, member.accessToken, recent.id, 'nothing to see here')).id;
    ids.recent4 = (await reply(t.http, member.accessToken, recent.id, 'descaler, descaler, descaler!')).id;
    // What the server does every few seconds for the communities it posted in: the tier keeps the newest 4 posts.
    await t.app.get(SearchRecentPruner).trimPosted();
    expect(await t.app.get(Db).query('SELECT 1 FROM search_recent WHERE community_id = $1', [communityId])).toHaveLength(4);
    // A pass over every community finds nothing more to trim.
    expect(await t.app.get(SearchRecentPruner).prune()).toBe(0);
  });
  afterAll(() => t?.close());

  const search = async (q: string) => {
    const res = await t.http.get(`/api/v1/communities/${slug}/search?${q}`);
    expect(res.status).toBe(200);
    return res.body as { items: Array<{ post: { id: string } }>; nextCursor: string | null };
  };

  it('ranks the FAQ first, then the newest posts, then older ones, each by relevance', async () => {
    const { items } = await search('q=descaler');
    expect(items.map((i) => i.post.id)).toEqual([ids.faq, ids.recent4, ids.recent1, ids.recent2, ids.strong, ids.question, ids.older]);
  });

  it('pages across the tiers without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(`q=descaler&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((i) => i.post.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([ids.faq, ids.recent4, ids.recent1, ids.recent2, ids.strong, ids.question, ids.older]);
  });

  it('follows edits and deletions in the recent tier, and new posts enter it', async () => {
    const db = t.app.get(Db);
    const tier = async () => (await db.query<{ post_id: string }>('SELECT post_id FROM search_recent WHERE community_id = $1', [communityId])).map((r) => r.post_id).sort();
    expect(await tier()).toEqual([ids.recent1, ids.recent2, ids.recent3, ids.recent4].sort());
    expect((await t.http.patch(`/api/v1/posts/${ids.recent3}`, { body: 'now about the descaler too' }, { token: member.accessToken })).status).toBe(200);
    expect((await search('q=descaler')).items.map((i) => i.post.id)).toContain(ids.recent3);
    expect((await t.http.delete(`/api/v1/posts/${ids.recent2}`, { token: member.accessToken })).status).toBe(204);
    expect(await tier()).toEqual([ids.recent1, ids.recent3, ids.recent4].sort());
    expect((await search('q=descaler')).items.map((i) => i.post.id)).not.toContain(ids.recent2);
    const fresh = await reply(t.http, member.accessToken, recentThreadId, 'brand new descaler news');
    expect(await tier()).toContain(fresh.id);
    const order = (await search('q=descaler')).items.map((i) => i.post.id);
    expect(order.indexOf(fresh.id)).toBeGreaterThan(0); // after the FAQ entry
    expect(order.indexOf(fresh.id)).toBeLessThan(order.indexOf(ids.strong)); // with the recent posts, before the older tier
  });

  it('finds a term that only older posts hold', async () => {
    expect((await search('q=asking+cleaning')).items.map((i) => i.post.id)).toEqual([ids.question]);
    expect((await search('q=%22old+note%22')).items.map((i) => i.post.id)).toEqual([ids.older]);
  });
});
