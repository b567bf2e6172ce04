import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { DateRangeQueryDto } from '../../core/http/date-range.dto';

export const SEGMENTS = ['A', 'B', 'C'] as const;
export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export const GRANULARITIES = ['day', 'week'] as const;

class EngagementCountsView {
  @ApiProperty() threads: number;
  @ApiProperty({ description: 'Replies (answers included)' }) replies: number;
  @ApiProperty() questions: number;
  @ApiProperty({ description: 'Replies to questions' }) answers: number;
  @ApiProperty() acceptedAnswers: number;
  @ApiProperty() officialAnswers: number;
  @ApiProperty() reactionsGiven: number;
  @ApiProperty() reactionsReceived: number;
  @ApiProperty() votesCast: number;
  @ApiProperty() chatMessages: number;
  @ApiProperty() supportRequests: number;
  @ApiProperty({ description: 'Posts hidden or deleted (net of restores)' }) postsRemoved: number;
  @ApiProperty() ratings: number;
  @ApiProperty() orders: number;
  @ApiProperty() refunds: number;
}

class PointsView {
  @ApiProperty() earned: number;
  @ApiProperty() reversed: number;
  @ApiProperty() redeemed: number;
  @ApiProperty({ description: 'earned - reversed - redeemed (pending points included)' }) net: number;
  @ApiProperty({ nullable: true, type: String }) tier: string | null;
}

class ActiveDaysView {
  @ApiProperty({ name: '7' }) '7': number;
  @ApiProperty({ name: '30' }) '30': number;
  @ApiProperty({ name: '90' }) '90': number;
}

class ChurnView {
  @ApiProperty() atRisk: boolean;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

class StoreLinkView {
  @ApiProperty() linked: boolean;
  @ApiProperty({ nullable: true, type: String }) customerId: string | null;
  @ApiProperty({ type: [String] }) verifiedBuyerSkus: string[];
}

export class EngagementView {
  @ApiProperty() userId: string;
  @ApiProperty() communityId: string;
  @ApiProperty({ nullable: true, type: String }) role: string | null;
  @ApiProperty({ nullable: true, type: String }) joinedAt: string | null;
  @ApiProperty({ type: EngagementCountsView }) counts: EngagementCountsView;
  @ApiProperty({ type: PointsView }) points: PointsView;
  @ApiProperty({ nullable: true, type: String }) firstActiveAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastActiveAt: string | null;
  @ApiProperty({ type: ActiveDaysView, description: 'Days with activity in the last 7, 30 and 90 days (today included)' }) activeDays: ActiveDaysView;
  @ApiProperty({ description: 'Active days in the last 30 / 30' }) stickiness: number;
  @ApiProperty({ description: 'Contribution in the last 30 days (thread 3, reply 2, chat message 1)' }) contribution30: number;
  @ApiProperty({ enum: SEGMENTS }) segment: string;
  @ApiProperty({ type: ChurnView }) churnRisk: ChurnView;
  @ApiProperty({ type: StoreLinkView }) store: StoreLinkView;
}

export class ExportQueryDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'ndjson' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS, { message: 'format must be ndjson or csv' })
  format?: (typeof EXPORT_FORMATS)[number];

  @ApiPropertyOptional({ enum: SEGMENTS, description: 'Only members of this segment' })
  @IsOptional()
  @IsIn(SEGMENTS, { message: 'segment must be A, B or C' })
  segment?: (typeof SEGMENTS)[number];

  @ApiPropertyOptional({ description: 'ISO 8601: only members active since then' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date or time' })
  since?: string;
}

export class InsightsQueryDto extends DateRangeQueryDto {
  @ApiPropertyOptional({ enum: GRANULARITIES, default: 'day' })
  @IsOptional()
  @IsIn(GRANULARITIES, { message: 'granularity must be day or week' })
  granularity?: (typeof GRANULARITIES)[number];
}

export class RateDto {
  @ApiPropertyOptional({ description: 'A question thread whose asker is the caller (one of threadId, roomId)' })
  @IsOptional()
  @IsUUID('all', { message: 'threadId must be an id' })
  threadId?: string;

  @ApiPropertyOptional({ description: "A closed support room whose customer is the caller" })
  @IsOptional()
  @IsUUID('all', { message: 'roomId must be an id' })
  roomId?: string;

  @ApiProperty({ minimum: 1, maximum: 5 })
  @IsInt({ message: 'score must be an integer' })
  @Min(1, { message: 'score must be at least 1' })
  @Max(5, { message: 'score must be at most 5' })
  score: number;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string;
}

export class RatingView {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String }) threadId: string | null;
  @ApiProperty({ nullable: true, type: String }) roomId: string | null;
  @ApiProperty() score: number;
  @ApiProperty({ nullable: true, type: String }) comment: string | null;
  @ApiProperty() createdAt: string;
}

