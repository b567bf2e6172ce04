import { Body, Controller, Get, Header, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Actor } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CurrentActor } from '../core/auth/decorators';
import { GuestCacheEffect } from '../core/http/guest-cache';
import { IdParamPipe } from '../core/http/id-param.pipe';
import {
  LevelDto,
  LevelView,
  MarkReadDto,
  MarkReadResultView,
  NotificationPageView,
  NotificationsQueryDto,
  PreferencesView,
  UnsubscribeQueryDto,
  UnsubscribeResultView,
  UpdatePreferencesDto,
} from './dto/notifications.dto';
import { escapeHtml } from './email-templates';
import { NotificationsService } from './notifications.service';

@ApiTags('notifications')
@Controller()
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get('notifications')
  @ApiBearerAuth()
  @ApiOkResponse({ type: NotificationPageView, description: "The caller's notifications across communities, newest first (by last update), with the unread count" })
  list(@CurrentActor() actor: Actor, @Query() query: NotificationsQueryDto): Promise<NotificationPageView> {
    return this.notifications.list(actor, query);
  }

  @Post('notifications/read')
  @HttpCode(200)
  @GuestCacheEffect('none')
  @ApiBearerAuth()
  @ApiOkResponse({ type: MarkReadResultView, description: '{ids} or {all: true}; ids of others are ignored' })
  read(@CurrentActor() actor: Actor, @Body() dto: MarkReadDto): Promise<MarkReadResultView> {
    return this.notifications.markRead(actor, dto);
  }

  @Put('threads/:threadId/notification-level')
  @GuestCacheEffect('none')
  @ApiBearerAuth()
  @ApiOkResponse({ type: LevelView, description: 'watching | tracking | normal | muted, on a thread the caller can read' })
  threadLevel(@CurrentActor() actor: Actor, @Param('threadId', new IdParamPipe('Thread')) threadId: string, @Body() dto: LevelDto): Promise<LevelView> {
    return this.notifications.setThreadLevel(actor, threadId, dto.level);
  }

  @Put('boards/:boardId/notification-level')
  @GuestCacheEffect('none')
  @ApiBearerAuth()
  @ApiOkResponse({ type: LevelView, description: 'watching | tracking | normal | muted, on a board the caller can see' })
  boardLevel(@CurrentActor() actor: Actor, @Param('boardId', new IdParamPipe('Board')) boardId: string, @Body() dto: LevelDto): Promise<LevelView> {
    return this.notifications.setBoardLevel(actor, boardId, dto.level);
  }

  @Get('me/notification-preferences')
  @ApiBearerAuth()
  @ApiOkResponse({ type: PreferencesView })
  preferences(@CurrentActor() actor: Actor): Promise<PreferencesView> {
    return this.notifications.preferences(actor);
  }

  @Put('me/notification-preferences')
  @GuestCacheEffect('none')
  @ApiBearerAuth()
  @ApiOkResponse({ type: PreferencesView, description: 'Changes only the types given' })
  updatePreferences(@CurrentActor() actor: Actor, @Body() dto: UpdatePreferencesDto): Promise<PreferencesView> {
    return this.notifications.updatePreferences(actor, dto);
  }

  /** The link in an email: a page with one button (mail scanners follow links; only the POST unsubscribes). */
  @Public()
  @Get('notifications/unsubscribe')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'An HTML page whose button POSTs the one-click unsubscribe', content: { 'text/html': { schema: { type: 'string' } } } })
  unsubscribePage(@Query() query: UnsubscribeQueryDto): string {
    const { stopped } = this.notifications.checkToken(query.token);
    const what = stopped === 'digest' ? 'the digest email' : `emails about "${stopped}"`;
    return `<!doctype html><html><head><title>Unsubscribe</title></head><body style="font-family:sans-serif">
<form method="post" action="?token=${encodeURIComponent(query.token)}"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<p>Stop ${escapeHtml(what)}?</p><button type="submit">Unsubscribe</button></form></body></html>`;
  }

  /** RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click` (form-urlencoded) to the List-Unsubscribe URL. */
  @Public()
  @Post('notifications/unsubscribe')
  @HttpCode(200)
  @GuestCacheEffect('none')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ required: false, schema: { type: 'string', example: 'List-Unsubscribe=One-Click' } })
  @ApiOkResponse({ type: UnsubscribeResultView, description: 'No log-in: the signed token names the member and what to stop' })
  unsubscribe(@Query() query: UnsubscribeQueryDto): Promise<UnsubscribeResultView> {
    return this.notifications.unsubscribe(query.token);
  }
}
