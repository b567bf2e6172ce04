import { Module } from '@nestjs/common';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { ThreadsModule } from '../threads/threads.module';
import { ChatController } from './chat.controller';
import { ChatGateway } from './chat.gateway';
import { ChatRepository } from './chat.repository';
import { LiveThreadsConsumer } from './live-threads.consumer';
import { MemberChangesConsumer } from './member-changes.consumer';
import { MessageReports } from './message-reports';
import { MessagesService } from './messages.service';
import { Realtime } from './realtime';
import { RoomsService } from './rooms.service';
import { SocketSessions } from './socket-sessions';
import { SupportService } from './support.service';

/**
 * Live chat and live thread updates: rooms, messages and read state (its own tables), the support
 * queue, the socket.io gateway, and `Realtime`, through which other modules (notifications) reach
 * members' sockets on every instance. Calls go one way: chat uses identity, communities and threads;
 * none of them knows chat (thread updates arrive as outbox events).
 */
@Module({
  imports: [IdentityModule, CommunitiesModule, ThreadsModule],
  controllers: [ChatController],
  providers: [ChatRepository, RoomsService, MessagesService, SupportService, Realtime, SocketSessions, ChatGateway, LiveThreadsConsumer, MemberChangesConsumer, MessageReports],
  exports: [Realtime, RoomsService, MessagesService, SupportService],
})
export class ChatModule {}
