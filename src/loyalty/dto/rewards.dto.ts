import { ApiProperty, ApiPropertyOptional, IntersectionType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../../core/pagination/pagination';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateRewardDto {
  @ApiProperty({ minLength: 1, maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1_000_000, description: 'Points it costs' })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  cost: number;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class RewardView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'integer' }) cost: number;
  @ApiProperty({ type: 'integer', description: 'Coupon codes left' }) available: number;
  @ApiProperty({ description: 'false: disabled by an admin (not listed to members, not redeemable)' }) enabled: boolean;
  @ApiProperty() createdAt: string;
}

class RewardEnabledDto {
  @ApiPropertyOptional({ description: 'false disables the reward (members no longer see or redeem it; its codes stay); true enables it again' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

/** PATCH body: any of the fields; those left out keep their value. */
export class UpdateRewardDto extends IntersectionType(PartialType(CreateRewardDto), RewardEnabledDto) {}

class IncludeDisabledDto {
  @ApiPropertyOptional({ type: Boolean, description: 'Admins: the disabled rewards too' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'includeDisabled must be true or false' })
  includeDisabled?: boolean;
}

export class RewardListQueryDto extends IntersectionType(PageQueryDto, IncludeDisabledDto) {}

export class RewardPageView {
  @ApiProperty({ type: [RewardView] }) items: RewardView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AddCodesDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 10_000, description: 'Coupon codes made by the store (1 to 200 characters each); codes the reward already has are ignored' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  codes: string[];
}

export class CodesAddedView {
  @ApiProperty({ type: 'integer', description: 'Codes that were new' }) added: number;
  @ApiProperty({ type: 'integer', description: 'Unused codes now' }) available: number;
}

export class RedeemDto {
  @ApiProperty()
  @IsUUID('all')
  rewardId: string;
}

export class RedemptionView {
  @ApiProperty() id: string;
  @ApiProperty() userId: string;
  @ApiProperty() rewardId: string;
  @ApiProperty() rewardName: string;
  @ApiProperty({ type: 'integer' }) points: number;
  @ApiProperty() couponCode: string;
  @ApiProperty() entryId: string;
  @ApiProperty() createdAt: string;
}

export class RedemptionResultView {
  @ApiProperty({ type: RedemptionView }) redemption: RedemptionView;
  @ApiProperty() couponCode: string;
}

export class RedemptionPageView {
  @ApiProperty({ type: [RedemptionView] }) items: RedemptionView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

class RedemptionFilterDto {
  @ApiPropertyOptional({ description: 'Staff: only this member' })
  @IsOptional()
  @IsUUID('all')
  userId?: string;
}

export class RedemptionQueryDto extends IntersectionType(PageQueryDto, RedemptionFilterDto) {}
