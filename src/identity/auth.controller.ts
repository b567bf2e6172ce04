import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Actor } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CurrentActor } from '../core/auth/decorators';
import { AuthResultView, LoginDto, RefreshDto, RegisterDto, TokenPairView } from './dto/auth.dto';
import { ClientInfo, IdentityService } from './identity.service';
import { GuestCacheEffect } from '../core/http/guest-cache';

function clientInfo(request: FastifyRequest): ClientInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent'] };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly identity: IdentityService) {}

  @Public()
  @Post('register')
  @GuestCacheEffect('none')
  @ApiCreatedResponse({ type: AuthResultView })
  @ApiConflictResponse({ description: 'EMAIL_IN_USE' })
  @ApiUnprocessableEntityResponse({ description: 'WEAK_PASSWORD' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED (REGISTRATIONS_PER_IP_PER_HOUR)' })
  register(@Body() dto: RegisterDto, @Req() request: FastifyRequest): Promise<AuthResultView> {
    return this.identity.register(dto, clientInfo(request));
  }

  @Public()
  @Post('login')
  @GuestCacheEffect('none')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResultView })
  @ApiUnauthorizedResponse({ description: 'INVALID_CREDENTIALS' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: per IP (LOGINS_PER_IP_PER_MINUTE), per account and IP, and a growing delay per account (see the README)' })
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<AuthResultView> {
    return this.identity.login(dto, clientInfo(request));
  }

  @Public()
  @Post('refresh')
  @GuestCacheEffect('none')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenPairView, description: 'A new pair; the presented refresh token stops working' })
  @ApiUnauthorizedResponse({ description: 'INVALID_REFRESH_TOKEN, or REFRESH_TOKEN_REUSED (the session is revoked)' })
  refresh(@Body() dto: RefreshDto): Promise<TokenPairView> {
    return this.identity.refresh(dto.refreshToken);
  }

  @Post('logout')
  @GuestCacheEffect('none')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The session is revoked: its access and refresh tokens stop working' })
  async logout(@CurrentActor() actor: Actor): Promise<void> {
    await this.identity.logout(actor);
  }
}
