import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { trim } from '../../core/http/transforms';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
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
  @ApiProperty() displayName: string;
  @ApiPropertyOptional({ nullable: true, type: String }) avatarUrl: string | null;
}

export class MeUserView extends UserView {
  @ApiProperty() email: string;
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
