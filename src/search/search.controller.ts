import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentCommunity, OptionalActor } from '../core/auth/decorators';
import { reportRange } from '../core/http/date-range.dto';
import { Page } from '../core/pagination/pagination';
import { SearchHitView, SearchPageView, SearchQueryDto, SearchTermsQueryDto, SearchTermsView, SuggestionsView, SuggestionView, SuggestQueryDto } from './dto/search.dto';
import { SearchTermsService } from './search-terms.service';
import { SearchService } from './search.service';

/** Full-text search and title suggestions over the boards the caller can see. */
@ApiTags('search')
@Controller()
export class SearchController {
  constructor(
    private readonly searches: SearchService,
    private readonly terms: SearchTermsService,
  ) {}

  @Public()
  @Get('communities/:slug/search')
  @ApiOkResponse({ type: SearchPageView, description: 'One hit per thread, ranked by relevance (FAQ first); pages reach the first 1,000 hits' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED, per IP (SEARCHES_PER_IP_PER_MINUTE)' })
  search(
    @OptionalActor() actor: Actor | null,
    @Req() request: FastifyRequest,
    @Param('slug') slug: string,
    @Query() query: SearchQueryDto,
  ): Promise<Page<SearchHitView>> {
    return this.searches.search(actor, request.ip, slug, query);
  }

  @Public()
  @Get('communities/:slug/search/suggest')
  @ApiOkResponse({ type: SuggestionsView, description: 'Up to 8 thread titles for what was typed, best first: titles with every word (the last one a prefix), then with any of them, then close by trigrams (typos); for "did you mean an existing question?"' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED, per IP (5 x SEARCHES_PER_IP_PER_MINUTE)' })
  suggest(
    @OptionalActor() actor: Actor | null,
    @Req() request: FastifyRequest,
    @Param('slug') slug: string,
    @Query() query: SuggestQueryDto,
  ): Promise<Page<SuggestionView>> {
    return this.searches.suggest(actor, request.ip, slug, query);
  }

  @Get('communities/:slug/search/terms')
  @CommunityRole('staff')
  @ApiBearerAuth()
  @ApiOkResponse({ type: SearchTermsView, description: 'Staff: what was searched in the range (UTC days; default the last 30), and what found nothing' })
  async searchTerms(@CurrentCommunity() community: CommunityContext, @Query() query: SearchTermsQueryDto): Promise<SearchTermsView> {
    const { from, to } = reportRange(query);
    const fromDay = from.toISOString().slice(0, 10);
    const toDay = new Date(to.getTime() - 1).toISOString().slice(0, 10);
    return { from: fromDay, to: toDay, ...(await this.terms.report(community.id, fromDay, toDay, query.limit ?? 20)) };
  }
}
