import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { CommonErrors } from '../core/errors/app-error';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { BoardsService } from '../boards/boards.service';
import { CommunitiesService } from '../communities/communities.service';
import { SearchSourceService } from '../threads/search-source.service';
import { SearchHitView, SearchQueryDto, SuggestionView, SuggestQueryDto } from './dto/search.dto';
import { highlight } from './highlight';
import { SEARCH_INDEX, SearchIndex } from './search-index';
import { SearchTermsService } from './search-terms.service';

/** Search pages by offset into the ranked hits (a deterministic order: tier, rank, thread id). */
export const SEARCH_CURSOR = cursorKind<[number]>('search', 'int');
/** Pages reach the first 1,000 hits: deeper pages cost ever more ranking and help no one. */
export const SEARCH_MAX_DEPTH = 1_000;
/** Suggestions per request, and per IP a multiple of the search budget (one request per keystroke). */
export const SUGGESTIONS = 8;
export const SUGGESTS_PER_SEARCH = 5;

/**
 * Search for the HTTP routes: per-IP budgets (searches: SEARCHES_PER_IP_PER_MINUTE; suggestions, asked
 * per keystroke: five times that), the community and the boards the caller may see, then the index;
 * the hits' threads and posts come from the threads module.
 */
@Injectable()
export class SearchService {
  private readonly searchesPerIp: Limiter;
  private readonly suggestsPerIp: Limiter;

  constructor(
    private readonly communities: CommunitiesService,
    private readonly boards: BoardsService,
    private readonly source: SearchSourceService,
    private readonly cursors: Cursors,
    @Inject(SEARCH_INDEX) private readonly index: SearchIndex,
    private readonly terms: SearchTermsService,
    @Inject(APP_CONFIG) config: AppConfig,
    rateLimits: RateLimitService,
  ) {
    this.searchesPerIp = rateLimits.limiter({ name: 'search-ip', points: config.searchesPerIpPerMinute, durationSeconds: 60 });
    this.suggestsPerIp = rateLimits.limiter({ name: 'suggest-ip', points: config.searchesPerIpPerMinute * SUGGESTS_PER_SEARCH, durationSeconds: 60 });
  }

  async search(actor: Actor | null, ip: string, slug: string, query: SearchQueryDto): Promise<Page<SearchHitView>> {
    await this.searchesPerIp.consume(ip, 'Too many searches from this address, try again in a minute');
    // The page that reaches the cap is cut there and has no next cursor; a cursor at or past it is refused.
    const offset = this.cursors.decode(SEARCH_CURSOR, query.cursor)?.[0] ?? 0;
    if (offset < 0 || offset >= SEARCH_MAX_DEPTH) {
      throw CommonErrors.validation([{ field: 'cursor', message: `cursor is not valid (search pages reach the first ${SEARCH_MAX_DEPTH} results)` }]);
    }
    const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, SEARCH_MAX_DEPTH - offset);
    const { communityId, role, boardIds } = await this.scope(actor, slug, query.board);
    if (!boardIds.length) {
      if (offset === 0) this.terms.record(communityId, query.q, false);
      return { items: [], nextCursor: null };
    }
    const { hits, more } = await this.index.query({
      communityId,
      boardIds,
      q: query.q,
      titlesOnly: query.in === 'title',
      tag: query.tag,
      sku: query.sku,
      offset,
      limit,
    });
    const found = await this.source.hits(actor, role, hits);
    // What customers look for (first pages only: paging on is not another search).
    if (offset === 0) this.terms.record(communityId, query.q, found.length > 0);
    const excerpts = await this.index.excerpts(found.map((h) => h.post.body), query.q);
    return {
      items: found.map((h, i) => ({ thread: h.thread, post: h.post, snippet: highlight(excerpts[i]) })),
      nextCursor: more && offset + limit < SEARCH_MAX_DEPTH ? this.cursors.encode(SEARCH_CURSOR, [offset + limit]) : null,
    };
  }

  async suggest(actor: Actor | null, ip: string, slug: string, query: SuggestQueryDto): Promise<Page<SuggestionView>> {
    await this.suggestsPerIp.consume(ip, 'Too many suggestions from this address, try again in a minute');
    const { communityId, boardIds } = await this.scope(actor, slug, query.board);
    const items = boardIds.length ? await this.index.suggest({ communityId, boardIds, q: query.q, limit: SUGGESTIONS }) : [];
    return { items, nextCursor: null };
  }

  private async scope(actor: Actor | null, slug: string, board?: string) {
    const community = await this.communities.resolve(slug, actor);
    if (!community) throw CommonErrors.notFound('Community');
    let boardIds = await this.boards.visibleBoardIds(community.id, community.role);
    if (board) boardIds = boardIds.filter((id) => id === board);
    return { communityId: community.id, role: community.role, boardIds };
  }
}
