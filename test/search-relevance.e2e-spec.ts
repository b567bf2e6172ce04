import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { expectProblem } from './support/http';

/** Newer threads that mention the guide's words in passing, written with SQL (the index's triggers see them). */
const PASSING = 3_000;

describe('search relevance', () => {
  let t: TestApp;
  let db: Db;
  let slug: string;
  let member: TestUser;
  let staff: TestUser;
  let pub: { id: string };
  let membersBoard: { id: string };
  let staffBoard: { id: string };
  let guide: { id: string; firstPost: { id: string } };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    const admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    member = await createMember(t.http, admin.accessToken, slug);
    staff = await createMember(t.http, admin.accessToken, slug, 'staff');
    pub = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
    membersBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'members', visibility: 'members' });
    staffBoard = await createBoard(t.http, admin.accessToken, slug, { slug: 'staff', visibility: 'staff' });
    guide = await createThread(t.http, staff.accessToken, pub.id, {
      title: 'How to descale the X100',
      body: 'Descale the X100 every month: fill the tank with citric acid solution and run the descale cycle twice.',
      tags: ['guide'],
      productSkus: ['X100'],
    });
    // A busy community since: thousands of newer threads that mention the words in passing, one with many matching replies.
    await db.query(
      `WITH t AS (
         INSERT INTO threads (community_id, board_id, author_id, title, post_seq, last_poster_id, created_at, last_post_at)
         SELECT c.id, $2, $3, 'Morning routine ' || g, 1, $3, now() + g * interval '1 second', now() + g * interval '1 second'
           FROM communities c, generate_series(1, $4::int) g WHERE c.slug = $1
         RETURNING id, community_id, title, created_at)
       INSERT INTO posts (thread_id, community_id, board_id, post_number, author_id, author_role, body, html, created_at)
       SELECT t.id, t.community_id, $2, 1, $3, 'member',
              'Made coffee, walked the dog, read the news. ' || t.title || '. Someday I should descale my X100 and clean the grinder too.', '<p>.</p>', t.created_at
         FROM t`,
      [slug, pub.id, member.id, PASSING],
    );
    const chatty = await createThread(t.http, member.accessToken, pub.id, { title: 'Kitchen chatter', body: 'Anything goes here.' });
    for (let i = 0; i < 30; i++) await reply(t.http, member.accessToken, chatty.id, `Reply ${i}: descale the X100 with vinegar, descale it twice, X100 descale.`);
    await createThread(t.http, member.accessToken, membersBoard.id, { title: 'Members-only descale tricks', body: 'Secret descale X100 tip.' });
    await createThread(t.http, staff.accessToken, staffBoard.id, { title: 'Internal descale recall for the X100', body: 'Confidential descale X100 recall.' });
  }, 120_000);
  afterAll(() => t?.close());

  const search = (query: string, token?: string) => t.http.get(`/api/v1/communities/${slug}/search?${query}`, { token });
  const hits = async (query: string, token?: string) => {
    const res = await search(query, token);
    expect(res.status).toBe(200);
    return res.body.items as Array<{ thread: { id: string; title: string }; post: { id: string }; snippet: string }>;
  };

  it('puts the older exact guide first, ahead of thousands of newer passing mentions', async () => {
    for (const q of ['descale X100', 'how to descale the x100', 'descale']) {
      const [first] = await hits(`q=${encodeURIComponent(q)}`);
      expect({ q, title: first.thread.title }).toEqual({ q, title: 'How to descale the X100' });
    }
    const [first] = await hits('q=descale+X100');
    expect(first.post.id).toBe(guide.firstPost.id);
    expect(first.snippet).toContain('<mark>Descale</mark>');
  });

  it('stems words: descaling finds descale', async () => {
    const [first] = await hits('q=descaling');
    expect(first.thread.title).toBe('How to descale the X100');
  });

  it('lists each thread once per page, and pages by a stable cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 3; page++) {
      const res = await search(`q=descale&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      const again = await search(`q=descale&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(again.body).toEqual(res.body);
      seen.push(...res.body.items.map((h: { thread: { id: string } }) => h.thread.id));
      cursor = res.body.nextCursor;
      expect(cursor).toEqual(expect.any(String));
    }
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
  });

  it('finds a thread by its replies, once, with the best reply as its post', async () => {
    const chatter = (await hits('q=vinegar+descale')).filter((h) => h.thread.title === 'Kitchen chatter');
    expect(chatter).toHaveLength(1);
    expect(chatter[0].snippet).toContain("<mark>vinegar</mark>");
  });

  it('searches titles only with in=title', async () => {
    expect((await hits('q=descale&in=title')).map((h) => h.thread.title)).toEqual(['How to descale the X100']);
    expect(await hits('q=citric&in=title')).toEqual([]);
    expect((await hits('q=citric')).map((h) => h.thread.title)).toEqual(['How to descale the X100']);
    expectProblem(await search('q=descale&in=body'), 400, 'VALIDATION_FAILED');
  });

  it('filters by board, tag and SKU', async () => {
    expect((await hits('q=descale&tag=guide')).map((h) => h.thread.title)).toEqual(['How to descale the X100']);
    expect((await hits('q=descale&sku=X100')).map((h) => h.thread.title)).toEqual(['How to descale the X100']);
    expect(await hits('q=descale&sku=Y200')).toEqual([]);
    expect((await hits(`q=descale&board=${membersBoard.id}`, member.accessToken)).map((h) => h.thread.title)).toEqual(['Members-only descale tricks']);
  });

  it('never leaks members-only or staff boards', async () => {
    const titles = async (token?: string) => (await hits('q=descale+X100&limit=100', token)).map((h) => h.thread.title);
    const guest = await titles();
    expect(guest).not.toContain('Members-only descale tricks');
    expect(guest).not.toContain('Internal descale recall for the X100');
    const asMember = await titles(member.accessToken);
    expect(asMember).toContain('Members-only descale tricks');
    expect(asMember).not.toContain('Internal descale recall for the X100');
    expect(await titles(staff.accessToken)).toContain('Internal descale recall for the X100');
    expect(await hits(`q=recall&board=${staffBoard.id}`, member.accessToken)).toEqual([]);
  });

  it('never finds hidden or deleted posts', async () => {
    const thread = await createThread(t.http, member.accessToken, pub.id, { title: 'Quokka sightings', body: 'A quokka smiled at me.' });
    const r = await reply(t.http, member.accessToken, thread.id, 'The wombat was shy.');
    expect((await hits('q=wombat')).map((h) => h.post.id)).toEqual([r.id]);
    await db.query('UPDATE posts SET hidden = true WHERE id = $1', [r.id]);
    expect(await hits('q=wombat')).toEqual([]);
    await db.query('UPDATE posts SET hidden = false WHERE id = $1', [r.id]);
    expect(await hits('q=wombat')).toHaveLength(1);
    expect((await t.http.delete(`/api/v1/posts/${r.id}`, { token: member.accessToken })).status).toBe(204);
    expect(await hits('q=wombat')).toEqual([]);
    // A hidden first post hides its thread; deleting it deletes the thread.
    await db.query('UPDATE posts SET hidden = true WHERE id = $1', [thread.firstPost.id]);
    expect(await hits('q=quokka')).toEqual([]);
    await db.query('UPDATE posts SET hidden = false WHERE id = $1', [thread.firstPost.id]);
    expect(await hits('q=quokka')).toHaveLength(1);
    expect((await t.http.delete(`/api/v1/posts/${thread.firstPost.id}`, { token: member.accessToken })).status).toBe(204);
    expect(await hits('q=quokka')).toEqual([]);
  });

  describe('suggest', () => {
    const suggest = (q: string, token?: string) => t.http.get(`/api/v1/communities/${slug}/search/suggest?q=${encodeURIComponent(q)}`, { token });
    const titles = async (q: string, token?: string) => {
      const res = await suggest(q, token);
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      return (res.body.items as Array<{ threadId: string; title: string }>).map((s) => s.title);
    };

    it('suggests up to 8 titles for a prefix, typos included', async () => {
      for (const q of ['how to desca', 'descale x1', 'How to descale the X100', 'how to decsale']) {
        const found = await titles(q);
        expect({ q, first: found[0] }).toEqual({ q, first: 'How to descale the X100' });
      }
      expect(await titles('morning rout')).toHaveLength(8);
      expect((await suggest('descale')).body.items[0]).toEqual({ threadId: guide.id, title: 'How to descale the X100' });
      expect(await titles('zzzzqqq')).toEqual([]);
    });

    it('matches words anywhere in a title, the last as a prefix, then titles with any of the words', async () => {
      expect((await titles('the x100 desca'))[0]).toBe('How to descale the X100');
      expect((await titles('morning routine 12'))[0]).toBe('Morning routine 12');
      // No title holds both words: titles with either still help the asker.
      expect(await titles('zebra descale')).toContain('How to descale the X100');
    });

    it('suggests only from boards the caller can see', async () => {
      expect(await titles('internal descale recall')).not.toContain('Internal descale recall for the X100');
      expect(await titles('internal descale recall', member.accessToken)).not.toContain('Internal descale recall for the X100');
      expect(await titles('internal descale recall', staff.accessToken)).toContain('Internal descale recall for the X100');
      expect(await titles('members-only descale')).not.toContain('Members-only descale tricks');
      expect(await titles('members-only descale', member.accessToken)).toContain('Members-only descale tricks');
    });

    it('rejects bad input', async () => {
      expectProblem(await t.http.get(`/api/v1/communities/${slug}/search/suggest`), 400, 'VALIDATION_FAILED');
      expectProblem(await suggest('a'), 400, 'VALIDATION_FAILED');
      expectProblem(await suggest('   '), 400, 'VALIDATION_FAILED');
      expectProblem(await suggest('x'.repeat(101)), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get(`/api/v1/communities/${slug}/search/suggest?q=ab&board=nope`), 400, 'VALIDATION_FAILED');
      expectProblem(await t.http.get('/api/v1/communities/nowhere/search/suggest?q=ab'), 404, 'NOT_FOUND');
      expect((await suggest('"unclosed % _ \\ :*')).status).toBe(200);
    });
  });
});
