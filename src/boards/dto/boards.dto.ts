import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { trim } from '../../core/http/transforms';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { BOARD_KINDS, BOARD_VISIBILITIES, BoardKind, BoardVisibility } from '../board-access';

const BOARD_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export class CreateBoardDto {
  @ApiProperty({ example: 'buyer-shows', description: '1-40 lowercase letters, digits and inner hyphens' })
  @IsString()
  @Matches(BOARD_SLUG, { message: 'slug must be 1-40 lowercase letters, digits or inner hyphens' })
  slug: string;

  @ApiProperty({ maxLength: 100 })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ enum: BOARD_KINDS })
  @IsIn(BOARD_KINDS, { message: `kind must be one of ${BOARD_KINDS.join(', ')}` })
  kind: BoardKind;

  @ApiProperty({ enum: BOARD_VISIBILITIES })
  @IsIn(BOARD_VISIBILITIES, { message: `visibility must be one of ${BOARD_VISIBILITIES.join(', ')}` })
  visibility: BoardVisibility;

  @ApiPropertyOptional({ description: 'Ordering among the community\'s boards, ascending; default: after the last', minimum: 0, maximum: 100000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100000)
  position?: number;
}

export class UpdateBoardDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(BOARD_SLUG, { message: 'slug must be 1-40 lowercase letters, digits or inner hyphens' })
  slug?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ enum: BOARD_KINDS })
  @IsOptional()
  @IsIn(BOARD_KINDS)
  kind?: BoardKind;

  @ApiPropertyOptional({ enum: BOARD_VISIBILITIES })
  @IsOptional()
  @IsIn(BOARD_VISIBILITIES)
  visibility?: BoardVisibility;

  @ApiPropertyOptional({ minimum: 0, maximum: 100000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100000)
  position?: number;
}

export class BoardView {
  @ApiProperty() id: string;
  @ApiProperty() communityId: string;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: BOARD_KINDS }) kind: BoardKind;
  @ApiProperty({ enum: BOARD_VISIBILITIES }) visibility: BoardVisibility;
  @ApiProperty() position: number;
  @ApiProperty() createdAt: string;
}

export class BoardPageView {
  @ApiProperty({ type: [BoardView] }) items: BoardView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

/** The whole order of a community's boards at once (PUT communities/:slug/boards/order). */
export class BoardOrderDto {
  @ApiProperty({ type: [String], format: 'uuid', maxItems: 500, description: "Every board of the community, each once, in the new order (first = position 0)" })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ArrayUnique({ message: 'boardIds must not repeat a board' })
  @IsUUID('all', { each: true, message: 'each of boardIds must be a board id (UUID)' })
  boardIds: string[];
}
