import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { DateRangeQueryDto } from '../../core/http/date-range.dto';
import { PageQueryDto } from '../../core/pagination/pagination';
import { PostView, TagSkuFilterDto, ThreadView } from '../../threads/dto/threads.dto';

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

  @ApiPropertyOptional({ enum: ['title'], description: 'title: search thread titles only' })
  @IsOptional()
  @IsIn(['title'])
  in?: 'title';
}

export class SuggestQueryDto {
  @ApiProperty({ description: 'What the member has typed so far (matched against thread titles, prefixes and typos included)', minLength: 2, maxLength: 100 })
  @IsString()
  @Matches(/\S/, { message: 'q must not be blank' })
  @MinLength(2)
  @MaxLength(100)
  q: string;

  @ApiPropertyOptional({ description: 'Board id' })
  @IsOptional()
  @IsUUID('all')
  board?: string;
}

export class SearchHitView {
  @ApiProperty({ type: ThreadView }) thread: ThreadView;
  @ApiProperty({ type: PostView, description: "The thread's best-matching post (an accepted, official or FAQ answer first), else its first post" }) post: PostView;
  @ApiProperty({ description: 'HTML-escaped excerpt with matches in <mark>' }) snippet: string;
}

export class SearchPageView {
  @ApiProperty({ type: [SearchHitView] }) items: SearchHitView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class SuggestionView {
  @ApiProperty() threadId: string;
  @ApiProperty() title: string;
}

export class SuggestionsView {
  @ApiProperty({ type: [SuggestionView], maxItems: 8 }) items: SuggestionView[];
  @ApiProperty({ nullable: true, type: String, description: 'Always null: one short list' }) nextCursor: string | null;
}

export class SearchTermsQueryDto extends DateRangeQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Texts per list' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(100, { message: 'limit must be at most 100' })
  limit?: number;
}

export class SearchTermView {
  @ApiProperty({ description: 'The search as typed: lowercased, spaces collapsed, at most 100 characters' }) term: string;
  @ApiProperty({ description: 'Searches in the range (first pages only)' }) searches: number;
  @ApiProperty({ description: 'Of those, searches that found nothing the searcher could see' }) zeroResults: number;
}

export class SearchTermsView {
  @ApiProperty({ description: 'First UTC day counted (YYYY-MM-DD)' }) from: string;
  @ApiProperty({ description: 'Last UTC day counted (YYYY-MM-DD)' }) to: string;
  @ApiProperty({ type: [SearchTermView], description: 'Most searched first' }) top: SearchTermView[];
  @ApiProperty({ type: [SearchTermView], description: 'Searches that found nothing at least once, most often first: what customers look for and the community lacks' }) noResults: SearchTermView[];
}
