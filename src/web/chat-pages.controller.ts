import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChatErrors } from '../chat/chat.errors';
import { CreateRoomDto, PRIVATE_ROOM_MAX_MEMBERS, SendMessageDto } from '../chat/dto/chat.dto';
import { EditMessageDto } from '../chat/dto/socket.dto';
import { MessagesService } from '../chat/messages.service';
import { RoomsService } from '../chat/rooms.service';
import { SupportService } from '../chat/support.service';
import { CommunitiesService } from '../communities/communities.service';
import { AppError } from '../core/errors/app-error';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { ChatForms, ChatMember, ChatPages, roomPath } from './chat-pages';
import { FieldErrors, fieldErrors, listField, Page, readForm, validateWith } from './forms';
import { WebErrorFilter } from './web-error.filter';
import { CSRF_FIELD, WebSessionService } from './web-session.service';
import { WebErrors } from './web.errors';

const RoomId = () => Param('roomId', new IdParamPipe('Room'));

/**
 * The customers' chat pages (issue 23): `/c/:slug/chat` lists the member's rooms and opens new
 * ones (a private room, a direct message, a support chat with the brand); `/c/:slug/chat/:roomId`
 * is a room. Every form works without JavaScript (POST, then 303 back); chat.js makes the room live
 * over socket.io, signed in by the page's session cookie. All of it goes through the chat services.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class ChatPagesController {
  constructor(
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly support: SupportService,
    private readonly pages: ChatPages,
  ) {}

  @Get('c/:slug/chat')
  @Page()
  index(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    return this.pages.index(request, reply, slug, query);
  }

  /** A private room: a name and the members to invite, by username. */
  @Post('c/:slug/chat/rooms')
  @Page({ guestCacheEffect: 'none' })
  async createRoom(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const { form, who } = await this.read(request, reply, slug);
    const values = { name: form.name ?? '', members: form.members ?? '' };
    const again = (errors: FieldErrors, message: string, status: number) => this.pages.index(request, reply, slug, {}, { privateRoom: { values, errors }, message }, status);
    const handles = usernames(values.members);
    const errors: FieldErrors = {};
    if (!values.name.trim()) errors.name = 'Give the room a name';
    if (handles.length > PRIVATE_ROOM_MAX_MEMBERS - 1) errors.members = `Invite at most ${PRIVATE_ROOM_MAX_MEMBERS - 1} members`;
    const found = errors.members ? new Map<string, string>() : await this.communities.membersByHandle(who.context.id, handles);
    const missing = handles.filter((h) => !found.has(h.toLowerCase()));
    if (!errors.members && missing.length) errors.members = `No member of this community is called ${missing.map((h) => `@${h}`).join(', ')}`;
    const memberIds = [...new Set(handles.map((h) => found.get(h.toLowerCase())).filter((id): id is string => Boolean(id)))];
    const { value, errors: invalid } = await validateWith(CreateRoomDto, { kind: 'private', name: form.name, memberIds });
    if (invalid?.name) errors.name ??= invalid.name;
    else if (invalid) errors.members ??= Object.values(invalid)[0];
    if (Object.keys(errors).length) return again(errors, 'Please correct the fields marked below.', 400);
    try {
      const { room } = await this.rooms.create(who.actor, who.context, value);
      return reply.redirect(roomPath(who.community.slug, room.id), 303);
    } catch (err) {
      const refused = this.refusal(err);
      const fields = fieldErrors(refused.errors);
      return again({ name: fields.name, members: fields.memberIds ?? fields.members }, refused.detail, refused.status);
    }
  }

  /** A direct message with a member, by username: opening it again goes to the same room. */
  @Post('c/:slug/chat/direct')
  @Page({ guestCacheEffect: 'none' })
  async direct(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const { form, who } = await this.read(request, reply, slug);
    const username = usernames(form.username ?? '')[0] ?? '';
    const again = (error: string, status: number) =>
      this.pages.index(request, reply, slug, {}, { direct: { values: { username: form.username ?? '' }, errors: { username: error } }, message: error }, status);
    if (!username) return again('Enter the username of the member to write to', 400);
    const found = await this.communities.membersByHandle(who.context.id, [username]);
    const userId = found.get(username.toLowerCase());
    if (!userId) return again(`No member of this community is called @${username}`, 422);
    if (userId === who.actor.userId) return again('That is you: choose another member', 422);
    try {
      const { room } = await this.rooms.create(who.actor, who.context, { kind: 'direct', memberIds: [userId] });
      return reply.redirect(roomPath(who.community.slug, room.id), 303);
    } catch (err) {
      const refused = this.refusal(err);
      return again(refused.detail, refused.status);
    }
  }

  /** "Chat with the brand's support": the member's open support chat, or a new one. */
  @Post('c/:slug/chat/support')
  @Page({ guestCacheEffect: 'none' })
  async openSupport(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const { who } = await this.read(request, reply, slug);
    try {
      const { room } = await this.rooms.create(who.actor, who.context, { kind: 'support' });
      return reply.redirect(roomPath(who.community.slug, room.id), 303);
    } catch (err) {
      const refused = this.refusal(err);
      return this.pages.index(request, reply, slug, {}, { message: refused.detail } satisfies ChatForms, refused.status);
    }
  }

  @Get('c/:slug/chat/:roomId')
  @Page()
  room(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('roomId') roomId: string, @Query() query: Record<string, unknown>) {
    return this.pages.room(request, reply, slug, roomId, query);
  }

  /**
   * Joins a public room at once, empty or not (RoomsService.join): the member's read state starts at
   * its newest message, so it is listed as theirs and its unread count shows from now on.
   */
  @Post('c/:slug/chat/:roomId/join')
  @Page({ guestCacheEffect: 'none' })
  async joinRoom(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @RoomId() roomId: string) {
    const { who } = await this.read(request, reply, slug);
    await this.sameCommunity(who, roomId);
    try {
      await this.rooms.join(who.actor, roomId);
    } catch (err) {
      const refused = this.refusal(err);
      return this.pages.room(request, reply, slug, roomId, {}, { message: refused.detail }, refused.status);
    }
    return reply.redirect(roomPath(who.community.slug, roomId), 303);
  }

  /** Sends a message (the form's clientId makes a second submit of the same form store nothing new). */
  @Post('c/:slug/chat/:roomId/messages')
  @Page({ guestCacheEffect: 'none' })
  async send(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @RoomId() roomId: string) {
    const { form, who } = await this.read(request, reply, slug, false);
    const body = form.body ?? '';
    await this.sameCommunity(who, roomId);
    const { value, errors } = await validateWith(SendMessageDto, { body: form.body, clientId: form.clientId });
    if (errors) return this.pages.room(request, reply, slug, roomId, {}, { body, errors: { body: errors.body ?? errors.clientId } }, 400);
    try {
      const { message } = await this.messages.send(who.actor, roomId, value);
      return reply.redirect(`${roomPath(who.community.slug, roomId)}#message-${message.id}`, 303);
    } catch (err) {
      const refused = this.refusal(err);
      void reply.headers(refused.headers);
      return this.pages.room(request, reply, slug, roomId, {}, { body, errors: fieldErrors(refused.errors), message: refused.detail }, refused.status);
    }
  }

  /** The edit form of a message (the no-JavaScript way; chat.js edits in place over the socket). */
  @Get('c/:slug/chat/:roomId/messages/:messageId/edit')
  @Page()
  editForm(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @RoomId() roomId: string, @Param('messageId') messageId: string) {
    return this.pages.editMessage(request, reply, slug, roomId, messageId);
  }

  /** Saves an edit through MessagesService.edit (which decides who may), then 303 back at the message. */
  @Post('c/:slug/chat/:roomId/messages/:messageId/edit')
  @Page({ guestCacheEffect: 'none' })
  async edit(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @RoomId() roomId: string, @Param('messageId') rawMessageId: string) {
    const { form, who } = await this.read(request, reply, slug, false);
    await this.sameCommunity(who, roomId);
    const message = await this.pages.message(who, roomId, rawMessageId);
    const body = form.body ?? '';
    const again = (f: { errors?: FieldErrors; message?: string }, status: number) => this.pages.editMessage(request, reply, slug, roomId, message.id, { body, ...f }, status);
    const { value, errors } = await validateWith(EditMessageDto, { messageId: message.id, body: form.body });
    if (errors) return again({ errors: { body: errors.body ?? Object.values(errors)[0] } }, 400);
    try {
      await this.messages.edit(who.actor, value.messageId, value.body);
    } catch (err) {
      const refused = this.refusal(err);
      void reply.headers(refused.headers);
      return again({ errors: fieldErrors(refused.errors), message: refused.detail }, refused.status);
    }
    return reply.redirect(`${roomPath(who.community.slug, roomId)}#message-${message.id}`, 303);
  }

  /** Deletes a message at once (no confirmation step without JavaScript; chat.js asks first), then 303 back to the room. */
  @Post('c/:slug/chat/:roomId/messages/:messageId/delete')
  @Page({ guestCacheEffect: 'none' })
  async remove(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @RoomId() roomId: string, @Param('messageId') rawMessageId: string) {
    const { who } = await this.read(request, reply, slug, false);
    await this.sameCommunity(who, roomId);
    const message = await this.pages.message(who, roomId, rawMessageId);
    try {
      await this.messages.delete(who.actor, message.id);
    } catch (err) {
      const refused = this.refusal(err);
      return this.pages.room(request, reply, slug, roomId, {}, { notice: refused.detail }, refused.status);
    }
    return reply.redirect(`${roomPath(who.community.slug, roomId)}#message-log`, 303);
  }

  /** Staff take a support chat. */
  @Post('c/:slug/chat/:roomId/claim')
  @Page({ guestCacheEffect: 'none' })
  async claim(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @RoomId() roomId: string) {
    const { who } = await this.read(request, reply, slug, false);
    await this.sameCommunity(who, roomId);
    return this.supportAction(request, reply, who, roomId, () => this.support.claim(who.actor, roomId));
  }

  /** The customer or staff close a support chat: it stays readable and takes no more messages. */
  @Post('c/:slug/chat/:roomId/close')
  @Page({ guestCacheEffect: 'none' })
  async close(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @RoomId() roomId: string) {
    const { who } = await this.read(request, reply, slug, false);
    await this.sameCommunity(who, roomId);
    return this.supportAction(request, reply, who, roomId, () => this.support.close(who.actor, roomId));
  }

  private async supportAction(request: FastifyRequest, reply: FastifyReply, who: ChatMember, roomId: string, act: () => Promise<unknown>) {
    const slug = who.community.slug;
    try {
      await act();
      return reply.redirect(roomPath(slug, roomId), 303);
    } catch (err) {
      const refused = this.refusal(err);
      return this.pages.room(request, reply, slug, roomId, {}, { message: refused.detail }, refused.status);
    }
  }

  /** A page form: read, CSRF first, then the member (room forms: any signed-in viewer; the room decides). */
  private async read(request: FastifyRequest, reply: FastifyReply, slug: string, memberOnly = true): Promise<{ form: Record<string, string>; who: ChatMember }> {
    const form = await readForm(request);
    const actor = await this.sessions.assertCsrf(request, reply, form[CSRF_FIELD]);
    if (!actor) throw WebErrors.signInRequired();
    const who = memberOnly ? await this.pages.member(request, reply, slug) : await this.pages.visitor(request, reply, slug);
    return { form, who };
  }

  /** The room must be one the viewer may read, in this page's community (else the 404 page). */
  private async sameCommunity(who: ChatMember, roomId: string) {
    const room = await this.rooms.get(who.actor, roomId);
    if (room.communityId !== who.context.id) throw ChatErrors.roomNotFound();
  }

  /** An error a form shows next to its fields; anything else (404, 5xx) becomes its error page. */
  private refusal(err: unknown): AppError {
    if (!(err instanceof AppError) || err.status >= 500 || err.status === 404 || err.status === 401) throw err;
    return err;
  }
}

/** Usernames typed in a field ("@ana, bo"), without their @, each once. */
function usernames(text: string): string[] {
  return (listField(text) ?? []).map((h) => (h.startsWith('@') ? h.slice(1) : h)).filter(Boolean);
}
