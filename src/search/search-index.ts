/**
 * What search needs from an index, small enough that a dedicated engine (OpenSearch, Typesense,
 * Meilisearch) could stand behind it instead of PostgreSQL. The PostgreSQL implementation
 * (PgSearchIndex) is fed by triggers of its own migration, in the writer's transaction; an external
 * engine would be fed from the outbox events instead (thread.created, post.created, post.edited,
 * post.deleted, thread.moved, answer.accepted, answer.official) by reading the thread back through
 * the threads module.
 */
export interface SearchIndex {
  /** Ranked threads, one per thread, each with its best-matching post when one matches on its own. */
  query(request: SearchRequest): Promise<{ hits: IndexHit[]; more: boolean }>;
  /** Up to `limit` thread titles for what was typed (words anywhere in the title, the last one a prefix; then typos), best first. */
  suggest(request: SuggestRequest): Promise<Suggestion[]>;
  /** Excerpts of `texts` with the query's matches marked by \u0001 ... \u0002, in order. */
  excerpts(texts: string[], q: string): Promise<string[]>;
}

export const SEARCH_INDEX = Symbol('SEARCH_INDEX');

export interface SearchRequest {
  communityId: string;
  /** Boards the caller may see (already narrowed to ?board=). */
  boardIds: string[];
  /** Web-search syntax: words, "phrases", -exclusions, or. */
  q: string;
  titlesOnly: boolean;
  tag?: string;
  sku?: string;
  offset: number;
  limit: number;
}

export interface IndexHit {
  threadId: string;
  /** Null when no single post matches (the words are spread over the title and several posts). */
  postId: string | null;
}

export interface SuggestRequest {
  communityId: string;
  boardIds: string[];
  q: string;
  limit: number;
}

export interface Suggestion {
  threadId: string;
  title: string;
}
