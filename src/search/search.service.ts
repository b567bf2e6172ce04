import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { CommonErrors } from '../core/errors/app-error';
import { Page } from '../core/pagination/pagination';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { CommunitiesService } from '../communities/communities.service';
import { PostView, ThreadView } from '../threads/dto/threads.dto';
import { ThreadSearchService } from '../threads/thread-search.service';

export interface SearchHit {
  thread: ThreadView;
  post: PostView;
  snippet: string;
}

/**
 * Search for the HTTP route: a per-IP budget (SEARCHES_PER_IP_PER_MINUTE, for guests and members
 * alike: a search ranks many rows, and guests are not otherwise throttled), the community and the
 * caller's role in it, then the threads module's index.
 */
@Injectable()
export class SearchService {
  private readonly searchesPerIp: Limiter;

  constructor(
    private readonly communities: CommunitiesService,
    private readonly threadSearch: ThreadSearchService,
    @Inject(APP_CONFIG) config: AppConfig,
    rateLimits: RateLimitService,
  ) {
    this.searchesPerIp = rateLimits.limiter({ name: 'search-ip', points: config.searchesPerIpPerMinute, durationSeconds: 60 });
  }

  async search(
    actor: Actor | null,
    ip: string,
    slug: string,
    query: { q: string; board?: string; tag?: string; sku?: string; limit?: number; cursor?: string },
  ): Promise<Page<SearchHit>> {
    await this.searchesPerIp.consume(ip, 'Too many searches from this address, try again in a minute');
    const community = await this.communities.resolve(slug, actor);
    if (!community) throw CommonErrors.notFound('Community');
    return this.threadSearch.search(actor, community.id, community.role, query);
  }
}
