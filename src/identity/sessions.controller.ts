import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Actor } from '../core/auth/actor';
import { CurrentActor } from '../core/auth/decorators';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page } from '../core/pagination/pagination';
import { ChangePasswordDto, ListSessionsQueryDto, SessionPageView, SessionView } from './dto/auth.dto';
import { IdentityService } from './identity.service';
import { SessionsService } from './sessions.service';
import { GuestCacheEffect } from '../core/http/guest-cache';

class EndSessionsQueryDto {
  @ApiPropertyOptional({ enum: ['true'], description: 'Required: ends every session but the one asking ("log out everywhere else")' })
  @IsIn(['true'], { message: 'others must be true' })
  others: 'true';
}

/** The caller's own sessions (devices) and password. */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('me')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly identity: IdentityService,
  ) {}

  @Get('sessions')
  @ApiOkResponse({ type: SessionPageView, description: 'Live sessions (not ended, not expired), newest first' })
  list(@CurrentActor() actor: Actor, @Query() query: ListSessionsQueryDto): Promise<Page<SessionView>> {
    return this.sessions.list(actor, query);
  }

  @Delete('sessions')
  @GuestCacheEffect('none')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Every other session of the account ends at once (with ?others=true)' })
  async endOthers(@CurrentActor() actor: Actor, @Query() _query: EndSessionsQueryDto): Promise<void> {
    await this.sessions.revokeAllBut(actor.userId, actor.sessionId, 'revoked_by_user');
  }

  @Delete('sessions/:sessionId')
  @GuestCacheEffect('none')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The session ends at once: its access and refresh tokens stop working' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: not one of the caller\'s live sessions' })
  async end(@CurrentActor() actor: Actor, @Param('sessionId', new IdParamPipe('Session')) sessionId: string): Promise<void> {
    await this.sessions.revokeOwn(actor, sessionId);
  }

  @Post('password')
  @GuestCacheEffect('none')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Changed; every other session of the account ends' })
  @ApiUnprocessableEntityResponse({ description: 'INVALID_CURRENT_PASSWORD, or WEAK_PASSWORD for the new one' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: wrong current passwords count as failed log-ins' })
  async changePassword(@CurrentActor() actor: Actor, @Body() dto: ChangePasswordDto, @Req() request: FastifyRequest): Promise<void> {
    await this.identity.changePassword(actor, dto, { ip: request.ip, userAgent: request.headers['user-agent'] });
  }
}