export class SeriesPointView {
  @ApiProperty({ description: 'First day of the bucket (UTC)' }) start: string;
  @ApiProperty({ description: 'Members at the end of the bucket' }) members: number;
  @ApiProperty() newMembers: number;
  @ApiProperty({ description: 'Daily active members (average over the bucket)' }) dau: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Active in the 7 days ending the bucket' }) wau: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Active in the 30 days ending the bucket' }) mau: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'dau / mau' }) stickiness: number | null;
  @ApiProperty() threads: number;
  @ApiProperty() replies: number;
  @ApiProperty() questions: number;
  @ApiProperty() staffAnswers: number;
  @ApiProperty() chatMessages: number;
  @ApiProperty() supportRequests: number;
  @ApiProperty() pointsIssued: number;
  @ApiProperty() pointsRedeemed: number;
  @ApiProperty() ratings: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Share of ratings of 4 or 5' }) csat: number | null;
}

export class CountedKeyView {
  @ApiProperty() key: string;
  @ApiProperty() count: number;
}

export class EngagedMemberView {
  @ApiProperty() userId: string;
  @ApiProperty() contribution: number;
  @ApiProperty() activeDays: number;
}

export class SegmentCountView {
  @ApiProperty() count: number;
  @ApiProperty({ nullable: true, type: Number, description: 'At the end of the previous period of the same length' }) previous: number | null;
  @ApiProperty({ nullable: true, type: Number }) change: number | null;
}

export class CsatGroupView {
  @ApiProperty() key: string;
  @ApiProperty() ratings: number;
  @ApiProperty({ description: 'Share of 4 and 5' }) csat: number;
}

export class DashboardView {
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ enum: GRANULARITIES }) granularity: string;
  @ApiProperty({ type: [SeriesPointView] }) series: SeriesPointView[];
  @ApiProperty({ description: 'Members now, and the DAU/MAU of the range end' }) totals: Record<string, number | null>;
  @ApiProperty({
    description:
      'qa/response-times for the range, plus withinTarget: the share answered within responseTargetMinutes, and byStaff: per staff member who gave questions their first staff answer, [{userId, answered, p50Seconds, withinTarget}], most answered first (20 at most)',
  })
  qa: Record<string, unknown>;
  @ApiProperty({ nullable: true, description: 'chat/support/response-times for the range' }) support: Record<string, unknown> | null;
  @ApiProperty({ type: [CountedKeyView] }) topProducts: CountedKeyView[];
  @ApiProperty({ type: [CountedKeyView] }) topTags: CountedKeyView[];
  @ApiProperty({ type: [CountedKeyView], description: 'Points earned in the range by loyalty rule (key: the rule, e.g. reply_created; count: the points, before reversals), most first' })
  pointsByRule: CountedKeyView[];
  @ApiProperty({ type: [EngagedMemberView] }) mostEngaged: EngagedMemberView[];
  @ApiProperty({ description: '{A, B, C}: each {count, previous, change}' }) segments: Record<string, SegmentCountView>;
  @ApiProperty({ description: 'CSAT over the range: overall, and byBoard / byProduct / byStaff lists of {key, ratings, csat}' }) csat: Record<string, unknown>;
}
