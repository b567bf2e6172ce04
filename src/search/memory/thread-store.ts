import { Column, float64, int32, TopK, uint16, uint32, uint8 } from './columns';
import { compareLexemes, docLength, inverseWeights, packPositions, parseTsvector, rankCdSlices } from './rank-cd';

/** ts_rank_cd's weights {D, C, B, A} as PgSearchIndex uses them: title 1.0, first post and answers 0.4. */
const INVERSE_WEIGHTS = inverseWeights([0.1, 0.4, 0.4, 1.0]);
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

/** A document's fields other than its text, as the columns keep them. */
interface Meta {
  board: number;
  flags: number;
  score: number;
  replyCount: number;
  lastPostAt: number;
  length: number;
  hash: number;
  textLength: number;
}

/**
 * One community's thread documents (search_threads) in memory: a dictionary of lexemes, a posting list
 * of document numbers per lexeme (ascending), and per document its lexemes with their positions packed
 * as PostgreSQL keeps them (position << 2 | weight), all in columns and pools (columns.ts). A changed
 * document gets a new number (so posting lists stay sorted by appending); the old number is left dead
 * until the store is compacted, when the dead outnumber the live. A change of counters only (a reply, a
 * vote) updates the columns in place.
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

  // Per document.
  private boardOf = int32();
  private flagsOf = uint8();
  private scoreOf = int32();
  private repliesOf = int32();
  private lastPostOf = float64();
  private lengthOf = int32();
  private hashOf = uint32();
  private textLengthOf = int32();
  private lexStartOf = int32();
  private lexEndOf = int32();
  private posEndOf = int32();
  private facetStartOf = int32();
  private facetEndOf = int32();
  // Pools: a document's lexeme ids (ascending) and where each one's positions start, its positions, its facets.
  private lexPool = int32(1_024);
  private posStartPool = int32(1_024);
  private posPool = uint16(1_024);
  private facetPool = int32();

  get size(): number {
    return this.byThread.size;
  }

  /** An estimate of the memory the store holds. */
  get bytes(): number {
    const columns = [this.boardOf, this.flagsOf, this.scoreOf, this.repliesOf, this.lastPostOf, this.lengthOf, this.hashOf, this.textLengthOf, this.lexStartOf, this.lexEndOf, this.posEndOf, this.facetStartOf, this.facetEndOf, this.lexPool, this.posStartPool, this.posPool, this.facetPool] as Column<never>[];
    const arrays = columns.reduce((sum, c) => sum + c.bytes, 0);
    return arrays + this.lexPool.length * 8 + this.threadOf.length * 8 + this.byThread.size * DOC_OVERHEAD + this.dictionary.size * 80;
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
      hash,
      textLength: row.document.length,
    };
    if (at !== undefined && this.hashOf.data[at] === hash && this.textLengthOf.data[at] === row.document.length) {
      // The same text: counters and filters in place (a reply, a vote, a move).
      this.boardOf.data[at] = meta.board;
      this.flagsOf.data[at] = meta.flags;
      this.scoreOf.data[at] = meta.score;
      this.repliesOf.data[at] = meta.replyCount;
      this.lastPostOf.data[at] = meta.lastPostAt;
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
    const lexStart = this.lexPool.reserve(entries.length);
    this.posStartPool.reserve(entries.length);
    entries.forEach((e, i) => {
      this.lexPool.data[lexStart + i] = e.id;
      const from = this.posPool.reserve(e.packed.length);
      this.posPool.data.set(e.packed, from);
      this.posStartPool.data[lexStart + i] = from;
    });
    this.appendDoc(row.threadId, meta, lexStart, facetIds);
  }

  remove(threadId: string): void {
    const at = this.byThread.get(threadId);
    if (at === undefined) return;
    this.threadOf[at] = null;
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
    const [boardOf, flagsOf, lexPool, posStartPool, posPool] = [this.boardOf.data, this.flagsOf.data, this.lexPool.data, this.posStartPool.data, this.posPool.data];
    const [lexStartOf, lexEndOf, posEndOf, facetPool, facetStartOf, facetEndOf] = [this.lexStartOf.data, this.lexEndOf.data, this.posEndOf.data, this.facetPool.data, this.facetStartOf.data, this.facetEndOf.data];
    const top = new TopK(q.k);
    let total = 0;
    for (const n of intersect(queryIds.map((id) => this.postings[id]))) {
      const threadId = this.threadOf[n];
      if (threadId === null || !allowed[boardOf[n]]) continue;
      if (tag >= 0 && !hasId(facetPool, facetStartOf[n], facetEndOf[n], tag)) continue;
      if (sku >= 0 && !hasId(facetPool, facetStartOf[n], facetEndOf[n], sku)) continue;
      total++;
      const start = lexStartOf[n];
      const end = lexEndOf[n];
      for (let i = 0; i < nOps; i++) {
        const j = lowerBound(lexPool, start, end, queryIds[i]);
        from[i] = posStartPool[j];
        to[i] = j + 1 < end ? posStartPool[j + 1] : posEndOf[n];
      }
      const text = rankCdSlices(posPool, from, to, nOps, this.lengthOf.data[n], INVERSE_WEIGHTS);
      top.offer(flagsOf[n] & FAQ ? 0 : 1, text * this.boost(n, q.now), threadId);
    }
    return { threadIds: top.sorted(), total };
  }

  /** PgSearchIndex's BOOST, in float8 as there (recency from `now`, ms). */
  private boost(n: number, now: number): number {
    const age = Math.max((now - this.lastPostOf.data[n]) / 1000, 0);
    return (
      1 +
      0.25 * (this.flagsOf.data[n] & ANSWERED ? 1 : 0) +
      0.1 * Math.min(Math.log(1 + Math.max(this.scoreOf.data[n], 0)) / LN_101, 1) +
      0.05 * Math.min(Math.log(1 + this.repliesOf.data[n]) / LN_101, 1) +
      0.05 * Math.exp(-age / 22896000)
    );
  }

  /** Adds a document whose lexemes are already at lexPool[lexStart..lexPool.length) (positions in posPool). */
  private appendDoc(threadId: string, meta: Meta, lexStart: number, facetIds: number[]): void {
    const n = this.threadOf.push(threadId) - 1;
    this.byThread.set(threadId, n);
    this.boardOf.push(meta.board);
    this.flagsOf.push(meta.flags);
    this.scoreOf.push(meta.score);
    this.repliesOf.push(meta.replyCount);
    this.lastPostOf.push(meta.lastPostAt);
    this.lengthOf.push(meta.length);
    this.hashOf.push(meta.hash);
    this.textLengthOf.push(meta.textLength);
    this.lexStartOf.push(lexStart);
    this.lexEndOf.push(this.lexPool.length);
    this.posEndOf.push(this.posPool.length);
    this.facetStartOf.push(this.appendAll(this.facetPool, facetIds));
    this.facetEndOf.push(this.facetPool.length);
    for (let j = lexStart; j < this.lexPool.length; j++) this.postings[this.lexPool.data[j]].push(n);
  }

  private appendAll(column: Column<Int32Array>, values: number[]): number {
    const at = column.reserve(values.length);
    values.forEach((v, i) => (column.data[at + i] = v));
    return at;
  }

  /** Copies the live documents into new columns and pools and rebuilds the posting lists. */
  private compact(): void {
    const old = {
      threadOf: this.threadOf, boardOf: this.boardOf, flagsOf: this.flagsOf, scoreOf: this.scoreOf, repliesOf: this.repliesOf, lastPostOf: this.lastPostOf,
      lengthOf: this.lengthOf, hashOf: this.hashOf, textLengthOf: this.textLengthOf, lexStartOf: this.lexStartOf, lexEndOf: this.lexEndOf, posEndOf: this.posEndOf,
      facetStartOf: this.facetStartOf, facetEndOf: this.facetEndOf, lexPool: this.lexPool, posStartPool: this.posStartPool, posPool: this.posPool, facetPool: this.facetPool,
    };
    this.threadOf = [];
    this.byThread.clear();
    this.postings = this.postings.map(() => []);
    this.dead = 0;
    [this.boardOf, this.scoreOf, this.repliesOf, this.lengthOf, this.textLengthOf, this.lexStartOf, this.lexEndOf, this.posEndOf, this.facetStartOf, this.facetEndOf] = Array.from({ length: 10 }, () => int32());
    [this.flagsOf, this.lastPostOf, this.hashOf] = [uint8(), float64(), uint32()];
    [this.lexPool, this.posStartPool, this.posPool, this.facetPool] = [int32(1_024), int32(1_024), uint16(1_024), int32()];
    old.threadOf.forEach((threadId, n) => {
      if (threadId === null) return;
      const start = old.lexStartOf.data[n];
      const end = old.lexEndOf.data[n];
      const lexStart = this.lexPool.reserve(end - start);
      this.posStartPool.reserve(end - start);
      for (let j = start; j < end; j++) {
        const until = j + 1 < end ? old.posStartPool.data[j + 1] : old.posEndOf.data[n];
        const at = this.posPool.reserve(until - old.posStartPool.data[j]);
        this.posPool.data.set(old.posPool.data.subarray(old.posStartPool.data[j], until), at);
        this.lexPool.data[lexStart + j - start] = old.lexPool.data[j];
        this.posStartPool.data[lexStart + j - start] = at;
      }
      const meta: Meta = {
        board: old.boardOf.data[n],
        flags: old.flagsOf.data[n],
        score: old.scoreOf.data[n],
        replyCount: old.repliesOf.data[n],
        lastPostAt: old.lastPostOf.data[n],
        length: old.lengthOf.data[n],
        hash: old.hashOf.data[n],
        textLength: old.textLengthOf.data[n],
      };
      this.appendDoc(threadId, meta, lexStart, Array.from(old.facetPool.data.subarray(old.facetStartOf.data[n], old.facetEndOf.data[n])));
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

/** The numbers in every list (each ascending), ascending; the shortest list drives. */
function* intersect(lists: number[][]): Generator<number> {
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  const cursors = new Array<number>(sorted.length).fill(0);
  outer: for (const n of sorted[0]) {
    for (let i = 1; i < sorted.length; i++) {
      const list = sorted[i];
      let c = cursors[i];
      while (c < list.length && list[c] < n) c++;
      cursors[i] = c;
      if (c === list.length) return;
      if (list[c] !== n) continue outer;
    }
    yield n;
  }
}

/** The first index in pool[from..to) whose value is >= id. */
function lowerBound(pool: Int32Array, from: number, to: number, id: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pool[mid] < id) lo = mid + 1;
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
