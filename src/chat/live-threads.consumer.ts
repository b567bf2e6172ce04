import { Injectable, OnModuleInit } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { DomainEvent } from '../core/events/event-types';
import { EventsService } from '../core/events/events.service';
import { LivePostsService } from '../threads/live-posts.service';
import { Realtime } from './realtime';

const TYPES = ['post.created', 'post.edited', 'post.deleted', 'post.hidden', 'post.restored', 'post.approved'] as const;
type LiveType = (typeof TYPES)[number];

/**
 * Live thread pages: committed post events become `post:new`, `post:updated` and `post:deleted` to
 * the sockets watching the thread (on every instance). As an outbox consumer it only ever sees
 * committed writes, so a rolled-back reply is never announced; it sends after its own delivery
 * commits, so a retried delivery is not announced twice. Watchers are only those who may read the
 * thread (checked at watch time, and again when the thread moves or a board or role changes).
 */
@Injectable()
export class LiveThreadsConsumer implements OnModuleInit {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly live: LivePostsService,
    private readonly realtime: Realtime,
  ) {}

  onModuleInit() {
    this.events.register({ name: 'chat-live-threads', types: [...TYPES], handle: (event) => this.handle(event as DomainEvent<LiveType>) });
  }

  private async handle(event: DomainEvent<LiveType>): Promise<void> {
    const { threadId, postId } = event.data;
    let send: () => void;
    switch (event.type) {
      case 'post.created':
      case 'post.restored':
      case 'post.approved':
      case 'post.edited': {
        const post = await this.live.publicPost(postId);
        if (!post) return;
        const name = event.type === 'post.edited' ? 'post:updated' : 'post:new';
        send = () => this.realtime.toThread(threadId, name, { threadId, post });
        break;
      }
      case 'post.deleted':
      case 'post.hidden': {
        const threadGone = (event.data as { isFirst?: boolean }).isFirst === true && event.type === 'post.deleted';
        send = () => this.realtime.toThread(threadId, 'post:deleted', { threadId, postId, threadDeleted: threadGone });
        break;
      }
    }
    this.db.afterCommit(send);
  }
}
