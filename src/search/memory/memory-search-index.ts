import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../../core/config/config';
import { Db } from '../../core/database/db.service';
import { LOGGER } from '../../core/logging/logger';
import { PgSearchIndex } from '../pg-search-index';
import { IndexHit, SearchIndex, SearchRequest, Suggestion, SuggestRequest } from '../search-index';
import { Residency } from './residency';
import { ThreadRow, ThreadStore } from './thread-store';

/** Parsed queries kept (the oldest dropped first). */
const PARSED_KEPT = 2_000;
/** Bytes a community's store takes per byte of its documents as PostgreSQL stores them (an estimate, to decide before loading). */
const BYTES_PER_DOCUMENT_BYTE = 3;

interface Community {
  id: string;
  store: ThreadStore;
  /** The oldest transaction still running at the last look: changes from it on are read again. */
  xmin: bigint;
  /** Thread id -> the xid of the change already applied (only those at or past xmin). */
  applied: Map<string, string>;
  running: Promise<void> | null;
  queued: Promise<void> | null;
}

const ROW_COLUMNS = `s.thread_id, s.board_id, s.tags, s.product_skus, s.faq, s.answered, s.score, s.reply_count,
  (extract(epoch FROM s.last_post_at) * 1000)::float8 AS last_post_at, s.document::text AS document`;

interface RawRow {
  thread_id: string;
  board_id: string;
  tags: string[];
  product_skus: string[];
  faq: boolean;
  answered: boolean;
  score: number;
  reply_count: number;
  last_post_at: number;
  document: string;
}

const toRow = (r: RawRow): ThreadRow => ({
  threadId: r.thread_id,
  boardId: r.board_id,
  tags: r.tags,
  skus: r.product_skus,
  faq: r.faq,
  answered: r.answered,
  score: r.score,
  replyCount: r.reply_count,
  lastPostAt: Number(r.last_post_at),
  document: r.document,
});

/**
 * The search index with the ranking of thread documents done in memory (issue 19, speed). PostgreSQL's
 * GIN index gives matches in no order, so every search ranked every matching thread document in the
 * database (about 2,600 rows for two common words at 1,000,000 posts: 15 ms). Here each instance keeps
 * a copy of a community's thread documents (search_threads: title, first post, answers) with their
 * positions, intersects the words' posting lists and ranks with the same formula (ts_rank_cd ported
 * exactly, src/search/memory/rank-cd.ts, and the same boosts): about 1 ms instead of 15 for 2,600.
 *
 * Never stale: before each search the instance reads what changed since its last look
 * (search_thread_changes, kept by a trigger in the writer's transaction; the query's parse is cached per
 * text), so a search sees every change committed before it started, as before. Concurrent searches of a
 * community share one look that starts after they arrived.
 *
 * PostgreSQL still answers (PgSearchIndex) what this does not cover: title-only searches, queries with
 * phrases, `or` or exclusions, pages that reach the threads matching only in their replies (too few
 * thread documents match), communities loading or refused under the budget (SEARCH_MEMORY_MB, see
 * Residency; 0 turns this off), suggestions and excerpts.
 */
@Injectable()
export class MemorySearchIndex implements SearchIndex {
  private readonly communities = new Map<string, Community>();
  /** The community being loaded (one at a time). */
  private loading: string | null = null;
  private readonly residency: Residency;
  private readonly parsed = new Map<string, string[] | null>();
  private readonly budget: number;
  /** Searches answered from memory and by PostgreSQL (for tests and metrics). */
  readonly counts = { memory: 0, database: 0 };
  /** The time, replaceable in tests. */
  clock: () => number = () => Date.now();

  constructor(
    private readonly db: Db,
    private readonly pg: PgSearchIndex,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.budget = config.searchMemoryMb * 1024 * 1024;
    this.residency = new Residency(this.budget, () => this.clock());
  }

  async query(r: SearchRequest): Promise<{ hits: IndexHit[]; more: boolean }> {
    const community = this.budget > 0 && !r.titlesOnly && r.boardIds.length ? this.ready(r.communityId) : null;
    const page = community ? await this.fromMemory(community, r) : null;
    if (page) {
      this.counts.memory++;
      const posts = await this.pg.bestPosts(page, r.q);
      return { hits: page.map((threadId) => ({ threadId, postId: posts.get(threadId) ?? null })), more: true };
    }
    this.counts.database++;
    return this.pg.query(r);
  }

  /**
   * The page's thread ids ranked in memory, or null for PostgreSQL to answer: the query is not a plain AND
   * of words, or fewer thread documents match than the page needs (the threads matching only in replies
   * come next). A failure here (it should not happen) drops the community and leaves the search to PostgreSQL.
   */
  private async fromMemory(community: Community, r: SearchRequest): Promise<string[] | null> {
    try {
      const lexemes = await this.sync(community, r.q);
      if (!lexemes) return null;
      const k = r.offset + r.limit + 1;
      const found = community.store.search({ lexemes, boardIds: new Set(r.boardIds), tag: r.tag, sku: r.sku, k, now: Date.now() });
      return found.total >= k ? found.threadIds.slice(r.offset, r.offset + r.limit) : null;
    } catch (err) {
      this.logger.error({ err, communityId: community.id }, 'search: ranking in memory failed; the community is dropped and PostgreSQL answers');
      if (this.communities.get(community.id) === community) this.drop(community.id);
      return null;
    }
  }

  /** Whether the community's thread documents are in memory. */
  loaded(communityId: string): boolean {
    return this.communities.has(communityId);
  }

