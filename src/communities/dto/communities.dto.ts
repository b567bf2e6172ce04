import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { trim } from '../../core/http/transforms';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Role, ROLES } from '../../core/auth/roles';
import { PageQueryDto } from '../../core/pagination/pagination';
import { UserView } from '../../identity/dto/auth.dto';


export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/;

export class CreateCommunityDto {
  @ApiProperty({ example: 'acme', description: '3-40 characters: lowercase letters, digits and inner hyphens' })
  @IsString()
  @Matches(SLUG_PATTERN, { message: 'slug must be 3-40 lowercase letters, digits or hyphens, not starting or ending with a hyphen' })
  slug: string;

  @ApiProperty({ example: 'Acme Community', maxLength: 100 })
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
}

export class ListMembersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ minLength: 1, maxLength: 100, description: 'Members whose username or display name contains this text (any letter case)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  q?: string;
}

export class SetRoleDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role: Role;
}

export class CommunityView {
  @ApiProperty() id: string;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty() createdAt: string;
}

export class MembershipView {
  @ApiProperty({ type: UserView }) user: UserView;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty() joinedAt: string;
  @ApiPropertyOptional({ enum: ['new', 'member', 'staff'], description: 'Moderators only: the member\'s trust level (weighs their reports)' })
  trust?: 'new' | 'member' | 'staff';
}

export class MembershipPageView {
  @ApiProperty({ type: [MembershipView] }) items: MembershipView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class MyMembershipView {
  @ApiProperty({ type: CommunityView }) community: CommunityView;
  @ApiProperty({ enum: ROLES }) role: Role;
}
