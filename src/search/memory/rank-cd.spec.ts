import { PGlite } from '@electric-sql/pglite';
import { seededRandom as prng } from '../../../test/support/seed-text';
import { compareLexemes, docLength, DocLexeme, packPositions, parseTsvector, rankCd } from './rank-cd';

/**
 * Checks the port against the real thing: PGlite (PostgreSQL 18 in 0.5.16; PostgreSQL 15 gave the same
 * on 12,000 pairs) builds the documents the way the search index does and ranks them with
 * ts_rank_cd(..., 33); the port must give the same float4, bit for bit (PG's float4 is read back as
 * float8, which is exact).
 */

const WEIGHTS = [0.1, 0.4, 0.4, 1.0] as const;
const WEIGHTS_SQL = `'{0.1, 0.4, 0.4, 1.0}'::float4[]`;
const DOCUMENT_SQL = `setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
  || setweight(to_tsvector('english', answers), 'C')`;

/** Words that are queried (they stem to distinct lexemes), and filler: other words and stop words. */
const QUERY_WORDS = ['coffee', 'grinder', 'kettle', 'burr', 'espresso', 'milk', 'descale', 'filter'];
const FILLER = ['machine', 'cup', 'hot', 'water', 'the', 'and', 'with', 'is', 'of', 'brew', 'temperature', 'noisy'];

interface Doc {
  title: string;
  body: string;
  answers: string;
}

/** Text of `count` words: filler with query words sprinkled at a density of its own, sometimes in runs. */
function text(random: () => number, count: number): string {
  const density = random() * 0.5;
  const favourite = QUERY_WORDS[Math.floor(random() * QUERY_WORDS.length)];
  const words: string[] = [];
  while (words.length < count) {
    const r = random();
    if (r < density * 0.3) words.push(favourite);
    else if (r < density) words.push(QUERY_WORDS[Math.floor(random() * QUERY_WORDS.length)]);
    else words.push(FILLER[Math.floor(random() * FILLER.length)]);
  }
  return words.join(' ');
}

function randomDoc(random: () => number): Doc {
  const size = (max: number, emptyChance: number) => (random() < emptyChance ? 0 : 1 + Math.floor(random() * max));
  const bodyWords = random() < 0.15 ? 300 + Math.floor(random() * 400) : size(60, 0.1);
  const doc = { title: text(random, size(8, 0.1)), body: text(random, bodyWords), answers: text(random, size(120, 0.4)) };
  if (random() < 0.05) doc.answers += ` ${QUERY_WORDS[0]}`.repeat(300); // more positions than a lexeme keeps (255)
  return doc;
}

function randomQuery(random: () => number): string[] {
  const pick = () => QUERY_WORDS[Math.floor(random() * QUERY_WORDS.length)];
  const size = 1 + Math.floor(random() * 3);
  const words = Array.from({ length: size }, pick);
  if (size > 1 && random() < 0.2) words[1] = words[0]; // a repeated word: 'kettl' & 'kettl'
  return words;
}

function termPositionsOf(doc: DocLexeme[], terms: string[]): Uint16Array[] {
  return terms.map((term) => {
    const entry = doc.find((e) => e.lexeme === term);
    return entry ? packPositions(entry.positions, entry.weights) : new Uint16Array(0);
  });
}

const LETTER_WEIGHT: Record<string, number> = { A: 3, B: 2, C: 1, D: 0 };

interface Unnested {
  l: string;
  p: number[] | null;
  w: string[] | null;
}

/** What unnest() says a tsvector holds, in parseTsvector's shape. */
function fromUnnest(rows: Unnested[] | null): DocLexeme[] {
  return (rows ?? []).map((r) => ({ lexeme: r.l, positions: r.p ?? [], weights: (r.w ?? []).map((x) => LETTER_WEIGHT[x]) }));
}

