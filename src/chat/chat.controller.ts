import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, CommunityContext } from '../core/auth/actor';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity } from '../core/auth/decorators';
import { GuestCacheEffect } from '../core/http/guest-cache';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page, PageQueryDto } from '../core/pagination/pagination';
import { ResponseTimesView } from '../qa/dto/qa.dto';
import { CreateRoomDto, InviteDto, MessagePageView, MessageView, RoomPageView, RoomView, SendMessageDto, SupportQueryDto } from './dto/chat.dto';
import { DateRangeQueryDto } from '../core/http/date-range.dto';
import { ReadDto, UnreadView } from './dto/socket.dto';
import { MessagesService } from './messages.service';
import { RoomsService } from './rooms.service';
import { SupportService, SupportTimes } from './support.service';

const RoomId = () => Param('roomId', new IdParamPipe('Room'));

/** Chat over HTTP: rooms, history, the support queue. Live messages travel over socket.io (ChatGateway); sending works here too. */
@ApiTags('chat')
@Controller()
export class ChatController {
  constructor(
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly support: SupportService,
  ) {}

  @Post('communities/:slug/chat/rooms')
  @GuestCacheEffect('none')
  @CommunityRole('member')
  @ApiCreatedResponse({ type: RoomView, description: 'public rooms: staff and above; private, direct and support: any member' })
  @ApiOkResponse({ type: RoomView, description: 'The direct room with that member, or your open support chat, already exists: that room' })
  async create(
    @CurrentActor() actor: Actor,
    @CurrentCommunity() community: CommunityContext,
    @Body() dto: CreateRoomDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RoomView> {
    const { room, created } = await this.rooms.create(actor, community, dto);
    reply.status(created ? 201 : 200);
    return room;
  }

  @Get('communities/:slug/chat/rooms')
  @CommunityRole('member')
  @ApiOkResponse({ type: RoomPageView, description: 'Public rooms and the rooms you are in, most recently active first, with unread counts' })
  list(@CurrentActor() actor: Actor, @CurrentCommunity() community: CommunityContext, @Query() query: PageQueryDto): Promise<Page<RoomView>> {
    return this.rooms.list(actor, community, query);
  }

  @Get('chat/rooms/:roomId')
  @ApiBearerAuth()
  @ApiOkResponse({ type: RoomView })
  get(@CurrentActor() actor: Actor, @RoomId() roomId: string): Promise<RoomView> {
    return this.rooms.get(actor, roomId);
  }

  @Post('chat/rooms/:roomId/members')
  @GuestCacheEffect('none')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: RoomView, description: 'Private rooms: the creator (or a moderator) invites members of the community, up to 50 in all' })
  invite(@CurrentActor() actor: Actor, @RoomId() roomId: string, @Body() dto: InviteDto): Promise<RoomView> {
    return this.rooms.invite(actor, roomId, dto.userIds);
  }

  @Get('chat/rooms/:roomId/messages')
  @ApiBearerAuth()
  @ApiOkResponse({ type: MessagePageView, description: 'Newest first' })
  history(@CurrentActor() actor: Actor, @RoomId() roomId: string, @Query() query: PageQueryDto): Promise<Page<MessageView>> {
    return this.messages.history(actor, roomId, query);
  }

  @Post('chat/rooms/:roomId/messages')
  @GuestCacheEffect('none')
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: MessageView, description: 'Stored, then sent to the room as message:new' })
  @ApiOkResponse({ type: MessageView, description: 'A resend (same clientId): the stored message, nothing new' })
  async send(
    @CurrentActor() actor: Actor,
    @RoomId() roomId: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageView> {
    const { message, created } = await this.messages.send(actor, roomId, dto);
    reply.status(created ? 201 : 200);
    return message;
  }

  @Post('chat/rooms/:roomId/read')
  @GuestCacheEffect('none')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: UnreadView, description: 'Read up to this message' })
  read(@CurrentActor() actor: Actor, @RoomId() roomId: string, @Body() dto: ReadDto): Promise<UnreadView> {
    return this.messages.markRead(actor, roomId, dto.messageId);
  }

  @Get('communities/:slug/chat/support')
  @CommunityRole('staff')
  @ApiOkResponse({ type: RoomPageView, description: 'Support chats in this state, oldest first' })
  queue(@CurrentCommunity() community: CommunityContext, @Query() query: SupportQueryDto): Promise<Page<RoomView>> {
    return this.support.queue(community, query);
  }

  @Get('communities/:slug/chat/support/response-times')
  @CommunityRole('staff')
  @ApiOkResponse({ type: ResponseTimesView, description: 'As qa/response-times: `questions` counts support chats requested in the range' })
  responseTimes(@CurrentCommunity() community: CommunityContext, @Query() query: DateRangeQueryDto): Promise<SupportTimes> {
    return this.support.responseTimes(community, query);
  }

  @Post('chat/rooms/:roomId/claim')
  @GuestCacheEffect('none')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: RoomView, description: 'Staff: take the support chat; a second claim is 409 SUPPORT_ALREADY_CLAIMED' })
  claim(@CurrentActor() actor: Actor, @RoomId() roomId: string): Promise<RoomView> {
    return this.support.claim(actor, roomId);
  }

  @Post('chat/rooms/:roomId/close')
  @GuestCacheEffect('none')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOkResponse({ type: RoomView, description: 'The customer or staff: the chat becomes read-only' })
  close(@CurrentActor() actor: Actor, @RoomId() roomId: string): Promise<RoomView> {
    return this.support.close(actor, roomId);
  }
}
