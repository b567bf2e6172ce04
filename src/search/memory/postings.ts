import { Column, int32 } from './columns';

/**
 * Ints per posting: [document number, where its positions start in the pool, count << 2 | highest weight,
 * the document's ceiling (what its rank's bound needs besides the words: see ThreadStore)].
 */
export const POSTING = 4;
/** Bytes of a list beyond its values (the column and its typed array), for the store's estimate. */
const LIST_OVERHEAD = 160;

/**
 * The posting lists of a store: per lexeme id, one posting per document holding it, ascending by
 * document number, each with where that lexeme's positions sit in the store's position pool and how many
 * there are. A search reads a candidate's positions straight from its postings, so it never looks the
 * lexeme up inside the document (that lookup was the largest share of a search: a cache miss per
 * candidate and word, then a binary search). Typed arrays, so a garbage collection does not walk the
 * millions of entries.
 */
export class PostingLists {
  private lists: Column<Int32Array>[] = [];

  get count(): number {
    return this.lists.length;
  }

  get bytes(): number {
    return this.lists.reduce((sum, list) => sum + list.bytes + LIST_OVERHEAD, 0);
  }

  /** A new, empty list; returns its lexeme id. */
  add(): number {
    return this.lists.push(int32(POSTING * 2)) - 1;
  }

  /** Appends a posting; `doc` must be above every document already in the list. */
  append(lexeme: number, doc: number, positionsAt: number, positions: number, weight: number, ceiling: number): void {
    const list = this.lists[lexeme];
    const at = list.reserve(POSTING);
    list.data[at] = doc;
    list.data[at + 1] = positionsAt;
    list.data[at + 2] = (positions << 2) | weight;
    list.data[at + 3] = ceiling;
  }

  /** Sets the ceiling of `doc`'s posting in the list of `lexeme` (a binary search: the list is in document order). */
  setCeiling(lexeme: number, doc: number, ceiling: number): void {
    const list = this.lists[lexeme];
    const at = seek(list.data, 0, list.length, doc);
    if (at < list.length && list.data[at] === doc) list.data[at + 3] = ceiling;
  }

  /**
   * The documents in every one of the lists, ascending: `docs[m]` and, for list i (in the order given),
   * the offset of its posting in that list's data at `at[m * lexemes.length + i]` (both arrays may be
   * longer than `count`, and are reused by the next call). The shortest list drives; the others are
   * walked forward, galloping when far behind.
   */
  intersect(lexemes: number[]): { count: number; docs: Int32Array; at: Int32Array; data: Int32Array[] } {
    const k = lexemes.length;
    const data = lexemes.map((id) => this.lists[id].data);
    const ends = lexemes.map((id) => this.lists[id].length);
    let driver = 0;
    for (let i = 1; i < k; i++) if (ends[i] < ends[driver]) driver = i;
    // Scratch arrays reused by every search (a search runs to its end without yielding): allocating them
    // each time, tens of kB at a million posts, made the garbage collector run more often.
    const docs = (scratch.docs = grown(scratch.docs, ends[driver] / POSTING));
    const at = (scratch.at = grown(scratch.at, (ends[driver] / POSTING) * k));
    const cursors = new Int32Array(k);
    const lead = data[driver];
    let count = 0;
    outer: for (let p = 0; p < ends[driver]; p += POSTING) {
      const n = lead[p];
      for (let i = 0; i < k; i++) {
        if (i === driver) continue;
        const c = seek(data[i], cursors[i], ends[i], n);
        cursors[i] = c;
        if (c === ends[i]) break outer;
        if (data[i][c] !== n) continue outer;
      }
      for (let i = 0; i < k; i++) at[count * k + i] = i === driver ? p : cursors[i];
      docs[count++] = n;
    }
    return { count, docs, at, data };
  }

  /**
   * Renumbers after a compaction: a posting of document d moves to document `renumber[d]` with its
   * positions `shift[d]` further on, or is dropped when `renumber[d]` is -1. Order is kept (renumbering
   * keeps the documents' order).
   */
  compact(renumber: Int32Array, shift: Int32Array): void {
    for (const list of this.lists) {
      const d = list.data;
      let out = 0;
      for (let p = 0; p < list.length; p += POSTING) {
        const doc = d[p];
        if (renumber[doc] < 0) continue;
        d[out] = renumber[doc];
        d[out + 1] = d[p + 1] + shift[doc];
        d[out + 2] = d[p + 2];
        d[out + 3] = d[p + 3];
        out += POSTING;
      }
      list.length = out;
    }
  }
}

/** Scratch for intersect: valid until the next call. */
const scratch = { docs: new Int32Array(256), at: new Int32Array(512) };

/** `array` when it holds `n` values, else a new one at least twice as long. */
export function grown<T extends Int32Array | Int16Array | Float64Array>(array: T, n: number): T {
  if (array.length >= n) return array;
  const Type = array.constructor as new (size: number) => T;
  return new Type(Math.max(n, array.length * 2));
}

/** The offset of the first posting at or after `from` whose document is >= n (or `end`). */
function seek(list: Int32Array, from: number, end: number, n: number): number {
  let c = from;
  // A few steps in order, then gallop: two common words walk in step; a rare one leaps through a common one.
  for (let i = 0; i < 4; i++) {
    if (c >= end || list[c] >= n) return c;
    c += POSTING;
  }
  let step = POSTING;
  let lo = c;
  while (c < end && list[c] < n) {
    lo = c + POSTING;
    c += step;
    step *= 2;
  }
  let hi = Math.min(c, end);
  // list[lo - POSTING] < n; the answer is in [lo, hi].
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / POSTING / 2) * POSTING;
    if (list[mid] < n) lo = mid + POSTING;
    else hi = mid;
  }
  return lo;
}
