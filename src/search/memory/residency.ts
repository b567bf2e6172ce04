/** A resident community is not dropped for another before it has been in memory this long. */
export const MIN_RESIDENCE_MS = 5 * 60_000;
/** A community refused for lack of room is not tried again before this. */
export const RETRY_BUSY_MS = 60_000;
/** A community bigger than the whole budget is not tried again before this. */
export const RETRY_TOO_BIG_MS = 10 * 60_000;
/** Searches counted per community halve every this long. */
const HALF_LIFE_MS = 60_000;
/** Communities whose searches are counted at most (the least searched are forgotten first). */
const MAX_COUNTED = 10_000;

/**
 * Which communities keep their thread documents in memory under the budget (SEARCH_MEMORY_MB). Loading a
 * community of 50,000 threads takes about 1.5 s of parsing, so a server with more searched communities
 * than fit must not drop and reload them in turn: a community is loaded only when it fits beside the
 * others, or when the residents that must make room have been in memory for 5 minutes and are searched
 * less than it (searches counted with a one-minute half-life). Refused communities are left to
 * PostgreSQL and tried again a minute later (ten when bigger than the whole budget).
 */
export class Residency {
  private readonly demand = new Map<string, { score: number; at: number }>();
  private readonly since = new Map<string, number>();
  private readonly refusedUntil = new Map<string, number>();

  constructor(
    private readonly budget: number,
    private readonly clock: () => number,
  ) {}

  /** Counts a search of the community. */
  searched(id: string): void {
    const now = this.clock();
    this.demand.set(id, { score: this.score(id, now) + 1, at: now });
    if (this.demand.size > MAX_COUNTED) {
      const coldest = [...this.demand].sort((a, b) => this.score(a[0], now) - this.score(b[0], now)).slice(0, MAX_COUNTED / 10);
      for (const [key] of coldest) if (!this.since.has(key)) this.demand.delete(key);
    }
  }

  /** Whether a load of the community may be tried now. */
  mayTry(id: string): boolean {
    return (this.refusedUntil.get(id) ?? 0) <= this.clock();
  }

  /**
   * The residents to drop so that a community needing `need` bytes fits (`residents`: id -> bytes), or
   * null when it is not to be loaded now.
   */
  plan(id: string, need: number, residents: ReadonlyMap<string, number>): string[] | null {
    const now = this.clock();
    if (need > this.budget) {
      this.refusedUntil.set(id, now + RETRY_TOO_BIG_MS);
      return null;
    }
    let free = this.budget - [...residents.values()].reduce((sum, bytes) => sum + bytes, 0);
    if (need <= free) return [];
    const mine = this.score(id, now);
    const victims: string[] = [];
    const candidates = [...residents]
      .filter(([key]) => now - (this.since.get(key) ?? now) >= MIN_RESIDENCE_MS && this.score(key, now) < mine)
      .sort((a, b) => this.score(a[0], now) - this.score(b[0], now));
    for (const [key, bytes] of candidates) {
      if (need <= free) break;
      victims.push(key);
      free += bytes;
    }
    if (need > free) {
      this.refusedUntil.set(id, now + RETRY_BUSY_MS);
      return null;
    }
    return victims;
  }

  admitted(id: string): void {
    this.since.set(id, this.clock());
    this.refusedUntil.delete(id);
  }

  dropped(id: string): void {
    this.since.delete(id);
  }

  private score(id: string, now: number): number {
    const d = this.demand.get(id);
    return d ? d.score * 0.5 ** ((now - d.at) / HALF_LIFE_MS) : 0;
  }
}
