import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { trim } from '../../core/http/transforms';
import { MeUserView } from '../../identity/dto/auth.dto';
import { MyMembershipView } from '../../communities/dto/communities.dto';

export class UpdateProfileDto {
  @ApiPropertyOptional({ example: 'Ada Lovelace', minLength: 1, maxLength: 50 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  displayName?: string;

  @ApiPropertyOptional({
    example: 'ada',
    minLength: 3,
    maxLength: 20,
    description:
      'Letters, digits, "_", "-" and "." (starting and ending with a letter, digit or "_"), unique in any letter case; changeable once every 30 days ' +
      '(409 USERNAME_CHANGE_TOO_SOON; a change of letter case only is free). 422 INVALID_USERNAME / USERNAME_RESERVED, 409 USERNAME_TAKEN',
  })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  username?: string;

  @ApiPropertyOptional({ maxLength: 500, description: 'Plain text (not markdown); clients show it escaped' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  bio?: string;

  @ApiPropertyOptional({ description: 'An image the caller uploaded (POST /communities/:slug/uploads): cropped to a 256 px square and made the avatar' })
  @IsOptional()
  @IsUUID('all')
  avatarUploadId?: string;
}

export class ProfileMeView {
  @ApiProperty({ type: MeUserView }) user: MeUserView;
  @ApiProperty({ type: [MyMembershipView] }) memberships: MyMembershipView[];
}

export class ProfileView {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ nullable: true, type: String }) avatarUrl: string | null;
  @ApiProperty({ description: 'Plain text' }) bio: string;
}

export class MemberCountsView {
  @ApiProperty({ description: 'Threads started, that the caller may read' }) threads: number;
  @ApiProperty({ description: 'Replies, that the caller may read' }) replies: number;
  @ApiProperty({ description: 'Answers accepted by the asker, that the caller may read' }) acceptedAnswers: number;
}

export class MemberProfileView {
  @ApiProperty({ type: ProfileView }) user: ProfileView;
  @ApiProperty({ enum: ['member', 'staff', 'moderator', 'admin'] }) role: string;
  @ApiProperty({ description: 'ISO 8601 UTC' }) joinedAt: string;
  @ApiProperty({ type: MemberCountsView, description: 'In this community; hidden and deleted posts, and boards the caller cannot read, do not count' })
  counts: MemberCountsView;
}
