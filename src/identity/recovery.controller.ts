import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiGoneResponse,
  ApiNoContentResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Actor } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CurrentActor } from '../core/auth/decorators';
import { GuestCacheEffect } from '../core/http/guest-cache';
import { PasswordResetConfirmDto, PasswordResetRequestDto, VerifyEmailDto } from './dto/recovery.dto';
import { EmailVerificationService } from './email-verification.service';
import { PasswordResetService } from './password-reset.service';

/** Password resets and email verification: the links emailed to members, and asking for them. */
@ApiTags('auth')
@Controller()
export class RecoveryController {
  constructor(
    private readonly resets: PasswordResetService,
    private readonly verification: EmailVerificationService,
  ) {}

  @Public()
  @Post('auth/password-reset')
  @GuestCacheEffect('none')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Always, whether or not an account has this email: if one does, a single-use link is emailed' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: PASSWORD_RESETS_PER_IP_PER_HOUR per address, PASSWORD_RESETS_PER_EMAIL_PER_HOUR per email' })
  async requestReset(@Body() dto: PasswordResetRequestDto, @Req() request: FastifyRequest): Promise<void> {
    await this.resets.request(dto.email, { ip: request.ip, userAgent: request.headers['user-agent'] });
  }

  @Public()
  @Post('auth/password-reset/confirm')
  @GuestCacheEffect('none')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The password is set; every session of the account has ended (log in again)' })
  @ApiBadRequestResponse({ description: 'INVALID_RESET_TOKEN (unknown, forged, or the account email changed)' })
  @ApiGoneResponse({ description: 'RESET_TOKEN_USED or RESET_TOKEN_EXPIRED' })
  @ApiUnprocessableEntityResponse({ description: 'WEAK_PASSWORD' })
  async confirmReset(@Body() dto: PasswordResetConfirmDto): Promise<void> {
    await this.resets.confirm(dto.token, dto.password);
  }

  @Public()
  @Get('auth/verify-email')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The email is verified (the link in the welcome email)' })
  @ApiBadRequestResponse({ description: 'INVALID_VERIFICATION_TOKEN' })
  @ApiGoneResponse({ description: 'VERIFICATION_TOKEN_USED or VERIFICATION_TOKEN_EXPIRED' })
  async verifyByLink(@Query() dto: VerifyEmailDto): Promise<void> {
    await this.verification.verify(dto.token);
  }

  @Public()
  @Post('auth/verify-email')
  @GuestCacheEffect('none')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The email is verified' })
  @ApiBadRequestResponse({ description: 'INVALID_VERIFICATION_TOKEN' })
  @ApiGoneResponse({ description: 'VERIFICATION_TOKEN_USED or VERIFICATION_TOKEN_EXPIRED' })
  async verify(@Body() dto: VerifyEmailDto): Promise<void> {
    await this.verification.verify(dto.token);
  }

  @Post('me/verify-email')
  @GuestCacheEffect('none')
  @HttpCode(202)
  @ApiBearerAuth()
  @ApiAcceptedResponse({ description: 'A new verification link is emailed' })
  @ApiConflictResponse({ description: 'EMAIL_ALREADY_VERIFIED' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED (PASSWORD_RESETS_PER_EMAIL_PER_HOUR per account)' })
  async resendVerification(@CurrentActor() actor: Actor): Promise<void> {
    await this.verification.resend(actor);
  }
}
