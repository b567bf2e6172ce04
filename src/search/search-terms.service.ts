import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Db } from '../core/database/db.service';
import { LOGGER } from '../core/logging/logger';

const FLUSH_EVERY_MS = 10_000;
/** Distinct (community, day, text) kept between flushes; past it new texts wait for the next flush's room. */
const MAX_PENDING = 10_000;
/** Counts older than this are pruned (a year and a month: a year-on-year view). */
const KEEP_DAYS = 400;
/** Searched texts are kept to this many characters. */
export const TERM_MAX_LENGTH = 100;

export interface SearchTermCount {
  term: string;
  searches: number;
  zeroResults: number;
}

interface Pending {
  communityId: string;
  day: string;
  term: string;
  searches: number;
  zeroResults: number;
}

/** The text of a search as counted: lowercased, runs of white space made one space, trimmed, at most 100 characters. */
export function normalizeTerm(q: string): string {
  return q.toLowerCase().split(/\s+/).filter(Boolean).join(' ').slice(0, TERM_MAX_LENGTH);
}

/**
 * What customers search for, and what they do not find (the staff dashboard's content gaps).
 * Each instance counts the first page of each search in memory and adds its counts to
 * search_terms_daily every 10 s (one statement, rows in key order so instances never deadlock), on
 * shutdown, and before it answers a report. Only the text and counts per community and UTC day are
 * kept: no user, session or address. Suggestions (one per keystroke) are not counted.
 */
@Injectable()
export class SearchTermsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private prunedDay = '';

  constructor(
    private readonly db: Db,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.flush().catch((err) => this.logger.warn({ err }, 'search terms flush failed')), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch((err) => this.logger.warn({ err }, 'search terms flush failed'));
  }

  /** Counts one search (its first page) and whether it found anything. */
  record(communityId: string, q: string, found: boolean, at = new Date()): void {
    const term = normalizeTerm(q);
    if (!term) return;
    const day = at.toISOString().slice(0, 10);
    const key = `${communityId}\u0000${day}\u0000${term}`;
    let row = this.pending.get(key);
    if (!row) {
      if (this.pending.size >= MAX_PENDING) return;
      row = { communityId, day, term, searches: 0, zeroResults: 0 };
      this.pending.set(key, row);
    }
    row.searches += 1;
    if (!found) row.zeroResults += 1;
  }

  /** Adds what this instance counted to the table (never two flushes at once). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const rows = [...this.pending.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    this.pending = new Map();
    const today = new Date().toISOString().slice(0, 10);
    try {
      if (rows.length) {
        await this.db.query(
          `INSERT INTO search_terms_daily (community_id, day, term, searches, zero_results)
           SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::int[], $5::int[])
           ON CONFLICT (community_id, day, term) DO UPDATE
             SET searches = search_terms_daily.searches + EXCLUDED.searches, zero_results = search_terms_daily.zero_results + EXCLUDED.zero_results`,
          [rows.map((r) => r.communityId), rows.map((r) => r.day), rows.map((r) => r.term), rows.map((r) => r.searches), rows.map((r) => r.zeroResults)],
        );
      }
    } catch (err) {
      // Kept for the next flush (the database may be back by then), within the same bound.
      for (const row of rows) {
        const key = `${row.communityId}\u0000${row.day}\u0000${row.term}`;
        const now = this.pending.get(key);
        if (now) {
          now.searches += row.searches;
          now.zeroResults += row.zeroResults;
        } else if (this.pending.size < MAX_PENDING) {
          this.pending.set(key, row);
        }
      }
      throw err;
    }
    if (this.prunedDay !== today) {
      await this.db.query(`DELETE FROM search_terms_daily WHERE day < current_date - ${KEEP_DAYS}`);
      this.prunedDay = today;
    }
  }

  /**
   * The most searched texts of a range of UTC days, and the most searched of those that found nothing
   * (at least once), each at most `limit`, most searched first, then alphabetically.
   */
  async report(communityId: string, fromDay: string, toDay: string, limit: number): Promise<{ top: SearchTermCount[]; noResults: SearchTermCount[] }> {
    await this.flush();
    const read = (having: string, order: string) =>
      this.db.query<{ term: string; searches: string; zero_results: string }>(
        `SELECT term, sum(searches) AS searches, sum(zero_results) AS zero_results
           FROM search_terms_daily
          WHERE community_id = $1 AND day >= $2::date AND day <= $3::date
          GROUP BY term ${having}
          ORDER BY ${order}, term LIMIT $4`,
        [communityId, fromDay, toDay, limit],
      );
    const [top, none] = await Promise.all([read('', 'sum(searches) DESC'), read('HAVING sum(zero_results) > 0', 'sum(zero_results) DESC, sum(searches) DESC')]);
    const view = (r: { term: string; searches: string; zero_results: string }) => ({ term: r.term, searches: Number(r.searches), zeroResults: Number(r.zero_results) });
    return { top: top.map(view), noResults: none.map(view) };
  }
}
