import { Column, float64, int32, TopK, uint16, uint32 } from './columns';
import { grown, PostingLists } from './postings';
import { compareLexemes, coverDensitySlices, docLength, normalizeCd, packPositions, parseTsvector } from './rank-cd';
import { boost, BOUND_LIMIT, BUCKETS, ceilingBoost, ceilingInvLog, densityBound, INVERSE_WEIGHTS, densityBoundOfCounts, packCeiling, pairDensityBound } from './ranking';

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
/** Bytes per document beyond the columns and pools: its thread id (a string, a map entry, a slot). */
const DOC_OVERHEAD = 120;
/**
 * A document's record in `records` (float64s, 64 bytes: one cache line). Only a candidate that may enter
 * the best k reads it (and its positions); the others are passed over on their postings and `boardOf`.
 */
const R = { board: 0, flags: 1, score: 2, replies: 3, lastPostAt: 4, posStart: 5, posEnd: 6, length: 7 } as const;
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
  private postings = new PostingLists();
  private dead = 0;

  private records = float64(64 * RECORD);
  /** Per document: board number * 2 + 1 for a FAQ entry, -1 once dead (what a candidate's filter and tier need). */
  private boardOf = int32();
  /** Per document: its ceiling (see INV_LOG_LIMIT), as its postings hold it. */
  private ceilingOf = int32();
  /** Per document, for upserts and filters only. */
  private hashOf = uint32();
  private textLengthOf = int32();
  private facetStartOf = int32();
  private facetEndOf = int32();
  private posPool = uint16(1_024);
  /** What the last search did, for tests and measurements: matches after filters, and how many of them were ranked. */
  readonly last = { total: 0, ranked: 0 };
  private facetPool = int32();

  get size(): number {
    return this.byThread.size;
  }

  /** An estimate of the memory the store holds. */
  get bytes(): number {
    const columns = [this.records, this.boardOf, this.ceilingOf, this.hashOf, this.textLengthOf, this.facetStartOf, this.facetEndOf, this.posPool, this.facetPool] as Column<never>[];
    const arrays = columns.reduce((sum, c) => sum + c.bytes, 0);
    return arrays + this.postings.bytes + this.threadOf.length * DOC_OVERHEAD + this.dictionary.size * 80;
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
      meta.length = this.records.data[at * RECORD + R.length];
      const ceiling = this.ceilingOf.data[at];
      this.setMeta(at, meta);
      // A new highest boost (score, replies, an answer) goes into the document's postings, which bound its rank.
      if (this.ceilingOf.data[at] !== ceiling) {
        for (const lexeme of parseTsvector(row.document)) this.postings.setCeiling(this.lexemeId(lexeme.lexeme), at, this.ceilingOf.data[at]);
      }
      if (!sameIds(this.facetPool.data, this.facetStartOf.data[at], this.facetEndOf.data[at], facetIds)) {
        this.facetStartOf.data[at] = this.appendAll(this.facetPool, facetIds);
        this.facetEndOf.data[at] = this.facetPool.length;
      }
      return;
    }
    if (at !== undefined) this.remove(row.threadId);
    const parsed = parseTsvector(row.document);
    meta.length = docLength(parsed);
    const n = this.appendDoc(row.threadId, meta, hash, row.document.length, facetIds);
    const posStart = this.posPool.length;
    for (const lexeme of parsed) {
      const packed = packPositions(lexeme.positions, lexeme.weights);
      const from = this.posPool.reserve(packed.length);
      this.posPool.data.set(packed, from);
      let weight = 0;
      for (const p of packed) weight = Math.max(weight, p & 3);
      this.postings.append(this.lexemeId(lexeme.lexeme), n, from, packed.length, weight, this.ceilingOf.data[n]);
    }
    this.records.data[n * RECORD + R.posStart] = posStart;
    this.records.data[n * RECORD + R.posEnd] = this.posPool.length;
  }

  remove(threadId: string): void {
    const at = this.byThread.get(threadId);
    if (at === undefined) return;
    this.threadOf[at] = null;
    this.records.data[at * RECORD + R.board] = -1;
    this.boardOf.data[at] = -1;
    this.byThread.delete(threadId);
    this.dead++;
    if (this.dead > 1_000 && this.dead > this.byThread.size) this.compact();
  }

  /** The best `k` matching documents (every lexeme present), ranked as PgSearchIndex ranks them. */
  search(q: StoreQuery): StoreResult {
    // The query's operands as ts_rank_cd takes them: each lexeme once, in PostgreSQL's lexeme order.
    const unique = [...new Set(q.lexemes)].sort(compareLexemes);
    const ids = unique.map((l) => this.dictionary.get(l));
    this.last.total = this.last.ranked = 0;
    if (!ids.length || ids.some((id) => id === undefined)) return { threadIds: [], total: 0 };
    const tag = q.tag === undefined ? -1 : (this.facets.get(`t:${q.tag}`) ?? -2);
    const sku = q.sku === undefined ? -1 : (this.facets.get(`s:${q.sku}`) ?? -2);
    if (tag === -2 || sku === -2) return { threadIds: [], total: 0 };
    const allowed = new Uint8Array(this.boards.size);
    for (const id of q.boardIds) {
      const n = this.boards.get(id);
      if (n !== undefined) allowed[n] = 1;
    }
    const nOps = ids.length;
    const from = new Int32Array(nOps);
    const to = new Int32Array(nOps);
    const [records, boardOf, posPool, facetPool, facetStartOf, facetEndOf] = [this.records.data, this.boardOf.data, this.posPool.data, this.facetPool.data, this.facetStartOf.data, this.facetEndOf.data];
    const threadOf = this.threadOf;
    const top = new TopK(q.k, (n) => threadOf[n]!);
    const { count, docs, at, data } = this.postings.intersect(ids as number[]);
    // Pass 1: each candidate's bound (ranking.ts; with the document's highest boost) from its
    // postings alone, and its bucket: FAQ entries' buckets above the others', then by bound.
    const bounds = (scratch.bounds = grown(scratch.bounds, count));
    const bucketOf = (scratch.bucketOf = grown(scratch.bucketOf, count));
    bucketOf.fill(-1, 0, count);
    const sizes = scratch.sizes.fill(0);
    let total = 0;
    for (let m = 0; m < count; m++) {
      const n = docs[m];
      const placed = boardOf[n];
      // A dead document's is -1: never allowed.
      if (placed < 0 || !allowed[placed >> 1]) continue;
      if (tag >= 0 && !hasId(facetPool, facetStartOf[n], facetEndOf[n], tag)) continue;
      if (sku >= 0 && !hasId(facetPool, facetStartOf[n], facetEndOf[n], sku)) continue;
      total++;
      const ceiling = data[0][at[m * nOps] + 3];
      let density: number;
      if (nOps === 2) {
        const first = data[0][at[m * 2] + 2];
        const second = data[1][at[m * 2 + 1] + 2];
        density = pairDensityBound(first >> 2, first & 3, second >> 2, second & 3);
      } else {
        let entries = 0;
        let weight = 0;
        for (let i = 0; i < nOps; i++) {
          const counted = data[i][at[m * nOps + i] + 2];
          entries += counted >> 2;
          weight = Math.max(weight, counted & 3);
        }
        density = densityBoundOfCounts(entries, nOps, weight);
      }
      const bound = densityBound(density, ceilingInvLog(ceiling)) * ceilingBoost(ceiling);
      const bucket = (placed & 1) * BUCKETS + Math.min(BUCKETS - 1, Math.floor((bound / BOUND_LIMIT) * BUCKETS));
      bounds[m] = bound;
      bucketOf[m] = bucket;
      sizes[bucket]++;
    }
    // The candidates by bucket, highest first (in document order within one): a counting sort.
    const next = scratch.next;
    for (let b = 2 * BUCKETS - 1, placedSoFar = 0; b >= 0; b--) {
      next[b] = placedSoFar;
      placedSoFar += sizes[b];
    }
    const order = (scratch.order = grown(scratch.order, total));
    for (let m = 0; m < count; m++) if (bucketOf[m] >= 0) order[next[bucketOf[m]]++] = m;
    // Pass 2: rank from the highest bucket down; once a bucket's ceiling cannot enter the best k, no later one can.
    let ranked = 0;
    for (let o = 0; o < total; o++) {
      const m = order[o];
      const bucket = bucketOf[m];
      const tier = bucket >= BUCKETS ? 0 : 1;
      // The bucket's ceiling (the top bucket's is open: it also takes any bound past BOUND_LIMIT).
      const ceilingOfBucket = bucket % BUCKETS === BUCKETS - 1 ? Infinity : (((bucket % BUCKETS) + 1) / BUCKETS) * BOUND_LIMIT;
      if (!top.mayEnter(tier, ceilingOfBucket)) break;
      if (!top.mayEnter(tier, bounds[m])) continue;
      const n = docs[m];
      for (let i = 0; i < nOps; i++) {
        const p = at[m * nOps + i];
        from[i] = data[i][p + 1];
        to[i] = from[i] + (data[i][p + 2] >> 2);
      }
      // The positions: the covers, then their bound with the ceiling (its 1 / ln(length + 1) and highest
      // boost, each rounded up); only then the record, for the exact normalisation and boost.
      ranked++;
      const density = coverDensitySlices(posPool, from, to, nOps, INVERSE_WEIGHTS);
      const ceiling = data[0][at[m * nOps] + 3];
      if (!top.mayEnter(tier, densityBound(density, ceilingInvLog(ceiling)) * ceilingBoost(ceiling))) continue;
      const text = normalizeCd(density, records[n * RECORD + R.length]);
      top.offer(tier, text * this.boostOf(n, q.now), n);
    }
    this.last.total = total;
    this.last.ranked = ranked;
    return { threadIds: top.sorted().map((n) => threadOf[n]!), total };
  }

  /** Adds a document (its positions and postings come next); returns its number. */
  private appendDoc(threadId: string, meta: Meta, hash: number, textLength: number, facetIds: number[]): number {
    const n = this.threadOf.push(threadId) - 1;
    this.byThread.set(threadId, n);
    this.records.reserve(RECORD);
    this.boardOf.reserve(1);
    this.ceilingOf.reserve(1);
    this.setMeta(n, meta);
    this.hashOf.push(hash);
    this.textLengthOf.push(textLength);
    this.facetStartOf.push(this.appendAll(this.facetPool, facetIds));
    this.facetEndOf.push(this.facetPool.length);
    return n;
  }

  /** A document's fields other than its text and facets, in its record and the columns read before it. */
  private setMeta(n: number, meta: Meta): void {
    const r = this.records.data;
    const base = n * RECORD;
    r[base + R.board] = meta.board;
    r[base + R.flags] = meta.flags;
    r[base + R.score] = meta.score;
    r[base + R.replies] = meta.replyCount;
    r[base + R.lastPostAt] = meta.lastPostAt;
    r[base + R.length] = meta.length;
    this.boardOf.data[n] = meta.board * 2 + (meta.flags & FAQ ? 1 : 0);
    // The recency term at its highest (age 0), as boost() computes it for a post from `now` on.
    this.ceilingOf.data[n] = packCeiling(meta.length, this.boostOf(n, meta.lastPostAt));
  }

  /** The document's boost at `now`, from its record. */
  private boostOf(n: number, now: number): number {
    const r = this.records.data;
    const base = n * RECORD;
    return boost((r[base + R.flags] & ANSWERED) !== 0, r[base + R.score], r[base + R.replies], r[base + R.lastPostAt], now);
  }

  private appendAll(column: Column<Int32Array>, values: number[]): number {
    const at = column.reserve(values.length);
    values.forEach((v, i) => (column.data[at + i] = v));
    return at;
  }

  /** Copies the live documents into new columns and a new position pool, and renumbers the posting lists. */
  private compact(): void {
    const old = { threadOf: this.threadOf, records: this.records.data, hashOf: this.hashOf.data, textLengthOf: this.textLengthOf.data, posPool: this.posPool.data };
    const oldFacets = { pool: this.facetPool.data, start: this.facetStartOf.data, end: this.facetEndOf.data };
    const renumber = new Int32Array(old.threadOf.length).fill(-1);
    const shift = new Int32Array(old.threadOf.length);
    this.threadOf = [];
    this.byThread.clear();
    this.dead = 0;
    [this.records, this.boardOf, this.ceilingOf, this.posPool] = [float64(64 * RECORD), int32(), int32(), uint16(1_024)];
    [this.hashOf, this.textLengthOf, this.facetStartOf, this.facetEndOf, this.facetPool] = [uint32(), int32(), int32(), int32(), int32()];
    old.threadOf.forEach((threadId, n) => {
      if (threadId === null) return;
      const base = n * RECORD;
      const meta: Meta = {
        board: old.records[base + R.board],
        flags: old.records[base + R.flags],
        score: old.records[base + R.score],
        replyCount: old.records[base + R.replies],
        lastPostAt: old.records[base + R.lastPostAt],
        length: old.records[base + R.length],
      };
      const facetIds = Array.from(oldFacets.pool.subarray(oldFacets.start[n], oldFacets.end[n]));
      const now = this.appendDoc(threadId, meta, old.hashOf[n], old.textLengthOf[n], facetIds);
      const [first, until] = [old.records[base + R.posStart], old.records[base + R.posEnd]];
      const at = this.posPool.reserve(until - first);
      this.posPool.data.set(old.posPool.subarray(first, until), at);
      this.records.data[now * RECORD + R.posStart] = at;
      this.records.data[now * RECORD + R.posEnd] = at + until - first;
      renumber[n] = now;
      shift[n] = at - first;
    });
    this.postings.compact(renumber, shift);
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
      id = this.postings.add();
      this.dictionary.set(lexeme, id);
    }
    return id;
  }
}

/** Scratch arrays of search, reused (a search runs to its end without yielding; see PostingLists.intersect). */
const scratch = {
  bounds: new Float64Array(256),
  bucketOf: new Int16Array(256),
  order: new Int32Array(256),
  sizes: new Int32Array(2 * BUCKETS),
  next: new Int32Array(2 * BUCKETS),
};

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