  suggest(r: SuggestRequest): Promise<Suggestion[]> {
    return this.pg.suggest(r);
  }

  excerpts(texts: string[], q: string): Promise<string[]> {
    return this.pg.excerpts(texts, q);
  }

  /** The community's store when loaded; otherwise starts loading it when it may be (see Residency) and answers null. */
  private ready(communityId: string): Community | null {
    this.residency.searched(communityId);
    const community = this.communities.get(communityId);
    if (community) return community;
    if (this.loading === null && this.residency.mayTry(communityId)) {
      this.loading = communityId;
      this.load(communityId)
        .catch((err: unknown) => this.logger.warn({ err, communityId }, 'search: loading a community into memory failed; PostgreSQL answers'))
        .finally(() => (this.loading = null));
    }
    return null;
  }

  private async load(communityId: string): Promise<void> {
    const [size] = await this.db.query<{ bytes: string }>(
      `SELECT COALESCE(sum(pg_column_size(document)), 0)::bigint AS bytes FROM search_threads WHERE community_id = $1`,
      [communityId],
    );
    const need = Number(size.bytes) * BYTES_PER_DOCUMENT_BYTE;
    const victims = this.residency.plan(communityId, need, new Map([...this.communities].map(([id, c]) => [id, c.store.bytes])));
    if (!victims) {
      this.logger.debug({ communityId, need, budget: this.budget }, 'search: no room in SEARCH_MEMORY_MB for this community now; PostgreSQL answers its searches');
      return;
    }
    for (const id of victims) this.drop(id);
    // One statement, one snapshot: the rows and the oldest transaction running when they were read.
    const rows = await this.db.query<RawRow & { xmin: string }>(
      `SELECT x.xmin, ${ROW_COLUMNS}
         FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin) x
         LEFT JOIN search_threads s ON s.community_id = $1`,
      [communityId],
    );
    const store = new ThreadStore();
    await inChunks(rows, (row) => row.thread_id && store.upsert(toRow(row)));
    this.communities.set(communityId, { id: communityId, store, xmin: BigInt(rows[0].xmin), applied: new Map(), running: null, queued: null });
    this.residency.admitted(communityId);
    this.logger.info({ communityId, threads: store.size, bytes: store.bytes }, 'search: community loaded into memory');
  }

  private drop(communityId: string): void {
    this.communities.delete(communityId);
    this.residency.dropped(communityId);
  }

  /**
   * Brings the store up to date with a look that starts after this call, and parses the query meanwhile:
   * the query's lexemes when it is a plain AND of words, otherwise null.
   */
  private async sync(c: Community, q: string): Promise<string[] | null> {
    if (!c.queued) {
      const previous = c.running;
      // Assigned before the body runs past its first await (which is where it reads `look`).
      let look: Promise<void> = Promise.resolve();
      look = (async () => {
        await Promise.resolve();
        if (previous) await previous.catch(() => undefined);
        c.queued = null;
        c.running = look;
        try {
          await this.look(c);
        } finally {
          if (c.running === look) c.running = null;
        }
      })();
      c.queued = look;
    }
    const [, lexemes] = await Promise.all([c.queued, this.parse(q)]);
    return lexemes;
  }

  /** The query's lexemes when it is a plain AND of words (PostgreSQL parses it; the answer is kept, as it never changes). */
  private async parse(q: string): Promise<string[] | null> {
    const known = this.parsed.get(q);
    if (known !== undefined) return known;
    const [row] = await this.db.query<{ query: string }>(`SELECT websearch_to_tsquery('english', $1)::text AS query`, [q]);
    const lexemes = plainAnd(row.query);
    if (this.parsed.size >= PARSED_KEPT) this.parsed.delete(this.parsed.keys().next().value as string);
    this.parsed.set(q, lexemes);
    return lexemes;
  }

  private async look(c: Community): Promise<void> {
    const rows = await this.db.query<Partial<RawRow> & { xmin: string; changed: string | null; xid: string | null }>(
      `SELECT x.xmin, c.thread_id AS changed, c.xid::text AS xid, ${ROW_COLUMNS}
         FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin) x
         LEFT JOIN search_thread_changes c ON c.community_id = $1 AND c.xid >= $2::xid8
         LEFT JOIN search_threads s ON s.thread_id = c.thread_id`,
      [c.id, c.xmin.toString()],
    );
    await inChunks(rows, (row) => {
      if (!row.changed || !row.xid || c.applied.get(row.changed) === row.xid) return;
      if (row.thread_id) c.store.upsert(toRow(row as RawRow));
      else c.store.remove(row.changed);
      c.applied.set(row.changed, row.xid);
    });
    c.xmin = BigInt(rows[0].xmin);
    for (const [thread, xid] of c.applied) if (BigInt(xid) < c.xmin) c.applied.delete(thread);
  }
}

/** Parsing a document takes about 30 µs: this many at a time, then other work gets the event loop. */
const CHUNK = 2_000;

async function inChunks<T>(rows: T[], apply: (row: T) => unknown): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const row of rows.slice(i, i + CHUNK)) apply(row);
  }
}

/** The lexemes of a tsquery's text when it is only words joined by AND (`'warranti' & 'refund'`), else null. */
export function plainAnd(query: string): string[] | null {
  const parts = query.split(' & ');
  const lexemes: string[] = [];
  for (const part of parts) {
    const m = /^'((?:[^'\\]|''|\\.)*)'$/.exec(part);
    if (!m) return null;
    lexemes.push(m[1].replace(/''/g, "'").replace(/\\(.)/g, '$1'));
  }
  return lexemes.length && lexemes.every(Boolean) ? lexemes : null;
}
