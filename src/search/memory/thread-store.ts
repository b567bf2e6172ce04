import { Column, float64, int32, TopK, uint16, uint32 } from './columns';
import { compareLexemes, docLength, inverseWeights, packPositions, parseTsvector, rankCdSlices } from './rank-cd';

/** ts_rank_cd's weights {D, C, B, A} as PgSearchIndex uses them: title 1.0, first post and answers 0.4. */
const INVERSE_WEIGHTS = inverseWeights([0.1, 0.4, 0.4, 1.0]);
/** The weights by code (D, C, B, A) as ts_rank_cd reads them. */
const WEIGHT = Array.from(INVERSE_WEIGHTS, (inverse) => 1 / inverse);
const LN_101 = Math.log(101);
/** A row of search_threads as the store keeps it (last_post_at in ms since the epoch). */
export interface ThreadRow {
  threadId: string;
  boardId: string;
  tags: string[];
  skus: string[];
  faq: boolean;
  answered: boolean;
  score: number;
  replyCount: number;
  lastPostAt: number;
  /** The document's text form (tsvector output). */
  document: string;
}

export interface StoreQuery {
  lexemes: string[];
  boardIds: ReadonlySet<string>;
  tag?: string;
  sku?: string;
  /** How many of the best to return, in order. */
  k: number;
  now: number;
}

export interface StoreResult {
  /** The best `k` (or fewer), in the order of PgSearchIndex: FAQ first, then rank, then thread id. */
  threadIds: string[];
  /** How many thread documents match (after filters). */
  total: number;
}


const FAQ = 1;
const ANSWERED = 2;
/** Bytes per document beyond the columns and pools: its thread id (a string and a map entry) and its posting entries' share. */
const DOC_OVERHEAD = 160;
/**
 * A document's record in `records` (float64s, 64 bytes: one cache line, so ranking a candidate costs
 * about three cache misses: its record, its lexemes, its positions).
 */
const R = { board: 0, flags: 1, score: 2, replies: 3, lastPostAt: 4, lexStart: 5, lexCount: 6, length: 7 } as const;
const RECORD = 8;

/** A document's fields other than its text. */
interface Meta {
  board: number;
  flags: number;
  score: number;
  replyCount: number;
  lastPostAt: number;
  length: number;
}

/**
 * One community's thread documents (search_threads) in memory: a dictionary of lexemes, a posting list
 * of document numbers per lexeme (ascending), and per document a record (board, flags, counters, where
 * its lexemes are) and its lexemes as pairs (lexeme id ascending, where its positions start; then a
 * closing pair holding where they end), with positions packed as PostgreSQL keeps them
 * (position << 2 | weight), all in a few large typed arrays (columns.ts). A changed document gets a new
 * number (so posting lists stay sorted by appending); the old number is left dead until the store is
 * compacted, when the dead outnumber the live. A change of counters only (a reply, a vote) updates the
 * record in place.
 */
export class ThreadStore {
  private threadOf: Array<string | null> = [];
  private readonly byThread = new Map<string, number>();
  private readonly dictionary = new Map<string, number>();
  private readonly boards = new Map<string, number>();
  /** Tags and SKUs, each an id: `t:<tag>`, `s:<sku>`. */
  private readonly facets = new Map<string, number>();
  private postings: number[][] = [];
  private dead = 0;

  private records = float64(64 * RECORD);
  /** Per document, for upserts and filters only. */
  private hashOf = uint32();
  private textLengthOf = int32();
  private facetStartOf = int32();
  private facetEndOf = int32();
  /**
   * [lexeme id, positions start * 4 + its highest weight] per lexeme of a document, then [-1, positions
   * end * 4]. The weight gives a bound on the document's rank before its positions are read.
   */
  private lexPairs = int32(2_048);
  private posPool = uint16(1_024);
  private facetPool = int32();

  get size(): number {
    return this.byThread.size;
  }

  /** An estimate of the memory the store holds. */
  get bytes(): number {
    const columns = [this.records, this.hashOf, this.textLengthOf, this.facetStartOf, this.facetEndOf, this.lexPairs, this.posPool, this.facetPool] as Column<never>[];
    const arrays = columns.reduce((sum, c) => sum + c.bytes, 0);
    return arrays + (this.lexPairs.length / 2) * 8 + this.threadOf.length * 8 + this.byThread.size * DOC_OVERHEAD + this.dictionary.size * 80;
  }

