import { Body, Controller, Delete, Get, HttpCode, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiProduces, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor } from '../core/auth/actor';
import { CurrentActor } from '../core/auth/decorators';
import { DeleteAccountDto } from '../identity/dto/recovery.dto';
import { AccountDataService } from './account-data.service';

/** The caller's own data: `GET /me/export` and `DELETE /me`. */
@ApiTags('auth')
@Controller('me')
export class AccountDataController {
  constructor(private readonly accountData: AccountDataService) {}

  @Get('export')
  @ApiBearerAuth()
  @ApiProduces('application/json')
  @ApiOkResponse({
    description:
      'Everything the caller wrote, streamed as one JSON document (chunked, no Content-Length): {format, exportedAt, account, memberships, ' +
      'threads, posts (with revisions), reactions, votes, chatMessages, loyaltyLedger, notificationPreferences}. Nothing of other members.',
    schema: { type: 'object' },
  })
  async export(@CurrentActor() actor: Actor, @Res() reply: FastifyReply): Promise<void> {
    const stream = this.accountData.export(actor);
    await reply
      .headers({
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': 'attachment; filename="hearth-export.json"',
        'cache-control': 'private, no-store',
      })
      .send(stream);
  }

  @Delete()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The account is anonymised (posts stay, shown as by "deleted"); every session ends; it can no longer log in' })
  @ApiBadRequestResponse({ description: 'PASSWORD_REQUIRED, or CONFIRMATION_REQUIRED for an account without a password (send {"confirm": "DELETE"})' })
  @ApiForbiddenResponse({ description: 'WRONG_PASSWORD' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED: 10 password attempts per account per 15 minutes' })
  async delete(@CurrentActor() actor: Actor, @Body() dto: DeleteAccountDto): Promise<void> {
    await this.accountData.deleteAccount(actor, dto);
  }
}
