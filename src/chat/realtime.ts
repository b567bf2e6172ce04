import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';

/** Socket.io room names: what each carries (NodeBB's `uid_1`, `chat_room_7` style). */
export const SocketRooms = {
  user: (userId: string) => `user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  chat: (roomId: string) => `chat:${roomId}`,
  /** One user's sockets in a chat room (presence: is any left?). */
  chatUser: (roomId: string, userId: string) => `chat:${roomId}:user:${userId}`,
  staff: (communityId: string) => `staff:${communityId}`,
  thread: (threadId: string) => `thread:${threadId}`,
};

/**
 * Sends realtime events to sockets on every instance (through the Redis streams adapter when
 * REDIS_URL is set). The chat gateway attaches the server at start-up; before that (or in a process
 * without a gateway) sends go nowhere. Other modules (notifications) send through this service.
 */
@Injectable()
export class Realtime {
  private server: Server | null = null;

  attach(server: Server): void {
    this.server = server;
  }

  get io(): Server | null {
    return this.server;
  }

  toUser(userId: string, event: string, payload: unknown): void {
    this.server?.to(SocketRooms.user(userId)).emit(event, payload);
  }

  toChatRoom(roomId: string, event: string, payload: unknown): void {
    this.server?.to(SocketRooms.chat(roomId)).emit(event, payload);
  }

  toStaff(communityId: string, event: string, payload: unknown): void {
    this.server?.to(SocketRooms.staff(communityId)).emit(event, payload);
  }

  toThread(threadId: string, event: string, payload: unknown): void {
    this.server?.to(SocketRooms.thread(threadId)).emit(event, payload);
  }
}
