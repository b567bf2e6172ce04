import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { IndexHit, SearchIndex, SearchRequest, Suggestion, SuggestRequest } from './search-index';

/** ts_rank_cd weights for {D, C, B, A}: title 1.0, first post 0.4, accepted/official/FAQ answers 0.4. */
const WEIGHTS = `'{0.1, 0.4, 0.4, 1.0}'::float4[]`;
/** Normalisation 1|32: divided by 1 + log(document length), then scaled to [0, 1) as rank / (rank + 1). */
const TEXT_RANK = (vector: string) => `ts_rank_cd(${WEIGHTS}, ${vector}, q.query, 33)`;
/**
 * Modest boosts on the text rank (at most x1.45 together): an accepted or official answer (+25%),
 * the thread's votes and reactions (up to +10% at 100), its replies (up to +5% at 100), and recency as
 * a tie-breaker (up to +5%, halving about every half-year of quiet). In float8 throughout: with numeric
 * literals (and extract(), which returns numeric) the boosts cost more than the text rank itself.
 */
const BOOST = `(1 + 0.25::float8 * s.answered::int
                  + 0.10::float8 * least(ln(1 + greatest(s.score, 0)::float8) / ln(101::float8), 1)
                  + 0.05::float8 * least(ln(1 + s.reply_count::float8) / ln(101::float8), 1)
                  + 0.05::float8 * exp(-greatest(date_part('epoch', now() - s.last_post_at), 0) / 22896000))`;
/** Threads that match only in their replies: the first this many matching replies are ranked (a fallback tier). */
const REPLY_CANDIDATES = 2_000;
/** Suggestions: titles ranked per step at most (a bound on the cost of a short prefix or a long question). */
const SUGGEST_CANDIDATES = 1_000;
/** Suggestions further than this (1 - word similarity) are noise. */
const SUGGEST_MAX_DISTANCE = 0.6;

/**
 * The PostgreSQL index (migrations SearchIndex1764110000000 and SearchTitleDocument1764111000000):
 * search_threads (a document per thread: title, first post, answers; and a stored title vector) and
 * search_posts (a document per post), with GIN indexes, kept by triggers. Hits come in tiers, each ranked: FAQ threads, other threads whose document matches, then
 * threads that match only in replies (reached only when the first two run out, which for common words
 * they never do within the 1,000 hits a search pages through).
 */
@Injectable()
export class PgSearchIndex implements SearchIndex {
  constructor(private readonly db: Db) {}

  async query(r: SearchRequest): Promise<{ hits: IndexHit[]; more: boolean }> {
    const params: unknown[] = [r.communityId, r.boardIds, r.q, r.limit + 1, r.offset];
    const filters: string[] = [];
    if (r.tag) filters.push(`s.tags @> ARRAY[$${params.push(r.tag)}::text]`);
    if (r.sku) filters.push(`s.product_skus @> ARRAY[$${params.push(r.sku)}::text]`);
    const filter = filters.map((f) => ` AND ${f}`).join('');
    const match = r.titlesOnly ? 's.title_document @@ q.query' : 's.document @@ q.query';
    const threads = `
      (SELECT s.thread_id, s.answer_post_ids, CASE WHEN s.faq THEN 0 ELSE 1 END AS tier, ${TEXT_RANK('s.document')} * ${BOOST} AS rank
         FROM search_threads s CROSS JOIN q
        WHERE s.community_id = $1 AND s.board_id = ANY($2::uuid[]) AND ${match}${filter}
        ORDER BY tier, rank DESC, s.thread_id LIMIT $4::int + $5::int)`;
    const replies = `
      (SELECT s.thread_id, s.answer_post_ids, 2 AS tier, b.best * ${BOOST} AS rank
         FROM (SELECT c.thread_id, max(${TEXT_RANK('c.document')}) AS best
                 FROM (SELECT p.thread_id, p.document FROM search_posts p CROSS JOIN q
                        WHERE p.community_id = $1 AND p.board_id = ANY($2::uuid[]) AND p.document @@ q.query LIMIT ${REPLY_CANDIDATES}) c
                 CROSS JOIN q GROUP BY c.thread_id) b
         JOIN search_threads s ON s.thread_id = b.thread_id CROSS JOIN q
        WHERE NOT (s.document @@ q.query)${filter}
        ORDER BY rank DESC, s.thread_id LIMIT $4::int + $5::int)`;
    // Each hit's best-matching post: an accepted, official or FAQ answer first, then by rank. The thread's
    // posts are read by thread id and then matched; "IS TRUE" keeps the planner off the posts' GIN index,
    // which for a common word would read every matching post of the community (40 ms at 1M posts).
    const best = r.titlesOnly
      ? 'NULL::uuid AS post_id'
      : `(SELECT p.post_id FROM search_posts p
           WHERE p.thread_id = h.thread_id AND (p.document @@ q.query) IS TRUE
           ORDER BY (p.post_id = ANY(h.answer_post_ids)) DESC, ${TEXT_RANK('p.document')} DESC, p.post_id LIMIT 1) AS post_id`;
    // The tiers are concatenated under one LIMIT, so the replies' tier is only read when the threads' runs out.
    const page = await this.db.query<{ thread_id: string; post_id: string | null }>(
      `WITH q AS (SELECT websearch_to_tsquery('english', $3) AS query)
       SELECT h.thread_id, ${best}
         FROM (SELECT * FROM ${threads} t ${r.titlesOnly ? '' : `UNION ALL ${replies}`} LIMIT $4::int OFFSET $5::int) h CROSS JOIN q
        ORDER BY h.tier, h.rank DESC, h.thread_id`,
      params,
    );
    const more = page.length > r.limit;
    return { hits: page.slice(0, r.limit).map((h) => ({ threadId: h.thread_id, postId: h.post_id })), more };
  }

