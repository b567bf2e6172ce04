import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { CommonErrors } from '../core/errors/app-error';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { Cursors } from '../core/pagination/cursors';
import { BoardsService } from '../boards/boards.service';
import { PostView, ThreadView } from './dto/threads.dto';
import { CURSORS } from './thread-cursors';
import { tagAndSkuFilters, THREAD_COLUMNS, ThreadRow } from './thread-rows';
import { ThreadViewsService } from './thread-views.service';

/**
 * Full-text search over the posts' index (posts.search, a generated tsvector with a GIN index, and
 * the recent tier search_recent): the threads module owns the index, the search module is its face.
 */
@Injectable()
export class ThreadSearchService {
  constructor(
    private readonly db: Db,
    private readonly boards: BoardsService,
    private readonly views: ThreadViewsService,
    private readonly cursors: Cursors,
  ) {}

  async search(
    actor: Actor | null,
    communityId: string,
    role: Role | null,
    query: { q: string; board?: string; tag?: string; sku?: string; limit?: number; cursor?: string },
  ): Promise<Page<{ thread: ThreadView; post: PostView; snippet: string }>> {
    // Pages reach the first 1,000 hits (offset + limit): deeper pages cost ever more ranking and help no
    // one. The page that reaches the cap is cut there and has no next cursor; a cursor at or past it is refused.
    const SEARCH_MAX_DEPTH = 1_000;
    const offset = this.cursors.decode(CURSORS.search, query.cursor)?.[0] ?? 0;
    if (offset < 0 || offset >= SEARCH_MAX_DEPTH) {
      throw CommonErrors.validation([{ field: 'cursor', message: `cursor is not valid (search pages reach the first ${SEARCH_MAX_DEPTH} results)` }]);
    }
    const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, SEARCH_MAX_DEPTH - offset);
    let boardIds = await this.boards.visibleBoardIds(communityId, role);
    if (query.board) boardIds = boardIds.filter((id) => id === query.board);
    if (!boardIds.length) return { items: [], nextCursor: null };
    const params: unknown[] = [communityId, boardIds, query.q, limit + 1, offset];
    // Posts of deleted threads are deleted with them, so threads are joined only to filter by tag or SKU.
    const filters = tagAndSkuFilters(params, query);
    const tier = (n: number, from: string, vector: string, condition: string) => `
      (SELECT p.id AS post_id, p.thread_id, ${n} AS tier, ts_rank_cd(${vector}, q.query) AS rank
         FROM ${from} ${filters.length ? 'JOIN threads t ON t.id = p.thread_id' : ''} CROSS JOIN q
        WHERE ${condition} AND p.board_id = ANY($2::uuid[]) AND p.deleted_at IS NULL AND NOT p.hidden
          ${filters.map((f) => `AND ${f}`).join(' ')}
        ORDER BY rank DESC, p.id LIMIT $4::int + $5::int)`;
    // Tiers, each ranked: FAQ entries; the community's newest posts (search_recent, SEARCH_RECENT_POSTS of
    // them, with its own full-text index); the older ones. The tiers are concatenated under one LIMIT, so
    // PostgreSQL stops at the first tier that fills the page: the older tier, whose cost grows with the
    // history, is only ranked for terms too rare to fill a page from the recent posts (and then its
    // matches are few).
    const tiers = [
      tier(0, 'posts p', 'p.search', 'p.community_id = $1 AND p.faq_at IS NOT NULL AND p.search @@ q.query'),
      tier(1, 'search_recent r JOIN posts p ON p.id = r.post_id', 'r.search', 'r.community_id = $1 AND r.search @@ q.query AND p.faq_at IS NULL'),
      tier(
        2,
        'posts p',
        'p.search',
        'p.community_id = $1 AND p.search @@ q.query AND p.faq_at IS NULL AND NOT EXISTS (SELECT 1 FROM search_recent r WHERE r.post_id = p.id)',
      ),
    ];
    // Headlines are built for the one page only.
    const rows = await this.db.query<{ post_id: string; thread_id: string; snippet: string }>(
      `WITH q AS (SELECT websearch_to_tsquery('english', $3) AS query)
       SELECT h.post_id, h.thread_id,
              ts_headline('english', b.body, q.query, 'StartSel=${'\u0001'}, StopSel=${'\u0002'}, MaxWords=35, MinWords=15, MaxFragments=2') AS snippet
         FROM (${tiers.join(' UNION ALL ')} LIMIT $4::int OFFSET $5::int) h
         JOIN posts b ON b.id = h.post_id CROSS JOIN q
        ORDER BY h.tier, h.rank DESC, h.post_id`,
      params,
    );
    const page = rows.slice(0, limit);
    const threads = page.length
      ? await this.db.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM threads t WHERE t.id = ANY($1::uuid[])`, [[...new Set(page.map((r) => r.thread_id))]])
      : [];
    const threadViews = new Map((await this.views.threadViewsOf(threads)).map((v) => [v.id, v]));
    const postViews = new Map((await this.views.postsByIds(actor, page.map((r) => r.post_id), role)).map((v) => [v.id, v]));
    return {
      items: page.map((r) => ({ thread: threadViews.get(r.thread_id)!, post: postViews.get(r.post_id)!, snippet: highlight(r.snippet) })),
      nextCursor: rows.length > limit && offset + limit < SEARCH_MAX_DEPTH ? this.cursors.encode(CURSORS.search, [offset + limit]) : null,
    };
  }
}

/** ts_headline marks matches with control characters; escape everything else, then turn the marks into <mark>. */
export function highlight(snippet: string): string {
  const escaped = snippet.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return escaped.replace(/\u0001/g, '<mark>').replace(/\u0002/g, '</mark>');
}
