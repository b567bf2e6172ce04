import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread } from './support/content';
import { createCommunity, createMember, eventually, TestUser } from './support/factories';
import { expectProblem } from './support/http';

const TYPES = ['post', 'thread', 'message', 'user', 'community'];
const DAY = 86_400_000;
const JAN_1 = Date.parse('2025-01-01T00:00:00Z');

/**
 * The audit log's filters by target type and date range ([from, to) on created_at), alone, combined
 * with each other and the older ones, through keyset pages; bad values are 400, and the log stays
 * the community's moderators' and admins' own.
 */
describe('moderation: audit log filters', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let c: Cast;
  let db: Db;
  let other: { id: string; slug: string };
  let otherAdmin: TestUser;
  let communityAdmin: TestUser;
  /** Every entry of the community's log, newest first, read through the API without filters. */
  let everything: any[];

  const as = (u: { accessToken: string }) => ({ token: u.accessToken });
  const url = (slug: string, query: string) => `/api/v1/communities/${slug}/moderation/log?${query}`;
  /** All pages of a filtered log, following nextCursor with the same filters. */
  const all = async (query: string, limit = 100, user: { accessToken: string } = c.moderator, slug = c.slug) => {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.http.get(url(slug, `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), as(user));
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  };
  const ids = (items: any[]) => items.map((e) => e.id);
  const at = (e: any) => Date.parse(e.createdAt);
  /** Seeds entries at chosen times straight into the table (INSERT is all the append-only log allows). */
  const seed = async (communityId: string, action: string, n: number) => {
    for (let i = 0; i < n; i++) {
      await db.query(`INSERT INTO moderation_audit (community_id, actor_id, action, target_type, target_id, created_at) VALUES ($1, NULL, $2, $3, $4, $5)`, [
        communityId, action, TYPES[i % TYPES.length], `${action}-${i}`, new Date(JAN_1 + i * DAY).toISOString(),
      ]);
    }
  };

  beforeAll(async () => {
    t = await startApp();
    c = await createCast(t.http);
    db = t.app.get(Db);
    other = await createCommunity(t.http, c.admin.accessToken);
    otherAdmin = await createMember(t.http, c.admin.accessToken, other.slug, 'admin');
    communityAdmin = await createMember(t.http, c.admin.accessToken, c.slug, 'admin');
    // One entry per day from 2025-01-01 to 2025-01-30, the target types in turn; the same in the other community.
    await seed(c.communityId, 'test.seeded', 30);
    await seed(other.id, 'test.other', 30);
    // Three entries of one transaction (one created_at): the id orders them within their time.
    await db.transaction(async () => {
      for (const n of [1, 2, 3]) {
        await db.query(`INSERT INTO moderation_audit (community_id, action, target_type, target_id, created_at) VALUES ($1, 'test.tied', 'post', $2, '2025-01-15T12:00:00Z')`, [c.communityId, `tied-${n}`]);
      }
    });
    // Real staff actions (now): a sanction on a member, a pinned thread (through the outbox).
    const board = await createBoard(t.http, c.admin.accessToken, c.slug, { slug: 'talk' });
    const thread = await createThread(t.http, c.member.accessToken, board.id, { title: 'Pinned for the log' });
    expect((await t.http.post(`/api/v1/communities/${c.slug}/sanctions`, { userId: c.member2.id, kind: 'warn', reason: 'noise' }, as(c.moderator))).status).toBeLessThan(300);
    expect((await t.http.post(`/api/v1/threads/${thread.id}/pin`, undefined, as(c.moderator))).status).toBeLessThan(300);
    everything = (await eventually(async () => {
      const items = await all('');
      const arrived = items.some((e) => e.action === 'thread.pinned') && items.some((e) => e.action === 'member.role_changed' && e.targetId === communityAdmin.id);
      return arrived ? items : null;
    }))!;
  });
  afterAll(() => t?.close());

  it('reads the whole log newest first by time, the id breaking ties, through its pages', async () => {
    expect(everything.filter((e) => e.action.startsWith('test.'))).toHaveLength(33);
    for (let i = 1; i < everything.length; i++) {
      const [a, b] = [everything[i - 1], everything[i]];
      expect(at(a) > at(b) || (at(a) === at(b) && Number(a.id) > Number(b.id))).toBe(true);
    }
    await expect(all('', 2)).resolves.toEqual(everything);
  });

  it('filters by each target type alone', async () => {
    for (const type of TYPES) {
      const got = await all(`targetType=${type}`);
      expect(got.length).toBeGreaterThan(0);
      expect(ids(got)).toEqual(ids(everything.filter((e) => e.targetType === type)));
    }
    expect((await all('targetType=user')).map((e) => e.action)).toContain('sanction.created');
    expect((await all('targetType=thread')).map((e) => e.action)).toContain('thread.pinned');
  });

  it('filters by from (inclusive) and to (exclusive), alone and together', async () => {
    const from = '2025-01-10T00:00:00Z'; // exactly the 10th entry's time
    const to = '2025-01-20T00:00:00Z'; // exactly the 20th entry's time
    const inRange = (e: any, f?: string, u?: string) => (!f || at(e) >= Date.parse(f)) && (!u || at(e) < Date.parse(u));
    const onlyFrom = await all(`from=${from}`);
    expect(ids(onlyFrom)).toEqual(ids(everything.filter((e) => inRange(e, from))));
    expect(onlyFrom.map((e) => e.targetId)).toContain('test.seeded-9');
    const onlyTo = await all(`to=${to}`);
    expect(ids(onlyTo)).toEqual(ids(everything.filter((e) => inRange(e, undefined, to))));
    expect(onlyTo.map((e) => e.targetId)).not.toContain('test.seeded-19');
    const both = await all(`from=${from}&to=${to}`);
    expect(both.filter((e) => e.action === 'test.seeded').map((e) => e.targetId)).toEqual([18, 17, 16, 15, 14, 13, 12, 11, 10, 9].map((i) => `test.seeded-${i}`));
    expect(ids(both)).toEqual(ids(everything.filter((e) => inRange(e, from, to))));
    // A date alone is midnight UTC; a zone other than Z is honoured; from = to is an empty range, not an error.
    expect(ids(await all('from=2025-01-10&to=2025-01-20'))).toEqual(ids(both));
    expect(ids(await all(`from=${encodeURIComponent('2025-01-10T01:00:00+01:00')}&to=${to}`))).toEqual(ids(both));
    expect(await all(`from=${from}&to=${from}`)).toEqual([]);
  });

  it('combines the new filters with each other and with the older ones', async () => {
    const got = await all('targetType=post&from=2025-01-05T00:00:00Z&to=2025-01-25T00:00:00Z');
    expect(got.map((e) => e.targetId)).toEqual(['test.seeded-20', 'test.seeded-15', 'tied-3', 'tied-2', 'tied-1', 'test.seeded-10', 'test.seeded-5']);
    const narrower = await all('targetType=post&action=test.tied&from=2025-01-15T12:00:00Z&to=2025-01-15T12:00:01Z');
    expect(narrower.map((e) => e.targetId)).toEqual(['tied-3', 'tied-2', 'tied-1']);
    expect(await all('targetType=post&target=test.seeded-20&to=2025-01-22T00:00:00Z')).toEqual([got[0]]);
    expect(await all(`targetType=user&actor=${c.moderator.id}&from=2025-02-01T00:00:00Z`)).toEqual(everything.filter((e) => e.action === 'sanction.created'));
  });

  it('pages through a filtered log with the cursor, each entry once, ties included', async () => {
    const query = 'targetType=post&from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z';
    const expected = await all(query);
    expect(expected).toHaveLength(9);
    for (const limit of [1, 2, 4]) await expect(all(query, limit)).resolves.toEqual(expected);
    // The cursor holds a position only: used with other filters, it means "older than that entry".
    const first = await t.http.get(url(c.slug, `${query}&limit=2`), as(c.moderator));
    const then = await t.http.get(url(c.slug, `targetType=thread&limit=100&cursor=${encodeURIComponent(first.body.nextCursor)}`), as(c.moderator));
    expect(then.status).toBe(200);
    const cut = everything.findIndex((e) => e.id === first.body.items[1].id);
    expect(ids(then.body.items)).toEqual(ids(everything.slice(cut + 1).filter((e) => e.targetType === 'thread')));
  });

  it('refuses bad values with 400, naming the allowed target types', async () => {
    const bad = async (query: string, field: string) => {
      const body = expectProblem(await t.http.get(url(c.slug, query), as(c.moderator)), 400, 'VALIDATION_FAILED');
      expect(body.errors.map((e: any) => e.field)).toContain(field);
      return body;
    };
    const unknown = await bad('targetType=board', 'targetType');
    expect(unknown.errors.find((e: any) => e.field === 'targetType').message).toBe('targetType must be one of post, thread, message, user, community');
    await bad('targetType=', 'targetType');
    for (const value of ['yesterday', '2025-02-30', '2025-W05', '2025-01-10T10:00:00', '2025-01-10 10:00:00Z', '1969-12-31', '2025-01-10T10Z', '12345']) {
      await bad(`from=${encodeURIComponent(value)}`, 'from');
      await bad(`to=${encodeURIComponent(value)}`, 'to');
    }
    const reversed = await bad('from=2025-01-20T00:00:00Z&to=2025-01-10T00:00:00Z', 'to');
    expect(reversed.errors.find((e: any) => e.field === 'to').message).toBe('from must not be after to');
    expectProblem(await t.http.get(url(c.slug, 'targetType=post&cursor=abc.def'), as(c.moderator)), 400, 'INVALID_CURSOR');
  });

  it("stays the community's moderators' and admins': another community's entries never show", async () => {
    const query = 'targetType=post&from=2025-01-01&to=2025-02-01';
    const expected = await all(query);
    for (const user of [c.admin, communityAdmin]) await expect(all(query, 100, user)).resolves.toEqual(expected);
    for (const user of [c.member, c.staff, c.outsider, otherAdmin]) expectProblem(await t.http.get(url(c.slug, query), as(user)), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(url(c.slug, query)), 401, 'UNAUTHENTICATED');
    expect(everything.some((e) => e.action === 'test.other')).toBe(false);
    const known = new Set(ids(everything));
    for (const q of [query, 'targetType=community', 'from=2025-01-01T00:00:00Z', 'to=2025-12-31T00:00:00Z']) {
      const got = await all(q);
      expect(got.length).toBeGreaterThan(0);
      expect(got.filter((e) => e.action === 'test.other' || !known.has(e.id))).toEqual([]);
    }
    // The other community's admin sees its own entries only, with the same filters.
    const theirs = await all(query, 3, otherAdmin, other.slug);
    expect(theirs.map((e) => e.targetId)).toEqual([25, 20, 15, 10, 5, 0].map((i) => `test.other-${i}`));
    // A cursor from one community's log does not reach into another's.
    const mine = await t.http.get(url(c.slug, `${query}&limit=1`), as(c.moderator));
    const crossed = await t.http.get(url(other.slug, `${query}&limit=100&cursor=${encodeURIComponent(mine.body.nextCursor)}`), as(otherAdmin));
    expect(crossed.status).toBe(200);
    expect(crossed.body.items.length).toBeGreaterThan(0);
    expect(crossed.body.items.every((e: any) => e.action === 'test.other')).toBe(true);
  });
});