  upsert(row: ThreadRow): void {
    const hash = fnv1a(row.document);
    const at = this.byThread.get(row.threadId);
    const facetIds = this.facetIds(row);
    const meta: Meta = {
      board: this.boardNumber(row.boardId),
      flags: (row.faq ? FAQ : 0) | (row.answered ? ANSWERED : 0),
      score: row.score,
      replyCount: row.replyCount,
      lastPostAt: row.lastPostAt,
      length: 0,
    };
    if (at !== undefined && this.hashOf.data[at] === hash && this.textLengthOf.data[at] === row.document.length) {
      // The same text: counters and filters in place (a reply, a vote, a move).
      const r = this.records.data;
      const base = at * RECORD;
      r[base + R.board] = meta.board;
      r[base + R.flags] = meta.flags;
      r[base + R.score] = meta.score;
      r[base + R.replies] = meta.replyCount;
      r[base + R.lastPostAt] = meta.lastPostAt;
      if (!sameIds(this.facetPool.data, this.facetStartOf.data[at], this.facetEndOf.data[at], facetIds)) {
        this.facetStartOf.data[at] = this.appendAll(this.facetPool, facetIds);
        this.facetEndOf.data[at] = this.facetPool.length;
      }
      return;
    }
    if (at !== undefined) this.remove(row.threadId);
    const parsed = parseTsvector(row.document);
    meta.length = docLength(parsed);
    const entries = parsed.map((l) => ({ id: this.lexemeId(l.lexeme), packed: packPositions(l.positions, l.weights) })).sort((a, b) => a.id - b.id);
    const lexStart = this.lexPairs.reserve(2 * (entries.length + 1)) / 2;
    entries.forEach((e, i) => {
      const from = this.posPool.reserve(e.packed.length);
      this.posPool.data.set(e.packed, from);
      let weight = 0;
      for (const packed of e.packed) weight = Math.max(weight, packed & 3);
      this.lexPairs.data[2 * (lexStart + i)] = e.id;
      this.lexPairs.data[2 * (lexStart + i) + 1] = from * 4 + weight;
    });
    this.lexPairs.data[2 * (lexStart + entries.length)] = -1;
    this.lexPairs.data[2 * (lexStart + entries.length) + 1] = this.posPool.length * 4;
    this.appendDoc(row.threadId, meta, lexStart, entries.length, hash, row.document.length, facetIds);
  }

  remove(threadId: string): void {
    const at = this.byThread.get(threadId);
    if (at === undefined) return;
    this.threadOf[at] = null;
    this.records.data[at * RECORD + R.board] = -1;
    this.byThread.delete(threadId);
    this.dead++;
    if (this.dead > 1_000 && this.dead > this.byThread.size) this.compact();
  }

  /** The best `k` matching documents (every lexeme present), ranked as PgSearchIndex ranks them. */
  search(q: StoreQuery): StoreResult {
    // The query's operands as ts_rank_cd takes them: each lexeme once, in PostgreSQL's lexeme order.
    const unique = [...new Set(q.lexemes)].sort(compareLexemes);
    const ids = unique.map((l) => this.dictionary.get(l));
    if (!ids.length || ids.some((id) => id === undefined)) return { threadIds: [], total: 0 };
    const queryIds = ids as number[];
    const tag = q.tag === undefined ? -1 : (this.facets.get(`t:${q.tag}`) ?? -2);
    const sku = q.sku === undefined ? -1 : (this.facets.get(`s:${q.sku}`) ?? -2);
    if (tag === -2 || sku === -2) return { threadIds: [], total: 0 };
    const allowed = new Uint8Array(this.boards.size);
    for (const id of q.boardIds) {
      const n = this.boards.get(id);
      if (n !== undefined) allowed[n] = 1;
    }
    const nOps = queryIds.length;
    const from = new Int32Array(nOps);
    const to = new Int32Array(nOps);
    const [records, lexPairs, posPool, facetPool, facetStartOf, facetEndOf] = [this.records.data, this.lexPairs.data, this.posPool.data, this.facetPool.data, this.facetStartOf.data, this.facetEndOf.data];
    const top = new TopK(q.k);
    let total = 0;
    for (const n of intersect(queryIds.map((id) => this.postings[id]))) {
      const base = n * RECORD;
      // A dead document's board is -1: never allowed.
      if (!allowed[records[base + R.board]]) continue;
      if (tag >= 0 && !hasId(facetPool, facetStartOf[n], facetEndOf[n], tag)) continue;
      if (sku >= 0 && !hasId(facetPool, facetStartOf[n], facetEndOf[n], sku)) continue;
      total++;
      const start = records[base + R.lexStart];
      const end = start + records[base + R.lexCount];
      let entries = 0;
      let weight = 0;
      for (let i = 0; i < nOps; i++) {
        const j = lowerBound(lexPairs, start, end, queryIds[i]);
        from[i] = lexPairs[2 * j + 1] >> 2;
        to[i] = lexPairs[2 * j + 3] >> 2;
        entries += to[i] - from[i];
        weight = Math.max(weight, lexPairs[2 * j + 1] & 3);
      }
      const tier = records[base + R.flags] & FAQ ? 0 : 1;
      const factor = boost(records, base, q.now);
      // Ranking reads the positions; skip it when even the bound cannot enter the best k (bound: below).
      if (!top.mayEnter(tier, rankBound(entries - nOps + 1, WEIGHT[weight], records[base + R.length]) * factor)) continue;
      const text = rankCdSlices(posPool, from, to, nOps, records[base + R.length], INVERSE_WEIGHTS);
      top.offer(tier, text * factor, this.threadOf[n]!);
    }
    return { threadIds: top.sorted(), total };
  }