describe('rank-cd (ts_rank_cd port)', () => {
  let db: PGlite;
  let stems: Map<string, string>;

  beforeAll(async () => {
    db = await PGlite.create();
    await db.query(`CREATE TABLE docs (id int PRIMARY KEY, document tsvector NOT NULL)`);
    const { rows } = await db.query<{ w: string; s: string }>(
      `SELECT w, (ts_lexize('english_stem', w))[1] AS s FROM unnest($1::text[]) AS w`,
      [QUERY_WORDS],
    );
    stems = new Map(rows.map((r) => [r.w, r.s]));
  });

  afterAll(async () => {
    await db.close();
  });

  /** Stores the documents, and returns each one's text, unnest() view and cnt_length as PG sees them. */
  async function load(docs: Doc[], firstId: number) {
    await db.query(
      `INSERT INTO docs (id, document)
       SELECT $4::int + i - 1, ${DOCUMENT_SQL}
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(title, body, answers, i)`,
      [docs.map((d) => d.title), docs.map((d) => d.body), docs.map((d) => d.answers), firstId],
    );
    const { rows } = await db.query<{ id: number; text: string; lexemes: number; cnt: number; entries: Unnested[] | null }>(
      `SELECT id, document::text AS text, length(document) AS lexemes,
              (SELECT COALESCE(sum(COALESCE(array_length(u.positions, 1), 1)), 0)::int FROM unnest(document) u) AS cnt,
              (SELECT json_agg(json_build_object('l', u.lexeme, 'p', u.positions, 'w', u.weights) ORDER BY o)
                 FROM unnest(document) WITH ORDINALITY AS u(lexeme, positions, weights, o)) AS entries
         FROM docs WHERE id >= $1 AND id < $2 ORDER BY id`,
      [firstId, firstId + docs.length],
    );
    return rows;
  }

  /** PG's ts_rank_cd for each (document id, words) pair, in one statement. */
  async function pgRanks(pairs: { id: number; words: string[] }[]): Promise<number[]> {
    const { rows } = await db.query<{ rank: number }>(
      `SELECT ts_rank_cd(${WEIGHTS_SQL}, d.document, to_tsquery('english', x.q), 33)::float8 AS rank
         FROM unnest($1::int[], $2::text[]) WITH ORDINALITY AS x(id, q, i) JOIN docs d ON d.id = x.id ORDER BY x.i`,
      [pairs.map((p) => p.id), pairs.map((p) => p.words.join(' & '))],
    );
    return rows.map((r) => r.rank);
  }

  /** The port's rank, given the lexemes (exact everywhere) or only their positions (see rankCd). */
  function ours(doc: DocLexeme[], words: string[], withTerms = true): number {
    const terms = words.map((w) => stems.get(w)!);
    return rankCd(termPositionsOf(doc, terms), docLength(doc), WEIGHTS, withTerms ? terms : undefined);
  }

  it('parses and ranks several hundred random documents exactly as PostgreSQL does', async () => {
    const random = prng(20240607);
    const docs = Array.from({ length: 400 }, () => randomDoc(random));
    const loaded = await load(docs, 1);
    const parsed = new Map<number, DocLexeme[]>();
    for (const row of loaded) {
      const doc = parseTsvector(row.text);
      expect(doc).toEqual(fromUnnest(row.entries));
      expect(doc.length).toBe(row.lexemes);
      expect(docLength(doc)).toBe(row.cnt);
      parsed.set(row.id, doc);
    }
    expect([...parsed.values()].some((d) => docLength(d) > 300)).toBe(true);
    expect([...parsed.values()].some((d) => d.length === 0)).toBe(true);

    const pairs = loaded.flatMap((row) => Array.from({ length: 8 }, () => ({ id: row.id, words: randomQuery(random) })));
    const expected = await pgRanks(pairs);
    const mismatches = pairs
      .map((pair, i) => {
        const doc = parsed.get(pair.id)!;
        return { ...pair, pg: expected[i], ours: ours(doc, pair.words), positionsOnly: ours(doc, pair.words, false) };
      })
      .filter((c) => c.pg !== c.ours || c.pg !== c.positionsOnly);
    expect(mismatches).toEqual([]);
    // The sample exercises what it should: matches and misses, 1, 2 and 3 words, repeated words.
    expect(pairs.length).toBe(3200);
    expect(expected.filter((r) => r > 0).length).toBeGreaterThan(1000);
    expect(expected.filter((r) => r === 0).length).toBeGreaterThan(100);
    for (const size of [1, 2, 3]) expect(pairs.some((p) => p.words.length === size)).toBe(true);
    expect(pairs.some((p) => new Set(p.words).size < p.words.length)).toBe(true);
  });

  it('matches handcrafted documents: adjacent, far apart, repeated query words, absent words', async () => {
    const far = `coffee ${'water '.repeat(150)}grinder`;
    const docs: Doc[] = [
      { title: 'Coffee grinder', body: '', answers: '' },
      { title: 'Coffee', body: far, answers: 'grinder coffee grinder' },
      { title: 'Kettle kettle', body: 'descale the kettle', answers: 'kettle' },
      { title: 'Milk', body: 'espresso milk espresso', answers: '' },
      { title: '', body: '', answers: '' },
    ];
    const loaded = await load(docs, 1001);
    const queries = [['coffee', 'grinder'], ['grinder', 'coffee'], ['kettle', 'kettle'], ['kettle'], ['kettle', 'descale', 'kettle'], ['milk', 'espresso'], ['milk', 'burr'], ['coffee']];
    const pairs = loaded.flatMap((row) => queries.map((words) => ({ id: row.id, words })));
    const expected = await pgRanks(pairs);
    pairs.forEach((pair, i) => {
      const doc = parseTsvector(loaded.find((r) => r.id === pair.id)!.text);
      expect({ ...pair, rank: ours(doc, pair.words) }).toEqual({ ...pair, rank: expected[i] });
      expect({ ...pair, rank: ours(doc, pair.words, false) }).toEqual({ ...pair, rank: expected[i] });
    });
    // 'Coffee grinder' as a title (A = 1.0): one cover of two entries, Cpos 1, no noise, cnt_length 2.
    const wdoc = 1 / Math.log(3);
    expect(expected[0]).toBe(Math.fround(wdoc / (wdoc + 1)));
    // A repeated word ranks as the word alone; a missing word gives 0.
    expect(expected[queries.length * 2 + 2]).toBe(expected[queries.length * 2 + 3]);
    expect(expected[queries.length * 3 + 6]).toBe(0);
  });

  it('matches PostgreSQL at positions clipped to 16383, given the lexemes', async () => {
    // Words past 16383 all sit at 16383: 'burr', 'kettl' and 'milk' share it, and PG orders them by
    // weight, then lexeme. In the first document 'burr' and 'milk' are only there, with one weight,
    // so their positions alone cannot tell them apart: rankCd needs the terms to be exact.
    const body = `kettle ${'water '.repeat(16400)}burr kettle milk`;
    const docs: Doc[] = [
      { title: '', body, answers: '' },
      { title: 'kettle milk', body, answers: 'burr' },
    ];
    const loaded = await load(docs, 2001);
    const queries = [['kettle', 'burr'], ['milk', 'kettle'], ['burr', 'milk', 'kettle'], ['milk', 'burr'], ['kettle', 'kettle', 'milk'], ['kettle']];
    const pairs = loaded.flatMap((row) => queries.map((words) => ({ id: row.id, words })));
    const expected = await pgRanks(pairs);
    pairs.forEach((pair, i) => {
      const doc = parseTsvector(loaded.find((r) => r.id === pair.id)!.text);
      expect(doc.find((e) => e.lexeme === 'kettl')!.positions).toEqual(pair.id === 2001 ? [1, 16383] : [1, 3, 16383]);
      expect({ ...pair, rank: ours(doc, pair.words) }).toEqual({ ...pair, rank: expected[i] });
    });
    // The approximation without terms is exact where the lexemes' positions differ, in lexeme order.
    const second = parseTsvector(loaded[1].text);
    const inLexemeOrder = (words: string[]) => [...words].sort((a, b) => compareLexemes(stems.get(a)!, stems.get(b)!));
    queries.forEach((words, i) => expect(ours(second, inLexemeOrder(words), false)).toBe(expected[queries.length + i]));
  });

  it('parses quotes, backslashes and lexemes without positions as PostgreSQL prints them', async () => {
    const { rows } = await db.query<{ text: string; entries: Unnested[] | null; cnt: number }>(
      `SELECT v::text AS text,
              (SELECT json_agg(json_build_object('l', u.lexeme, 'p', u.positions, 'w', u.weights) ORDER BY o)
                 FROM unnest(v) WITH ORDINALITY AS u(lexeme, positions, weights, o)) AS entries
         FROM (VALUES ($1::tsvector), (array_to_tsvector($2::text[])), (''::tsvector)) AS t(v)`,
      [String.raw`'it''s':1A 'o''''brien':2,5C 'back\\slash':3B 'a b':4 'D\'x':7D 'z':20000`, ["it's", "o''brien", 'a\\b', 'plain']],
    );
    expect(rows[0].text).toBe(String.raw`'D''x':7 'a b':4 'back\\slash':3B 'it''s':1A 'o''''brien':2,5C 'z':16383`);
    for (const row of rows) expect(parseTsvector(row.text)).toEqual(fromUnnest(row.entries));
    expect(parseTsvector(rows[1].text).map((e) => e.lexeme)).toEqual(['a\\b', "it's", "o''brien", 'plain']);
    expect(parseTsvector(rows[1].text).every((e) => e.positions.length === 0)).toBe(true);
    expect(docLength(parseTsvector(rows[1].text))).toBe(4);
    expect(parseTsvector(`'coffe':3B,7 'grinder':1A 'it''s':2`)).toEqual([
      { lexeme: 'coffe', positions: [3, 7], weights: [2, 0] },
      { lexeme: 'grinder', positions: [1], weights: [3] },
      { lexeme: "it's", positions: [2], weights: [0] },
    ]);
    expect(() => parseTsvector(`'open`)).toThrow(SyntaxError);
  });

  it('packs positions as (position << 2) | weight, sorted, keeping the higher weight of a duplicate', () => {
    expect([...packPositions([7, 3, 16383, 3], [0, 2, 3, 1])]).toEqual([(3 << 2) | 2, 7 << 2, (16383 << 2) | 3]);
    expect(() => packPositions([16384], [0])).toThrow(RangeError);
    expect(() => packPositions([0], [0])).toThrow(RangeError);
    expect(rankCd([new Uint16Array(0)], 5, WEIGHTS)).toBe(0);
    expect(rankCd([], 5, WEIGHTS)).toBe(0);
    expect(() => rankCd([packPositions([1], [3])], 1, [0.1, 0.4, 0.4, 1.5])).toThrow(RangeError);
  });
});
