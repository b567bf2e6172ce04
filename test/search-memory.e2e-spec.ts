import { Client } from 'pg';
import { Db } from '../src/core/database/db.service';
import { MemorySearchIndex } from '../src/search/memory/memory-search-index';
import { ThreadStore } from '../src/search/memory/thread-store';
import { PgSearchIndex } from '../src/search/pg-search-index';
import { SearchRequest } from '../src/search/search-index';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, loginAdmin, TestUser } from './support/factories';
import { GENERAL_WORDS, sampleBody, SEED_TAGS, seededRandom, TOPICS } from './support/seed-text';

/**
 * The in-memory ranking of thread documents (src/search/memory) against PostgreSQL's (PgSearchIndex):
 * the same pages for the same requests, and never stale: changes committed before a search are in it.
 */
const THREADS = 1_200;

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('search: ranking in memory', () => {
  let t: TestApp;
  let db: Db;
  let memory: MemorySearchIndex;
  let pg: PgSearchIndex;
  let slug: string;
  let communityId: string;
  let member: TestUser;
  let pub: { id: string };
  let members: { id: string };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    memory = t.app.get(MemorySearchIndex);
    pg = t.app.get(PgSearchIndex);
    const admin = await loginAdmin(t.http);
    ({ slug, id: communityId } = await createCommunity(t.http, admin.accessToken));
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    member = await createMember(t.http, admin.accessToken, slug);
    pub = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
    members = await createBoard(t.http, admin.accessToken, slug, { slug: 'members', visibility: 'members' });
    // Threads like the bench's, with varied boosts: scores, replies, answers, FAQ, ages, tags and SKUs, two boards.
    const random = seededRandom(19);
    const rows = Array.from({ length: THREADS }, (_, i) => {
      const topic = i % TOPICS.length;
      const words = TOPICS[topic];
      return {
        board: i % 5 === 0 ? members.id : pub.id,
        title: `${words[Math.floor(random() * words.length)]} ${GENERAL_WORDS[Math.floor(random() * GENERAL_WORDS.length)]} ${i}`,
        body: sampleBody(topic, random),
        tags: [SEED_TAGS[i % SEED_TAGS.length]],
        skus: [`SKU-${i % 7}`],
        score: Math.floor(random() * 150),
        replies: Math.floor(random() * 120),
        ageDays: Math.floor(random() * 900),
      };
    });
    await db.query(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($3::jsonb) AS r(board uuid, title text, body text, tags text[], skus text[], score int, replies int, "ageDays" int)),
       t AS (
         INSERT INTO threads (community_id, board_id, author_id, title, tags, product_skus, post_seq, last_poster_id, score, reply_count, created_at, last_post_at)
         SELECT $1, r.board, $2, r.title, r.tags, r.skus, 1, $2, r.score, r.replies, now() - r."ageDays" * interval '1 day', now() - r."ageDays" * interval '1 day'
           FROM r RETURNING id, board_id, title, created_at)
       INSERT INTO posts (thread_id, community_id, board_id, post_number, author_id, author_role, body, html, created_at)
       SELECT t.id, $1, t.board_id, 1, $2, 'member', r.body, '<p>.</p>', t.created_at FROM t JOIN r ON r.title = t.title`,
      [communityId, member.id, JSON.stringify(rows)],
    );
    // Some answered threads (the +25% boost) and an FAQ one, through the API.
    const asked = await createThread(t.http, member.accessToken, pub.id, { title: 'coffee grinder warranty question', body: 'Does the warranty cover the burr?' });
    await reply(t.http, member.accessToken, asked.id, 'Yes: the warranty covers the coffee grinder burr for two years.');
    await db.query(`UPDATE threads SET score = score + 40 WHERE id = $1`, [asked.id]);
    // Load the community and wait until the memory answers.
    await memory.query(request('coffee'));
    await until(() => memory.loaded(communityId), 'the community to load');
  }, 180_000);
  afterAll(() => t?.close());

  function request(q: string, extra: Partial<SearchRequest> = {}): SearchRequest {
    return { communityId, boardIds: [pub.id, members.id], q, titlesOnly: false, offset: 0, limit: 20, ...extra };
  }

  /** Both engines' answers to a request, and whether the memory answered it (rather than handing it to PostgreSQL). */
  async function both(r: SearchRequest) {
    const before = memory.counts.memory;
    const fromMemory = await memory.query(r);
    const fromDatabase = await pg.query(r);
    return { fromMemory, fromDatabase, answeredInMemory: memory.counts.memory > before };
  }

  it('gives the same pages as PostgreSQL for words, pairs, triples, filters, boards and pages', async () => {
    const general = ['warranty', 'refund', 'quality', 'price', 'support', 'review', 'customer', 'service'];
    const topic = ['coffee', 'grinder', 'kettle', 'bike', 'tent', 'printer'];
    const queries = [
      ...general,
      ...topic,
      ...general.flatMap((a, i) => general.slice(i + 1, i + 3).map((b) => `${a} ${b}`)),
      ...topic.map((w, i) => `${w} ${general[i]}`),
      'warranty refund quality',
      'coffee coffee',
      'Warranty, refund!',
    ];
    let inMemory = 0;
    let compared = 0;
    for (const q of queries) {
      for (const extra of [{}, { offset: 20 }, { offset: 60, limit: 7 }, { boardIds: [pub.id] }, { tag: 'review' }, { sku: 'SKU-3' }] as Partial<SearchRequest>[]) {
        const r = request(q, extra);
        const { fromMemory, fromDatabase, answeredInMemory } = await both(r);
        expect({ q, extra, hits: fromMemory }).toEqual({ q, extra, hits: fromDatabase });
        compared++;
        if (answeredInMemory) inMemory++;
      }
    }
    // Many have more matching thread documents than the page needs (the others go on to the replies, in PostgreSQL).
    expect(compared).toBeGreaterThan(200);
    expect(inMemory).toBeGreaterThan(compared / 3);
  });

  it('hands to PostgreSQL what it does not rank: title-only, phrases, or, exclusions, and pages past the thread documents', async () => {
    for (const r of [
      request('warranty', { titlesOnly: true }),
      request('"customer service"'),
      request('warranty or refund'),
      request('warranty -refund'),
      request('zzzunknownword'),
      request('coffee grinder warranty question', { limit: 50 }),
    ]) {
      const { fromMemory, fromDatabase, answeredInMemory } = await both(r);
      expect({ q: r.q, answeredInMemory }).toEqual({ q: r.q, answeredInMemory: false });
      expect(fromMemory).toEqual(fromDatabase);
    }
  });

  it('sees a new thread, an edit, a reply and a deletion committed before the search', async () => {
    const title = (n: number) => `Zephyrine quokka kettle ${n}`;
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createThread(t.http, member.accessToken, pub.id, { title: title(i), body: 'The quokka whistles when it boils.' }));
    const ids = async (q: string) => {
      const { fromMemory, fromDatabase, answeredInMemory } = await both(request(q, { limit: 1 }));
      expect(answeredInMemory).toBe(true);
      expect(fromMemory).toEqual(fromDatabase);
      const all = [];
      for (let offset = 0; offset < 5; offset++) all.push(...(await memory.query(request(q, { limit: 1, offset }))).hits.map((h) => h.threadId));
      return all.sort();
    };
    expect(await ids('zephyrine quokka')).toEqual(made.map((m) => m.id).sort());
    // A reply changes the boosts (replies, last activity): still the same order as PostgreSQL (checked in ids()).
    await reply(t.http, member.accessToken, made[2].id, 'Mine too.');
    await ids('zephyrine quokka');
    // An edited title: the new words are found, the old ones no longer.
    const edited = await t.http.patch(`/api/v1/threads/${made[0].id}`, { title: 'Marmalade quokka kettle' }, { token: member.accessToken });
    expect(edited.status).toBe(200);
    expect(await ids('zephyrine quokka')).toEqual([made[1].id, made[2].id].sort());
    // A thread whose first post is deleted is gone.
    const removed = await t.http.delete(`/api/v1/posts/${made[1].firstPost.id}`, { token: member.accessToken });
    expect(removed.status).toBe(204);
    const { fromMemory } = await both(request('zephyrine quokka', { limit: 1 }));
    expect(fromMemory.hits.map((h) => h.threadId)).toEqual([made[2].id]);
  });

  it('reads again what a transaction that was running at its last look committed later (PostgreSQL)', async () => {
    if (!t.databaseUrl) return void console.log('skipped: needs DATABASE_URL (one session on the embedded database)');
    const [a, b] = await Promise.all([
      createThread(t.http, member.accessToken, pub.id, { title: 'Gravlax pelican one', body: 'Gravlax pelican.' }),
      createThread(t.http, member.accessToken, pub.id, { title: 'Gravlax pelican two', body: 'Gravlax pelican.' }),
    ]);
    const late = new Client({ connectionString: t.databaseUrl });
    const early = new Client({ connectionString: t.databaseUrl });
    await Promise.all([late.connect(), early.connect()]);
    try {
      // `late` takes its transaction id first and commits last; `early` commits in between.
      await late.query('BEGIN');
      await late.query(`UPDATE threads SET title = 'Gravlax pelican heron one' WHERE id = $1`, [a.id]);
      await early.query(`UPDATE threads SET title = 'Gravlax pelican heron two' WHERE id = $1`, [b.id]);
      // A look while `late` runs (both threads match, more than the page needs, so the memory answers).
      const during = await both(request('gravlax pelican', { limit: 1 }));
      expect(during.answeredInMemory).toBe(true);
      await late.query('COMMIT');
      const { fromMemory, fromDatabase, answeredInMemory } = await both(request('gravlax heron', { limit: 1 }));
      expect(answeredInMemory).toBe(true);
      expect(fromMemory).toEqual(fromDatabase);
      const pages = [...fromMemory.hits, ...(await memory.query(request('gravlax heron', { limit: 1, offset: 1 }))).hits].map((h) => h.threadId);
      expect(pages.sort()).toEqual([a.id, b.id].sort());
    } finally {
      await Promise.all([late.end(), early.end()]);
    }
  });

  it('answers from PostgreSQL when ranking in memory fails, and drops the community (it loads again later)', async () => {
    const r = request('warranty refund');
    expect(memory.loaded(communityId)).toBe(true);
    const expected = await pg.query(r);
    const failing = jest.spyOn(ThreadStore.prototype, 'search').mockImplementationOnce(() => {
      throw new Error('a broken store');
    });
    try {
      const before = memory.counts.database;
      expect(await memory.query(r)).toEqual(expected);
      expect(memory.counts.database).toBe(before + 1);
      expect(memory.loaded(communityId)).toBe(false);
    } finally {
      failing.mockRestore();
    }
    await until(async () => {
      await memory.query(r);
      return memory.loaded(communityId);
    }, 'the community to load again');
    expect(await memory.query(r)).toEqual(expected);
  });
});

describe('search: ranking in memory turned off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ env: { SEARCH_MEMORY_MB: '0' } });
  });
  afterAll(() => t?.close());

  it('answers every search from PostgreSQL with SEARCH_MEMORY_MB=0', async () => {
    const admin = await loginAdmin(t.http);
    const { slug } = await createCommunity(t.http, admin.accessToken);
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
    for (let i = 0; i < 3; i++) await createThread(t.http, admin.accessToken, board.id, { title: `Descale guide ${i}`, body: 'Descale the kettle monthly.' });
    const memory = t.app.get(MemorySearchIndex);
    for (let i = 0; i < 3; i++) {
      const res = await t.http.get(`/api/v1/communities/${slug}/search?q=descale+kettle&limit=1`);
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(1);
    }
    expect(memory.counts).toEqual({ memory: 0, database: 3 });
  });
});

describe('search: a community bigger than SEARCH_MEMORY_MB', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ env: { SEARCH_MEMORY_MB: '1' } });
  });
  afterAll(() => t?.close());

  it('is left to PostgreSQL, with the same answers', async () => {
    const admin = await loginAdmin(t.http);
    const { slug, id: communityId } = await createCommunity(t.http, admin.accessToken);
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: 'general' });
    const random = seededRandom(7);
    // About 3,000 documents of 12 to 40 words: more than 1 MB in memory.
    const bodies = Array.from({ length: 3_000 }, (_, i) => `${sampleBody(i, random)} ${sampleBody(i + 1, random)}`);
    await t.app.get(Db).query(
      `WITH t AS (
         INSERT INTO threads (community_id, board_id, author_id, title, post_seq, last_poster_id)
         SELECT $1, $2, $3, 'Thread ' || g, 1, $3 FROM generate_series(1, $4::int) g RETURNING id, title)
       INSERT INTO posts (thread_id, community_id, board_id, post_number, author_id, author_role, body, html)
       SELECT t.id, $1, $2, 1, $3, 'admin', ($5::text[])[substr(t.title, 8)::int], '<p>.</p>' FROM t`,
      [communityId, board.id, admin.id, bodies.length, bodies],
    );
    const memory = t.app.get(MemorySearchIndex);
    const pg = t.app.get(PgSearchIndex);
    const r: SearchRequest = { communityId, boardIds: [board.id], q: 'warranty refund', titlesOnly: false, offset: 0, limit: 20 };
    const first = await memory.query(r);
    expect(first.hits.length).toBe(20);
    // The size check runs in the background: wait until it has refused, then search again.
    await until(async () => {
      const before = memory.counts.database;
      await memory.query(r);
      return memory.counts.database > before && !(memory as unknown as { loading: string | null }).loading;
    }, 'the load to be refused');
    expect(memory.loaded(communityId)).toBe(false);
    expect(await memory.query(r)).toEqual(await pg.query(r));
    expect(memory.counts.memory).toBe(0);
  });
});
