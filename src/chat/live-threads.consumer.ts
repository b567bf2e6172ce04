import { Injectable, OnModuleInit } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { DomainEvent } from '../core/events/event-types';
import { EventsService } from '../core/events/events.service';
import { LivePostsService } from '../threads/live-posts.service';
import { Realtime } from './realtime';

const TYPES = ['post.created', 'post.edited', 'post.deleted', 'post.hidden', 'post.restored', 'post.approved', 'answer.accepted', 'answer.official'] as const;
type LiveType = (typeof TYPES)[number];

/**
 * Live thread pages: committed post events become `post:new`, `post:updated` and `post:deleted` to
 * the sockets watching the thread (on every instance); an accepted or official answer is a
 * `post:updated` of that post (and of the answer it replaced). `post:new` and `post:deleted` carry the
 * thread's `replyCount` now, so a page counts replies as the server does (a hidden reply still counts). As an outbox consumer it only ever sees
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
      case 'answer.accepted':
      case 'answer.official': {
        const previous = event.type === 'answer.accepted' ? (event.data as { previousPostId: string | null }).previousPostId : null;
        const ids = new Set([postId, previous].filter((id): id is string => Boolean(id)));
        const posts = (await Promise.all([...ids].map((id) => this.live.publicPost(id)))).filter((p) => p !== null);
        if (!posts.length) return;
        send = () => posts.forEach((post) => this.realtime.toThread(threadId, 'post:updated', { threadId, post }));
        break;
      }
      case 'post.created':
      case 'post.restored':
      case 'post.approved':
      case 'post.edited': {
        const post = await this.live.publicPost(postId);
        if (!post) return;
        if (event.type === 'post.edited') {
          send = () => this.realtime.toThread(threadId, 'post:updated', { threadId, post });
        } else {
          const replyCount = await this.live.replyCount(threadId);
          send = () => this.realtime.toThread(threadId, 'post:new', { threadId, post, replyCount });
        }
        break;
      }
      case 'post.deleted':
      case 'post.hidden': {
        const threadGone = (event.data as { isFirst?: boolean }).isFirst === true && event.type === 'post.deleted';
        const replyCount = threadGone ? null : await this.live.replyCount(threadId);
        send = () => this.realtime.toThread(threadId, 'post:deleted', { threadId, postId, threadDeleted: threadGone, replyCount });
        break;
      }
    }
    this.db.afterCommit(send);
  }
}
