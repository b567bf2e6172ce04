import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags, ApiTooManyRequestsResponse, IntersectionType } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { Actor } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { OptionalActor } from '../core/auth/decorators';
import { Page, PageQueryDto } from '../core/pagination/pagination';
import { PostView, TagSkuFilterDto, ThreadView } from '../threads/dto/threads.dto';
import { SearchService } from './search.service';

export class SearchQueryDto extends IntersectionType(PageQueryDto, TagSkuFilterDto) {
  @ApiProperty({ description: 'Web-search syntax: words, "quoted phrases", -excluded, or', maxLength: 200 })
  @IsString()
  @Matches(/\S/, { message: 'q must not be blank' })
  @MaxLength(200)
  q: string;

  @ApiPropertyOptional({ description: 'Board id' })
  @IsOptional()
  @IsUUID('all')
  board?: string;

}

class SearchHitView {
  @ApiProperty({ type: ThreadView }) thread: ThreadView;
  @ApiProperty({ type: PostView }) post: PostView;
  @ApiProperty({ description: 'HTML-escaped excerpt with matches in <mark>' }) snippet: string;
}

class SearchPageView {
  @ApiProperty({ type: [SearchHitView] }) items: SearchHitView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

/**
 * Full-text search over thread titles and post bodies. The index is the threads module's generated
 * tsvector on posts (GIN); this module is its HTTP face and applies the caller's board visibility.
 */
@ApiTags('search')
@Controller()
export class SearchController {
  constructor(private readonly searches: SearchService) {}

  @Public()
  @Get('communities/:slug/search')
  @ApiOkResponse({ type: SearchPageView, description: 'Ranked hits from boards the caller can see; pages reach the first 1,000 hits' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED, per IP (SEARCHES_PER_IP_PER_MINUTE)' })
  search(
    @OptionalActor() actor: Actor | null,
    @Req() request: FastifyRequest,
    @Param('slug') slug: string,
    @Query() query: SearchQueryDto,
  ): Promise<Page<SearchHitView>> {
    return this.searches.search(actor, request.ip, slug, query);
  }
}