  /**
   * Each thread's best-matching post for `q` (as `query` picks it: an accepted, official or FAQ answer first,
   * then by rank), for a page ranked elsewhere (MemorySearchIndex). Threads with no single matching post are left out.
   */
  async bestPosts(threadIds: string[], q: string): Promise<Map<string, string>> {
    if (!threadIds.length) return new Map();
    const rows = await this.db.query<{ thread_id: string; post_id: string | null }>(
      `WITH q AS (SELECT websearch_to_tsquery('english', $2) AS query)
       SELECT s.thread_id,
              (SELECT p.post_id FROM search_posts p
                WHERE p.thread_id = s.thread_id AND (p.document @@ q.query) IS TRUE
                ORDER BY (p.post_id = ANY(s.answer_post_ids)) DESC, ${TEXT_RANK('p.document')} DESC, p.post_id LIMIT 1) AS post_id
         FROM search_threads s CROSS JOIN q
        WHERE s.thread_id = ANY($1::uuid[])`,
      [threadIds, q],
    );
    return new Map(rows.filter((r) => r.post_id).map((r) => [r.thread_id, r.post_id as string]));
  }

  async suggest(r: SuggestRequest): Promise<Suggestion[]> {
    // Titles with every word typed, then with any of them, then (typos) the nearest by trigrams: each
    // step runs only while fewer than `limit` titles have been found.
    const found = new Map<string, Suggestion>();
    const add = (rows: Array<{ thread_id: string; title: string }>) => {
      for (const row of rows) if (found.size < r.limit && !found.has(row.thread_id)) found.set(row.thread_id, { threadId: row.thread_id, title: row.title });
    };
    const words = r.q.match(/[\p{L}\p{N}]+/gu) ?? [];
    // Letters and digits only, so the words can be quoted into a tsquery; the last is a prefix unless a space follows it.
    const terms = words.map((w, i) => `'${w}'${i === words.length - 1 && /[\p{L}\p{N}]$/u.test(r.q) ? ':*' : ''}`);
    for (const operator of [' & ', ' | ']) {
      if (!terms.length || found.size >= r.limit) break;
      add(await this.suggestByWords(r, terms.join(operator), words.map((w) => `'${w}'`).join(operator)));
      if (terms.length === 1) break;
    }
    if (found.size < r.limit) add(await this.suggestNearest(r));
    return [...found.values()];
  }

  /**
   * Titles matching a tsquery (from the titles' GIN index), by cover density (words together and in order
   * first; the last word as typed before its longer forms), then replies. Only the first SUGGEST_CANDIDATES
   * matches are ranked, so a short prefix or a long question's any-word step costs no more than that.
   */
  private suggestByWords(r: SuggestRequest, query: string, exact: string) {
    return this.db.query<{ thread_id: string; title: string }>(
      `WITH q AS (SELECT to_tsquery('english', $3) AS query, to_tsquery('english', $4) AS exact)
       SELECT c.thread_id, c.title FROM (
         SELECT s.thread_id, s.title, s.title_document, s.reply_count
           FROM search_threads s CROSS JOIN q
          WHERE s.community_id = $1 AND s.board_id = ANY($2::uuid[]) AND s.title_document @@ q.query LIMIT ${SUGGEST_CANDIDATES}) c CROSS JOIN q
        ORDER BY ts_rank_cd(c.title_document, q.exact) DESC, ts_rank_cd(c.title_document, q.query) DESC, c.reply_count DESC, c.thread_id LIMIT $5`,
      [r.communityId, r.boardIds, query, exact, r.limit],
    );
  }

  /** The nearest titles by trigram word similarity (the GiST index walks them nearest first), then the close ones. */
  private suggestNearest(r: SuggestRequest) {
    return this.db.query<{ thread_id: string; title: string }>(
      `SELECT n.thread_id, n.title FROM (
         SELECT s.thread_id, s.title, $3 <<-> s.title AS distance
           FROM search_threads s
          WHERE s.community_id = $1 AND s.board_id = ANY($2::uuid[])
          ORDER BY $3 <<-> s.title LIMIT $4) n
        WHERE n.distance <= ${SUGGEST_MAX_DISTANCE}
        ORDER BY n.distance, n.thread_id`,
      [r.communityId, r.boardIds, r.q, r.limit],
    );
  }

  async excerpts(texts: string[], q: string): Promise<string[]> {
    if (!texts.length) return [];
    const rows = await this.db.query<{ excerpt: string }>(
      `SELECT ts_headline('english', t.body, websearch_to_tsquery('english', $2), 'StartSel=${'\u0001'}, StopSel=${'\u0002'}, MaxWords=35, MinWords=15, MaxFragments=2') AS excerpt
         FROM unnest($1::text[]) WITH ORDINALITY AS t(body, n) ORDER BY t.n`,
      [texts, q],
    );
    return rows.map((row) => row.excerpt);
  }
}
