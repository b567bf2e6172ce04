/**
 * Growable typed arrays for the in-memory thread documents: a store keeps its documents in a few large
 * arrays (columns per document, pools of lexemes and positions) rather than an object or three typed
 * arrays per document. Reading a candidate then touches contiguous memory, and the garbage collector
 * sees a handful of objects instead of hundreds of thousands (a full collection with 50,000 documents as
 * objects took 75 ms on our machines).
 */
type Typed = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

export class Column<T extends Typed> {
  data: T;
  length = 0;

  constructor(private readonly make: (size: number) => T, capacity = 64) {
    this.data = make(capacity);
  }

  /** Room for `n` more values at the end; returns where they start. */
  reserve(n: number): number {
    const at = this.length;
    if (at + n > this.data.length) {
      const next = this.make(Math.max(at + n, this.data.length * 2));
      next.set(this.data.subarray(0, at) as never);
      this.data = next;
    }
    this.length = at + n;
    return at;
  }

  push(value: number): number {
    const at = this.reserve(1);
    this.data[at] = value;
    return at;
  }

  get bytes(): number {
    return this.data.byteLength;
  }
}

export const int32 = (capacity?: number) => new Column((n) => new Int32Array(n), capacity);
export const uint32 = (capacity?: number) => new Column((n) => new Uint32Array(n), capacity);
export const uint16 = (capacity?: number) => new Column((n) => new Uint16Array(n), capacity);
export const uint8 = (capacity?: number) => new Column((n) => new Uint8Array(n), capacity);
export const float64 = (capacity?: number) => new Column((n) => new Float64Array(n), capacity);

/**
 * The best k by (tier asc, rank desc, thread id asc): a binary heap whose root is the worst kept. Holds
 * document numbers; `idOf` gives a document's thread id, read only to break a tie of rank.
 */
export class TopK {
  private readonly tiers: number[] = [];
  private readonly ranks: number[] = [];
  private readonly ids: number[] = [];

  constructor(
    private readonly k: number,
    private readonly idOf: (doc: number) => string,
  ) {}

  offer(tier: number, rank: number, id: number): void {
    if (this.k <= 0) return;
    if (this.ids.length < this.k) {
      this.tiers.push(tier);
      this.ranks.push(rank);
      this.ids.push(id);
      this.up(this.ids.length - 1);
    } else if (this.before(tier, rank, id, this.tiers[0], this.ranks[0], this.ids[0])) {
      this.tiers[0] = tier;
      this.ranks[0] = rank;
      this.ids[0] = id;
      this.down(0);
    }
  }

  /** Whether a candidate of `tier` ranked at most `rank` could still enter (the kept are fewer than k, or the worst kept is beaten or tied). */
  mayEnter(tier: number, rank: number): boolean {
    if (this.ids.length < this.k) return true;
    if (tier !== this.tiers[0]) return tier < this.tiers[0];
    return rank >= this.ranks[0];
  }

  sorted(): number[] {
    const order = this.ids.map((_, i) => i);
    order.sort((a, b) => (this.isBefore(a, b) ? -1 : 1));
    return order.map((i) => this.ids[i]);
  }

  private isBefore(a: number, b: number): boolean {
    return this.before(this.tiers[a], this.ranks[a], this.ids[a], this.tiers[b], this.ranks[b], this.ids[b]);
  }

  private before(tierA: number, rankA: number, docA: number, tierB: number, rankB: number, docB: number): boolean {
    if (tierA !== tierB) return tierA < tierB;
    if (rankA !== rankB) return rankA > rankB;
    return this.idOf(docA) < this.idOf(docB);
  }

  private swap(a: number, b: number): void {
    [this.tiers[a], this.tiers[b]] = [this.tiers[b], this.tiers[a]];
    [this.ranks[a], this.ranks[b]] = [this.ranks[b], this.ranks[a]];
    [this.ids[a], this.ids[b]] = [this.ids[b], this.ids[a]];
  }

  /** A parent is never before its children. */
  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.isBefore(parent, i)) break;
      this.swap(parent, i);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < n && this.isBefore(worst, l)) worst = l;
      if (r < n && this.isBefore(worst, r)) worst = r;
      if (worst === i) return;
      this.swap(worst, i);
      i = worst;
    }
  }
}

