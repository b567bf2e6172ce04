import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags, IntersectionType } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { Actor } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { OptionalActor } from '../core/auth/decorators';
import { CommonErrors } from '../core/errors/app-error';
import { Page, PageQueryDto } from '../core/pagination/pagination';
import { CommunitiesService } from '../communities/communities.service';
import { PostView, TagSkuFilterDto, ThreadView } from '../threads/dto/threads.dto';
import { ThreadsService } from '../threads/threads.service';

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
  constructor(
    private readonly communities: CommunitiesService,
    private readonly threads: ThreadsService,
  ) {}

  @Public()
  @Get('communities/:slug/search')
  @ApiOkResponse({ type: SearchPageView, description: 'Ranked hits from boards the caller can see' })
  async search(@OptionalActor() actor: Actor | null, @Param('slug') slug: string, @Query() query: SearchQueryDto): Promise<Page<SearchHitView>> {
    const community = await this.communities.resolve(slug, actor);
    if (!community) throw CommonErrors.notFound('Community');
    return this.threads.search(actor, community.id, community.role, query);
  }
}
