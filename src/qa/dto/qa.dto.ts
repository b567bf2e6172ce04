import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { DateRangeQueryDto } from '../../core/http/date-range.dto';
import { PageQueryDto } from '../../core/pagination/pagination';
import { PostView, SKU, ThreadView } from '../../threads/dto/threads.dto';

export class VoteDto {
  @ApiProperty({ enum: [1, -1, 0], description: '0 withdraws the vote' })
  @IsIn([1, -1, 0], { message: 'value must be 1, -1 or 0' })
  value: 1 | -1 | 0;
}

export class AcceptDto {
  @ApiProperty()
  @IsUUID('all')
  postId: string;
}

export class DuplicateDto {
  @ApiProperty({ description: 'The original question' })
  @IsUUID('all')
  threadId: string;
}

/** `?board=&sku=` of the staff reports. */
export class QaFilterDto {
  @ApiPropertyOptional({ description: 'Board id' })
  @IsOptional()
  @IsUUID('all')
  board?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(SKU, { message: 'sku is not a valid SKU' })
  sku?: string;
}

export class QueueQueryDto extends IntersectionType(PageQueryDto, QaFilterDto) {}

export class ResponseTimesQueryDto extends IntersectionType(QaFilterDto, DateRangeQueryDto) {}

export class VoteResultView {
  @ApiProperty() postId: string;
  @ApiProperty() score: number;
  @ApiProperty({ enum: [1, -1, 0] }) myVote: number;
}

export class QueueItemView extends ThreadView {
  @ApiProperty({ description: 'Seconds since the question was asked' }) ageSeconds: number;
  @ApiProperty({ description: "Past the community's responseTargetMinutes" }) overdue: boolean;
}

export class QueuePageView {
  @ApiProperty({ type: [QueueItemView] }) items: QueueItemView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

class FirstResponseView {
  @ApiPropertyOptional({ nullable: true, type: Number }) p50: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) p90: number | null;
}

class WithinView {
  @ApiProperty({ name: '1h' }) '1h': number;
  @ApiProperty({ name: '4h' }) '4h': number;
  @ApiProperty({ name: '24h' }) '24h': number;
}

export class ResponseTimesView {
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ description: 'Questions asked in the range' }) questions: number;
  @ApiProperty({ description: 'Of those, answered by staff' }) answered: number;
  @ApiProperty({ type: FirstResponseView, description: 'Seconds to the first staff answer, over answered questions' }) firstResponseSeconds: FirstResponseView;
  @ApiProperty({ type: WithinView, description: 'Shares (0..1) of the questions with a staff answer within 1, 4 and 24 hours' }) within: WithinView;
}

export class FaqEntryView {
  @ApiProperty({ type: ThreadView }) thread: ThreadView;
  @ApiProperty({ type: PostView }) post: PostView;
}

export class FaqPageView {
  @ApiProperty({ type: [FaqEntryView] }) items: FaqEntryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