  /** Adds a document whose lexeme pairs are at lexPairs[lexStart..] (positions in posPool). */
  private appendDoc(threadId: string, meta: Meta, lexStart: number, lexCount: number, hash: number, textLength: number, facetIds: number[]): void {
    const n = this.threadOf.push(threadId) - 1;
    this.byThread.set(threadId, n);
    const base = this.records.reserve(RECORD);
    const r = this.records.data;
    r[base + R.board] = meta.board;
    r[base + R.flags] = meta.flags;
    r[base + R.score] = meta.score;
    r[base + R.replies] = meta.replyCount;
    r[base + R.lastPostAt] = meta.lastPostAt;
    r[base + R.lexStart] = lexStart;
    r[base + R.lexCount] = lexCount;
    r[base + R.length] = meta.length;
    this.hashOf.push(hash);
    this.textLengthOf.push(textLength);
    this.facetStartOf.push(this.appendAll(this.facetPool, facetIds));
    this.facetEndOf.push(this.facetPool.length);
    for (let j = lexStart; j < lexStart + lexCount; j++) this.postings[this.lexPairs.data[2 * j]].push(n);
  }

  private appendAll(column: Column<Int32Array>, values: number[]): number {
    const at = column.reserve(values.length);
    values.forEach((v, i) => (column.data[at + i] = v));
    return at;
  }

  /** Copies the live documents into new columns and pools and rebuilds the posting lists. */
  private compact(): void {
    const old = { threadOf: this.threadOf, records: this.records.data, hashOf: this.hashOf.data, textLengthOf: this.textLengthOf.data, lexPairs: this.lexPairs.data, posPool: this.posPool.data };
    const oldFacets = { pool: this.facetPool.data, start: this.facetStartOf.data, end: this.facetEndOf.data };
    this.threadOf = [];
    this.byThread.clear();
    this.postings = this.postings.map(() => []);
    this.dead = 0;
    [this.records, this.lexPairs, this.posPool] = [float64(64 * RECORD), int32(2_048), uint16(1_024)];
    [this.hashOf, this.textLengthOf, this.facetStartOf, this.facetEndOf, this.facetPool] = [uint32(), int32(), int32(), int32(), int32()];
    old.threadOf.forEach((threadId, n) => {
      if (threadId === null) return;
      const base = n * RECORD;
      const start = old.records[base + R.lexStart];
      const count = old.records[base + R.lexCount];
      const lexStart = this.lexPairs.reserve(2 * (count + 1)) / 2;
      const first = old.lexPairs[2 * start + 1] >> 2;
      const until = old.lexPairs[2 * (start + count) + 1] >> 2;
      const at = this.posPool.reserve(until - first);
      this.posPool.data.set(old.posPool.subarray(first, until), at);
      for (let j = 0; j <= count; j++) {
        const packed = old.lexPairs[2 * (start + j) + 1];
        this.lexPairs.data[2 * (lexStart + j)] = old.lexPairs[2 * (start + j)];
        this.lexPairs.data[2 * (lexStart + j) + 1] = ((packed >> 2) - first + at) * 4 + (packed & 3);
      }
      const meta: Meta = {
        board: old.records[base + R.board],
        flags: old.records[base + R.flags],
        score: old.records[base + R.score],
        replyCount: old.records[base + R.replies],
        lastPostAt: old.records[base + R.lastPostAt],
        length: old.records[base + R.length],
      };
      const facetIds = Array.from(oldFacets.pool.subarray(oldFacets.start[n], oldFacets.end[n]));
      this.appendDoc(threadId, meta, lexStart, count, old.hashOf[n], old.textLengthOf[n], facetIds);
    });
  }

