import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { trim } from '../../core/http/transforms';
import { PASSWORD_MAX_LENGTH } from '../password-policy';

export class PasswordResetRequestDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;
}

export class PasswordResetConfirmDto {
  @ApiProperty({ description: 'The token from the emailed link (`/reset-password?token=...`)' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token: string;

  @ApiProperty({ minLength: 10, maxLength: PASSWORD_MAX_LENGTH, description: 'The same rules as at sign-up (422 WEAK_PASSWORD)' })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  password: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the emailed verification link' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token: string;
}

export class DeleteAccountDto {
  @ApiPropertyOptional({ description: 'The account password (required when the account has one)' })
  @IsOptional()
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  password?: string;

  @ApiPropertyOptional({ enum: ['DELETE'], description: 'Accounts without a password (store single sign-on) confirm with "DELETE"' })
  @IsOptional()
  @IsIn(['DELETE'])
  confirm?: 'DELETE';
}
