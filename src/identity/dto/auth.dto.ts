import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { trim } from '../../core/http/transforms';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../core/pagination/pagination';
import { PASSWORD_MAX_LENGTH } from '../password-policy';


export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 10, maxLength: PASSWORD_MAX_LENGTH, description: 'At least 10 characters; common passwords are refused (422 WEAK_PASSWORD)' })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  password: string;

  @ApiProperty({ example: 'Ada', minLength: 1, maxLength: 50 })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  displayName: string;

  @ApiPropertyOptional({
    example: 'ada',
    minLength: 3,
    maxLength: 20,
    description: 'Letters, digits, "_", "-" and "." (starting and ending with a letter, digit or "_"); unique in any letter case. Missing: derived from displayName (ada, ada1, ...)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  username?: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(trim)
  @IsString()
  @MaxLength(254)
  email: string;

  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  password: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @MaxLength(200)
  refreshToken: string;
}

export class UserView {
  @ApiProperty() id: string;
  /** Absent only where a module builds a placeholder for an unknown id; null for a deleted account. */
  @ApiProperty({ nullable: true, type: String, description: 'Unique (any letter case); null for a deleted account' }) username?: string | null;
  @ApiProperty() displayName: string;
  @ApiPropertyOptional({ nullable: true, type: String }) avatarUrl: string | null;
}

export class MeUserView extends UserView {
  @ApiProperty({ description: 'Plain text, at most 500 characters' }) bio: string;
  @ApiProperty() email: string;
  @ApiProperty({ description: 'Whether the member followed the emailed verification link (store sign-on accounts start verified)' }) emailVerified: boolean;
  @ApiProperty() isPlatformAdmin: boolean;
}

export class TokenPairView {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <accessToken>`; valid for 15 minutes' }) accessToken: string;
  @ApiProperty({ description: 'Opaque; rotates on every use; valid for 30 days' }) refreshToken: string;
  @ApiProperty({ description: 'ISO 8601 UTC' }) accessTokenExpiresAt: string;
}

export class AuthResultView extends TokenPairView {
  @ApiProperty({ type: MeUserView }) user: MeUserView;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  currentPassword: string;

  @ApiProperty({ minLength: 10, maxLength: PASSWORD_MAX_LENGTH, description: 'The same rules as at sign-up (422 WEAK_PASSWORD)' })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  newPassword: string;
}

export class ListSessionsQueryDto extends PageQueryDto {}

export class SessionView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'The session of the access token that asked' }) current: boolean;
  @ApiProperty({ description: 'ISO 8601 UTC: when the member logged in' }) createdAt: string;
  @ApiProperty({ description: 'ISO 8601 UTC, to the minute' }) lastUsedAt: string;
  @ApiProperty({ nullable: true, type: String, description: 'The address that logged in' }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ example: 'Firefox on Windows' }) device: string;
}

export class SessionPageView {
  @ApiProperty({ type: [SessionView] }) items: SessionView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