  private facetIds(row: ThreadRow): number[] {
    return [...row.tags.map((t) => `t:${t}`), ...row.skus.map((s) => `s:${s}`)].map((key) => {
      let id = this.facets.get(key);
      if (id === undefined) {
        id = this.facets.size;
        this.facets.set(key, id);
      }
      return id;
    });
  }

  private boardNumber(boardId: string): number {
    let n = this.boards.get(boardId);
    if (n === undefined) {
      n = this.boards.size;
      this.boards.set(boardId, n);
    }
    return n;
  }

  private lexemeId(lexeme: string): number {
    let id = this.dictionary.get(lexeme);
    if (id === undefined) {
      id = this.postings.push([]) - 1;
      this.dictionary.set(lexeme, id);
    }
    return id;
  }
}

/**
 * An upper bound on ts_rank_cd(..., 33) for a document with `covers` covers at most and no weight above
 * `weight`: each cover adds at most the harmonic mean of its entries' weights (so at most the highest),
 * divided by 1 + its noise (>= 0); there are at most entries - operands + 1 covers (each starts one entry
 * further on, and holds every operand). Then the same normalisation, and a margin above float4's rounding.
 */
function rankBound(covers: number, weight: number, length: number): number {
  let w = covers * weight;
  if (length > 0) w /= Math.log(length + 1);
  return (w / (w + 1)) * (1 + 1e-6);
}

/** PgSearchIndex's BOOST, in float8 as there (recency from `now`, ms), from a document's record. */
function boost(records: Float64Array, base: number, now: number): number {
  const age = Math.max((now - records[base + R.lastPostAt]) / 1000, 0);
  return (
    1 +
    0.25 * (records[base + R.flags] & ANSWERED ? 1 : 0) +
    0.1 * Math.min(Math.log(1 + Math.max(records[base + R.score], 0)) / LN_101, 1) +
    0.05 * Math.min(Math.log(1 + records[base + R.replies]) / LN_101, 1) +
    0.05 * Math.exp(-age / 22896000)
  );
}

/** The numbers in every list (each ascending), ascending; the shortest list drives. */
function intersect(lists: number[][]): number[] {
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  const cursors = new Array<number>(sorted.length).fill(0);
  const found: number[] = [];
  outer: for (const n of sorted[0]) {
    for (let i = 1; i < sorted.length; i++) {
      const list = sorted[i];
      let c = cursors[i];
      while (c < list.length && list[c] < n) c++;
      cursors[i] = c;
      if (c === list.length) return found;
      if (list[c] !== n) continue outer;
    }
    found.push(n);
  }
  return found;
}

/**
 * The first pair in pairs[from..to) (pair indexes) whose lexeme id is >= id. The first few pairs are
 * scanned in order before a binary search: lexeme ids are given in order of first sight, so common
 * words have small ids and sit at the front of a document's pairs.
 */
function lowerBound(pairs: Int32Array, from: number, to: number, id: number): number {
  const scan = Math.min(to, from + 8);
  let j = from;
  while (j < scan && pairs[2 * j] < id) j++;
  if (j < scan || j === to) return j;
  let lo = j;
  let hi = to - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pairs[2 * mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function hasId(pool: Int32Array, from: number, to: number, id: number): boolean {
  for (let i = from; i < to; i++) if (pool[i] === id) return true;
  return false;
}

function sameIds(pool: Int32Array, from: number, to: number, ids: number[]): boolean {
  if (to - from !== ids.length) return false;
  return ids.every((id, i) => pool[from + i] === id);
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
