import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min, NotEquals, ValidateNested } from 'class-validator';
import { UserView } from '../../identity/dto/auth.dto';
import { EARN_RULE_NAMES, EARN_RULES, MAX_EXPIRY_DAYS, MAX_TIERS, RULE_MAX_POINTS } from '../loyalty-rules';

export class NextTierView {
  @ApiProperty() name: string;
  @ApiProperty({ type: 'integer' }) minLifetime: number;
  @ApiProperty({ type: 'integer' }) pointsNeeded: number;
}

export class LoyaltySummaryView {
  @ApiProperty() userId: string;
  @ApiProperty({ type: 'integer', description: 'Approved points available to spend' }) balance: number;
  @ApiProperty({ type: 'integer', description: 'Content points still in their moderation window' }) pending: number;
  @ApiProperty({ type: 'integer', description: 'Every point ever credited (pending included, cancelled excluded) = balance + pending + spent + expired + reversed' }) lifetimeEarned: number;
  @ApiProperty({ type: 'integer' }) spent: number;
  @ApiProperty({ type: 'integer' }) expired: number;
  @ApiProperty({ type: 'integer', description: 'Taken back by reversals and negative adjustments' }) reversed: number;
  @ApiProperty({ type: 'integer', description: 'What tiers are measured on: approved points kept (balance + spent + expired)' }) tierPoints: number;
  @ApiProperty() tier: string;
  @ApiPropertyOptional({ type: NextTierView, nullable: true }) nextTier: NextTierView | null;
}

export class LedgerEntryView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['earn', 'reversal', 'redemption', 'adjustment', 'expiry'] }) kind: string;
  @ApiProperty({ type: 'integer' }) points: number;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'What was asked, when less was taken or given (reversals, negative adjustments, the daily cap)' }) requestedPoints: number | null;
  @ApiProperty({ enum: ['pending', 'approved', 'cancelled'] }) status: string;
  @ApiProperty() rule: string;
  @ApiProperty() reason: string;
  @ApiPropertyOptional({ type: String, nullable: true }) sourceEventId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) reversesEntryId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) threadId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) postId: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'When pending: when it is approved' }) approveAt: string | null;
  @ApiProperty() createdAt: string;
}

export class LedgerEntryPageView {
  @ApiProperty({ type: [LedgerEntryView] }) items: LedgerEntryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class LoyaltyTierDto {
  @ApiProperty({ minLength: 1, maxLength: 50 })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 50)
  name: string;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100_000_000 })
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  minLifetime: number;
}

/** PUT body: any of the rules; those left out keep their value. */
export class UpdateLoyaltyRulesDto {
  threadCreated?: number;
  replyCreated?: number;
  showcasePhoto?: number;
  answerAccepted?: number;
  answerOfficial?: number;
  reactionReceived?: number;
  firstPostOfDay?: number;
  orderPointsPerUnit?: number;

  @ApiPropertyOptional({ type: [LoyaltyTierDto], minItems: 1, maxItems: MAX_TIERS, description: 'Thresholds on approved lifetime points; the first at 0, increasing' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TIERS)
  @IsObject({ each: true, message: 'each tier must be an object {name, minLifetime}' })
  @ValidateNested({ each: true })
  @Type(() => LoyaltyTierDto)
  tiers?: LoyaltyTierDto[];

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_EXPIRY_DAYS, description: 'Points expire after this many days without earning or redeeming (0: never)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_EXPIRY_DAYS)
  expiryInactiveDays?: number;
}

export class LoyaltyRulesView {
  threadCreated: number;
  replyCreated: number;
  showcasePhoto: number;
  answerAccepted: number;
  answerOfficial: number;
  reactionReceived: number;
  firstPostOfDay: number;
  orderPointsPerUnit: number;
  @ApiProperty({ type: [LoyaltyTierDto] }) tiers: LoyaltyTierDto[];
  @ApiProperty({ type: 'integer' }) expiryInactiveDays: number;
}

for (const name of EARN_RULE_NAMES) {
  const description = `${name === 'orderPointsPerUnit' ? 'Points per currency unit of a paid order' : 'Points'} (default ${EARN_RULES[name].default})`;
  const proto = UpdateLoyaltyRulesDto.prototype;
  IsOptional()(proto, name);
  IsInt({ message: `${name} must be an integer` })(proto, name);
  Min(0, { message: `${name} must be at least 0` })(proto, name);
  Max(RULE_MAX_POINTS, { message: `${name} must be at most ${RULE_MAX_POINTS}` })(proto, name);
  ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: RULE_MAX_POINTS, description })(proto, name);
  ApiProperty({ type: 'integer', description })(LoyaltyRulesView.prototype, name);
}

export class AdjustmentDto {
  @ApiProperty()
  @IsUUID('all')
  userId: string;

  @ApiProperty({ type: 'integer', minimum: -1_000_000, maximum: 1_000_000, description: 'Positive gives, negative takes (never below a zero balance); not 0' })
  @IsInt()
  @Min(-1_000_000)
  @Max(1_000_000)
  @NotEquals(0)
  points: number;

  @ApiProperty({ minLength: 1, maxLength: 500 })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 500)
  reason: string;
}

export class AdjustmentResultView {
  @ApiProperty({ type: LedgerEntryView }) entry: LedgerEntryView;
  @ApiProperty({ type: LoyaltySummaryView }) summary: LoyaltySummaryView;
}

export class LeaderboardQueryDto {
  @ApiPropertyOptional({ enum: ['week', 'month', 'all'], default: 'all' })
  @IsOptional()
  @IsIn(['week', 'month', 'all'])
  period?: 'week' | 'month' | 'all';
}

export class LeaderboardRowView {
  @ApiProperty({ type: 'integer' }) rank: number;
  @ApiProperty({ type: UserView }) user: UserView;
  @ApiProperty({ type: 'integer' }) points: number;
}

export class LeaderboardView {
  @ApiProperty({ enum: ['week', 'month', 'all'] }) period: string;
  @ApiProperty({ description: 'Start of the period (null for all)', nullable: true, type: String }) since: string | null;
  @ApiProperty({ type: [LeaderboardRowView], description: 'The top 100' }) items: LeaderboardRowView[];
  @ApiProperty({ nullable: true, type: String, description: 'Always null: the board is the top 100' }) nextCursor: string | null;
  @ApiPropertyOptional({ type: LeaderboardRowView, nullable: true, description: "The caller's own row (null with no points in the period)" }) me: LeaderboardRowView | null;
}

export class LoyaltyDriftView {
  @ApiProperty() userId: string;
  @ApiProperty({ type: 'integer' }) balance: number;
  @ApiProperty({ type: 'integer' }) approvedSum: number;
  @ApiProperty({ type: 'integer' }) pending: number;
  @ApiProperty({ type: 'integer' }) pendingSum: number;
  @ApiProperty({ type: 'integer' }) lifetimeEarned: number;
  @ApiProperty({ type: 'integer' }) identitySum: number;
  @ApiProperty({ type: 'integer' }) earnedSum: number;
}

export class LoyaltyReconciliationView {
  @ApiProperty({ type: 'integer' }) accountsChecked: number;
  @ApiProperty({ type: 'integer' }) driftFound: number;
  @ApiProperty({ type: [LoyaltyDriftView] }) drift: LoyaltyDriftView[];
}
