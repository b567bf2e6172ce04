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
 * a tie-breaker (up to +5%, halving about every half-year of quiet).
 */
const BOOST = `(1 + 0.25 * s.answered::int
                  + 0.10 * least(ln(1 + greatest(s.score, 0)) / ln(101), 1)
                  + 0.05 * least(ln(1 + s.reply_count) / ln(101), 1)
                  + 0.05 * exp(-greatest(extract(epoch FROM now() - s.last_post_at), 0) / 22896000))`;
/** Threads that match only in their replies: the first this many matching replies are ranked (a fallback tier). */
const REPLY_CANDIDATES = 2_000;
/** Suggestions further than this (1 - word similarity) are noise. */
const SUGGEST_MAX_DISTANCE = 0.6;

/**
 * The PostgreSQL index (migration SearchIndex1764110000000): search_threads (a document per thread:
 * title, first post, answers) and search_posts (a document per post), both with GIN indexes, kept by
 * triggers. Hits come in tiers, each ranked: FAQ threads, other threads whose document matches, then
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
    const match = r.titlesOnly ? `to_tsvector('english', s.title) @@ q.query` : 's.document @@ q.query';
    const threads = `
      (SELECT s.thread_id, CASE WHEN s.faq THEN 0 ELSE 1 END AS tier, ${TEXT_RANK('s.document')} * ${BOOST} AS rank
         FROM search_threads s CROSS JOIN q
        WHERE s.community_id = $1 AND s.board_id = ANY($2::uuid[]) AND ${match}${filter}
        ORDER BY tier, rank DESC, s.thread_id LIMIT $4::int + $5::int)`;
    const replies = `
      (SELECT s.thread_id, 2 AS tier, b.best * ${BOOST} AS rank
         FROM (SELECT c.thread_id, max(${TEXT_RANK('c.document')}) AS best
                 FROM (SELECT p.thread_id, p.document FROM search_posts p CROSS JOIN q
                        WHERE p.community_id = $1 AND p.board_id = ANY($2::uuid[]) AND p.document @@ q.query LIMIT ${REPLY_CANDIDATES}) c
                 CROSS JOIN q GROUP BY c.thread_id) b
         JOIN search_threads s ON s.thread_id = b.thread_id CROSS JOIN q
        WHERE NOT (s.document @@ q.query)${filter}
        ORDER BY rank DESC, s.thread_id LIMIT $4::int + $5::int)`;
    // The tiers are concatenated under one LIMIT, so the replies' tier is only read when the threads' runs out.
    const page = await this.db.query<{ thread_id: string }>(
      `WITH q AS (SELECT websearch_to_tsquery('english', $3) AS query)
       SELECT h.thread_id FROM (SELECT * FROM ${threads} t ${r.titlesOnly ? '' : `UNION ALL ${replies}`} LIMIT $4::int OFFSET $5::int) h`,
      params,
    );
    const more = page.length > r.limit;
    const threadIds = page.slice(0, r.limit).map((h) => h.thread_id);
    const best = await this.bestPosts(threadIds, r.q, r.titlesOnly);
    return { hits: threadIds.map((threadId) => ({ threadId, postId: best.get(threadId) ?? null })), more };
  }

  /** Each thread's best-matching post: an accepted, official or FAQ answer first, then by rank; with in=title, none. */
  private async bestPosts(threadIds: string[], q: string, titlesOnly: boolean): Promise<Map<string, string>> {
    if (!threadIds.length || titlesOnly) return new Map();
    const rows = await this.db.query<{ thread_id: string; post_id: string }>(
      `WITH q AS (SELECT websearch_to_tsquery('english', $2) AS query)
       SELECT DISTINCT ON (p.thread_id) p.thread_id, p.post_id
         FROM search_posts p JOIN search_threads s ON s.thread_id = p.thread_id CROSS JOIN q
        WHERE p.thread_id = ANY($1::uuid[]) AND p.document @@ q.query
        ORDER BY p.thread_id, (p.post_id = ANY(s.answer_post_ids)) DESC, ${TEXT_RANK('p.document')} DESC, p.post_id`,
      [threadIds, q],
    );
    return new Map(rows.map((r) => [r.thread_id, r.post_id]));
  }

  async suggest(r: SuggestRequest): Promise<Suggestion[]> {
    // Nearest titles by trigram word similarity (the GiST index walks them nearest first), then the close ones.
    const rows = await this.db.query<{ thread_id: string; title: string }>(
      `SELECT n.thread_id, n.title FROM (
         SELECT s.thread_id, s.title, $3 <<-> s.title AS distance
           FROM search_threads s
          WHERE s.community_id = $1 AND s.board_id = ANY($2::uuid[])
          ORDER BY $3 <<-> s.title LIMIT $4) n
        WHERE n.distance <= ${SUGGEST_MAX_DISTANCE}
        ORDER BY n.distance, n.thread_id`,
      [r.communityId, r.boardIds, r.q, r.limit],
    );
    return rows.map((row) => ({ threadId: row.thread_id, title: row.title }));
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
