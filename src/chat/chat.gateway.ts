import { ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Inject } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { Actor } from '../core/auth/actor';
import { CommonErrors } from '../core/errors/app-error';
import { LOGGER } from '../core/logging/logger';
import { CommunityPolicy } from '../core/policy/community-policy';
import { LivePostsService } from '../threads/live-posts.service';
import { EditMessageDto, MessageRefDto, RoomRefDto, SocketReadDto, SocketSendDto, ThreadRefDto } from './dto/socket.dto';
import { MessagesService } from './messages.service';
import { Realtime, SocketRooms } from './realtime';
import { RoomsService } from './rooms.service';
import { Ack, errorAck, parsePayload } from './socket-payload';
import { actorOf, HearthSocket, SocketSessions } from './socket-sessions';

/** Typing is forwarded at most this often per socket and room (and never stored). */
const TYPING_EVERY_MS = 2000;

/**
 * The socket.io contract of DESIGN.md's realtime table. Every event is checked against the caller's
 * rights at the time of the event (the room is read again, with the caller's role and sanctions),
 * not only when they joined; every event answers an ack `{ok: true, ...}` or `{ok: false, error}`
 * when the client asks for one; bad payloads get VALIDATION_FAILED, never a crash.
 */
@WebSocketGateway()
export class ChatGateway implements OnGatewayInit<Server>, OnGatewayConnection<HearthSocket>, OnGatewayDisconnect<HearthSocket> {
  constructor(
    private readonly sessions: SocketSessions,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly live: LivePostsService,
    private readonly policy: CommunityPolicy,
    private readonly realtime: Realtime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  afterInit(server: Server) {
    this.sessions.attach(server);
  }

  async handleConnection(socket: HearthSocket) {
    socket.on('disconnecting', () => {
      const userId = socket.data.userId;
      if (!userId) return;
      const chatRooms = [...socket.rooms].filter((r) => r.startsWith('chat:') && r.split(':').length === 2).map((r) => r.slice(5));
      setImmediate(() => {
        for (const roomId of chatRooms) void this.sessions.announceOffline(roomId, userId).catch(() => undefined);
      });
    });
    try {
      await this.sessions.connected(socket);
    } catch (err) {
      this.logger.warn({ err }, 'realtime: connection set-up failed');
      socket.disconnect(true);
    }
  }

  handleDisconnect() {
    /* presence is announced from 'disconnecting', while the socket's rooms are still known */
  }

  @SubscribeMessage('room:join')
  join(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.run(socket, async (actor) => {
      const { roomId } = await parsePayload(RoomRefDto, body);
      const room = await this.rooms.get(actor, roomId);
      const alreadyOnline = (await this.realtime.io!.in(SocketRooms.chatUser(roomId, actor.userId)).fetchSockets()).length > 0;
      await socket.join([SocketRooms.chat(roomId), SocketRooms.chatUser(roomId, actor.userId)]);
      if (!alreadyOnline) socket.to(SocketRooms.chat(roomId)).emit('presence', { roomId, userId: actor.userId, online: true });
      return { room, online: await this.sessions.online(roomId) };
    });
  }

  @SubscribeMessage('room:leave')
  leave(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.run(socket, async (actor) => {
      const { roomId } = await parsePayload(RoomRefDto, body);
      await socket.leave(SocketRooms.chat(roomId));
      await socket.leave(SocketRooms.chatUser(roomId, actor.userId));
      await this.sessions.announceOffline(roomId, actor.userId);
      return {};
    });
  }

  @SubscribeMessage('message:send')
  send(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.run(socket, async (actor) => {
      const dto = await parsePayload(SocketSendDto, body);
      const { message, created } = await this.messages.send(actor, dto.roomId, { body: dto.body, clientId: dto.clientId });
      return { message, created };
    });
  }

  @SubscribeMessage('message:edit')
  edit(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.run(socket, async (actor) => {
      const dto = await parsePayload(EditMessageDto, body);
      return { message: await this.messages.edit(actor, dto.messageId, dto.body) };
    });
  }

  @SubscribeMessage('message:delete')
  remove(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.run(socket, async (actor) => {
      const dto = await parsePayload(MessageRefDto, body);
      await this.messages.delete(actor, dto.messageId);
      return {};
    });
  }

  @SubscribeMessage('room:read')
  read(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.run(socket, async (actor) => {
      const dto = await parsePayload(SocketReadDto, body);
      return this.messages.markRead(actor, dto.roomId, dto.messageId);
    });
  }

  @SubscribeMessage('typing')
  typing(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.run(socket, async (actor) => {
      const { roomId } = await parsePayload(RoomRefDto, body);
      const state = this.sessions.state(socket);
      const now = Date.now();
      if (now - (state.typing.get(roomId) ?? 0) < TYPING_EVERY_MS) return { forwarded: false };
      const { row, rights } = await this.rooms.access(actor, roomId);
      if (rights.sendError) throw rights.sendError;
      await this.policy.assertMay(row.community_id, actor.userId, 'chat');
      state.typing.set(roomId, now);
      socket.to(SocketRooms.chat(roomId)).emit('typing', { roomId, userId: actor.userId });
      return { forwarded: true };
    });
  }

  @SubscribeMessage('thread:watch')
  watch(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.runAsAnyone(socket, async (actor) => {
      const { threadId } = await parsePayload(ThreadRefDto, body);
      const watched = await this.live.watchable(actor, threadId);
      if (actor) await this.policy.assertMay(watched.communityId, actor.userId, 'read');
      this.sessions.state(socket).watching.set(threadId, watched.boardId);
      await socket.join(SocketRooms.thread(threadId));
      return { threadId };
    });
  }

  @SubscribeMessage('thread:unwatch')
  unwatch(@ConnectedSocket() socket: HearthSocket, @MessageBody() body: unknown): Promise<Ack> {
    return this.runAsAnyone(socket, async () => {
      const { threadId } = await parsePayload(ThreadRefDto, body);
      this.sessions.state(socket).watching.delete(threadId);
      await socket.leave(SocketRooms.thread(threadId));
      return {};
    });
  }

  /** Runs a handler as an ack: guests are refused unless the event allows them; errors become `{ok: false, error}`. */
  private run(socket: HearthSocket, fn: (actor: Actor) => Promise<object>): Promise<Ack> {
    return this.runAsAnyone(socket, (actor) => {
      if (!actor) throw CommonErrors.unauthenticated('Connect with an access token to do this');
      return fn(actor);
    });
  }

  /** As run(), for the events guests may send too (watching public threads). */
  private async runAsAnyone(socket: HearthSocket, fn: (actor: Actor | null) => Promise<object>): Promise<Ack> {
    try {
      return { ok: true, ...(await fn(actorOf(socket))) };
    } catch (err) {
      const ack = errorAck(err);
      if (ack.error.code === 'INTERNAL') this.logger.error({ err }, 'realtime: handler failed');
      return ack;
    }
  }
}
