import { Injectable, OnModuleInit } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { CommunityPolicy, ReportTargetResolver, TargetViewer } from '../core/policy/community-policy';
import { IdentityService } from '../identity/identity.service';
import { toMessageView } from './chat.mappers';
import { ChatRepository } from './chat.repository';
import { Realtime } from './realtime';
import { RoomsService } from './rooms.service';

/**
 * Chat messages as report targets of the moderation module (registered through CommunityPolicy, so
 * moderation needs no import of chat). A member reports what they can read; moderators act on what
 * was reported, private rooms included: hiding takes the message out of the room for everyone but
 * its author (`message:deleted`), restoring brings it back (`message:new`), removing deletes it.
 */
@Injectable()
export class MessageReports implements OnModuleInit, ReportTargetResolver {
  constructor(
    private readonly db: Db,
    private readonly policy: CommunityPolicy,
    private readonly repo: ChatRepository,
    private readonly rooms: RoomsService,
    private readonly identity: IdentityService,
    private readonly realtime: Realtime,
  ) {}

  onModuleInit() {
    this.policy.registerReportTarget('message', this);
  }

  async load(targetId: string, viewer: TargetViewer | null) {
    const message = await this.repo.message(targetId);
    if (!message) return null;
    let communityId: string;
    if (viewer) {
      try {
        const { row } = await this.rooms.access({ userId: viewer.userId, sessionId: '', isPlatformAdmin: viewer.isPlatformAdmin }, message.room_id);
        communityId = row.community_id;
      } catch {
        return null;
      }
      if (message.hidden && message.author_id !== viewer.userId) return null;
    } else {
      const row = await this.repo.roomForViewer(message.room_id, null);
      if (!row) return null;
      communityId = row.community_id;
    }
    const view = toMessageView(message, await this.identity.getUsers([message.author_id]));
    return { communityId, authorId: message.author_id, view };
  }

  async hide(targetId: string): Promise<void> {
    const row = await this.repo.setHidden(targetId, true);
    if (row) this.afterCommit(() => this.realtime.toChatRoom(row.room_id, 'message:deleted', { roomId: row.room_id, messageId: row.id }));
  }

  async restore(targetId: string): Promise<void> {
    const row = await this.repo.setHidden(targetId, false);
    if (!row) return;
    const message = toMessageView(row, await this.identity.getUsers([row.author_id]));
    this.afterCommit(() => this.realtime.toChatRoom(row.room_id, 'message:new', { message }));
  }

  async remove(targetId: string): Promise<void> {
    const row = await this.repo.message(targetId);
    if (row && (await this.repo.deleteMessage(targetId))) {
      this.afterCommit(() => this.realtime.toChatRoom(row.room_id, 'message:deleted', { roomId: row.room_id, messageId: row.id }));
    }
  }

  /** Moderation acts inside its resolve transaction: sockets hear of it once that commits. */
  private afterCommit(fn: () => void) {
    if (this.db.inTransaction) this.db.afterCommit(fn);
    else fn();
  }
}
