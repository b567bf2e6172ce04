import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Db, isUniqueViolation } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { CommunityPolicy } from '../core/policy/community-policy';
import { RateLimitService } from '../core/rate-limit/rate-limit.service';
import { CommunitiesService } from '../communities/communities.service';
import { IdentityService } from '../identity/identity.service';
import { LivePostsService } from '../threads/live-posts.service';
import { ChatErrors } from './chat.errors';
import { toMessageView } from './chat.mappers';
import { ChatRepository, MessageRow } from './chat.repository';
import { MessageView, SendMessageDto } from './dto/chat.dto';
import { Realtime } from './realtime';
import { RoomAccess, RoomsService } from './rooms.service';

const HISTORY_CURSOR = cursorKind<[number]>('chat-history', 'int');

/** Chat messages: sending (idempotent by clientId, rate limited, screened), editing, deleting, history and read state. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly db: Db,
    private readonly repo: ChatRepository,
    private readonly rooms: RoomsService,
    private readonly identity: IdentityService,
    private readonly communities: CommunitiesService,
    private readonly live: LivePostsService,
    private readonly events: EventsService,
    private readonly policy: CommunityPolicy,
    private readonly rateLimits: RateLimitService,
    private readonly cursors: Cursors,
    @Inject(Realtime) private readonly realtime: Realtime,
  ) {}

  /**
   * Stores the message, then broadcasts it as `message:new` to the room (on every instance). A resend
   * with the same clientId stores nothing and answers the stored message (`created: false`), even
   * after the room closed or the sender hit the rate limit: the first send is what counts.
   */
  async send(actor: Actor, roomId: string, dto: SendMessageDto): Promise<{ message: MessageView; created: boolean }> {
    const { row, rights } = await this.rooms.access(actor, roomId);
    const existing = await this.repo.messageByClientId(roomId, actor.userId, dto.clientId);
    if (existing) return { message: await this.view(existing), created: false };
    if (rights.sendError) throw rights.sendError;
    const communityId = row.community_id;
    await this.policy.assertMay(communityId, actor.userId, 'chat');
    const rendered = await this.live.render(communityId, dto.body);
    if (!rights.staff) {
      const settings = await this.communities.getSettings(communityId);
      const limitsDiffer = settings.chatMessagesPer30Seconds !== settings.newMemberChatMessagesPer30Seconds;
      const isNew =
        limitsDiffer || rendered.linkCount > settings.newMemberMaxLinks
          ? await this.live.isNewMember(actor.userId, communityId, settings.newMemberDays, settings.newMemberPosts)
          : false;
      if (isNew && rendered.linkCount > settings.newMemberMaxLinks) throw ChatErrors.tooManyLinks(settings.newMemberMaxLinks);
      const points = isNew ? settings.newMemberChatMessagesPer30Seconds : settings.chatMessagesPer30Seconds;
      await this.rateLimits
        .limiter({ name: `chat-send-${points}`, points, durationSeconds: 30 })
        .consume(`${communityId}:${actor.userId}`, 'You are sending messages too fast');
    }
    const verdict = await this.policy.screen(communityId, actor.userId, 'message', { body: dto.body });
    const staffReply = row.kind === 'support' && rights.staff && row.created_by !== actor.userId;
    let stored: MessageRow;
    try {
      stored = await this.db.transaction(async () => {
        const message = await this.repo.insertMessage({ roomId, authorId: actor.userId, clientId: dto.clientId, body: dto.body, html: rendered.html, staffReply });
        if (verdict.action === 'queue') await this.repo.setHidden(message.id, true);
        // Held or flagged by the community's rules: into the review queue, in this transaction.
        await this.policy.screened(communityId, { kind: 'message', targetId: message.id, authorId: actor.userId, verdict });
        await this.repo.markRead(roomId, actor.userId, message.seq);
        await this.events.record('chat.message_sent', { communityId, roomId, roomKind: row.kind, messageId: message.id, authorId: actor.userId }, communityId);
        return verdict.action === 'queue' ? { ...message, hidden: true } : message;
      });
    } catch (err) {
      // The same clientId sent twice at once: the other send stored it.
      if (!isUniqueViolation(err)) throw err;
      const raced = await this.repo.messageByClientId(roomId, actor.userId, dto.clientId);
      if (!raced) throw err;
      return { message: await this.view(raced), created: false };
    }
    const message = await this.view(stored);
    if (!stored.hidden) this.realtime.toChatRoom(roomId, 'message:new', { message });
    return { message, created: true };
  }

  async edit(actor: Actor, messageId: string, body: string): Promise<MessageView> {
    const { message, access } = await this.changeable(actor, messageId);
    await this.policy.assertMay(access.row.community_id, actor.userId, 'chat');
    const verdict = await this.policy.screen(access.row.community_id, actor.userId, 'message', { body });
    const rendered = await this.live.render(access.row.community_id, body);
    const row = await this.db.transaction(async () => {
      const updated = await this.repo.updateMessage(message.id, body, rendered.html);
      if (!updated) throw ChatErrors.messageNotFound();
      await this.policy.screened(access.row.community_id, { kind: 'message', targetId: message.id, authorId: message.author_id, verdict });
      return verdict.action === 'queue' ? ((await this.repo.setHidden(message.id, true)) ?? updated) : updated;
    });
    const view = await this.view(row);
    if (row.hidden) this.realtime.toChatRoom(row.room_id, 'message:deleted', { roomId: row.room_id, messageId: row.id });
    else this.realtime.toChatRoom(row.room_id, 'message:updated', { message: view });
    return view;
  }

  async delete(actor: Actor, messageId: string): Promise<void> {
    const { message } = await this.changeable(actor, messageId);
    if (!(await this.repo.deleteMessage(message.id))) throw ChatErrors.messageNotFound();
    this.realtime.toChatRoom(message.room_id, 'message:deleted', { roomId: message.room_id, messageId: message.id });
  }

  /** The room's history, newest first (hidden messages only for their author and moderators). */
  async history(actor: Actor, roomId: string, query: { limit?: number; cursor?: string }): Promise<Page<MessageView>> {
    const { rights } = await this.rooms.readable(actor, roomId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = this.cursors.decode(HISTORY_CURSOR, query.cursor);
    const rows = await this.repo.history(roomId, actor.userId, rights.moderator, before ? String(before[0]) : null, limit);
    const users = await this.identity.getUsers(rows.map((r) => r.author_id));
    return this.cursors.page(HISTORY_CURSOR, rows, limit, (r) => toMessageView(r, users), (r) => [Number(r.seq)]);
  }

  /** Marks the room read up to this message; answers the room's unread count after it. */
  async markRead(actor: Actor, roomId: string, messageId: string): Promise<{ unreadCount: number }> {
    await this.rooms.readable(actor, roomId);
    const message = await this.repo.message(messageId);
    if (!message || message.room_id !== roomId) throw ChatErrors.messageNotFound();
    await this.repo.markRead(roomId, actor.userId, message.seq);
    const row = await this.repo.roomForViewer(roomId, actor.userId);
    return { unreadCount: await this.repo.unreadCount(roomId, actor.userId, row?.last_read_seq ?? message.seq) };
  }

  /**
   * One message of a room the caller may read, with the room's community (404 otherwise, and for a
   * hidden message unless the caller wrote it or moderates the room): the pages' edit form.
   */
  async get(actor: Actor, roomId: string, messageId: string): Promise<{ message: MessageView; communityId: string }> {
    const message = await this.repo.message(messageId);
    if (!message || message.room_id !== roomId) throw ChatErrors.messageNotFound();
    let access: RoomAccess;
    try {
      access = await this.rooms.access(actor, roomId);
    } catch {
      throw ChatErrors.messageNotFound();
    }
    if (message.hidden && message.author_id !== actor.userId && !access.rights.moderator) throw ChatErrors.messageNotFound();
    return { message: await this.view(message), communityId: access.row.community_id };
  }

  /** The message and its room, if the caller is its author or a moderator who may read the room. */
  private async changeable(actor: Actor, messageId: string): Promise<{ message: MessageRow; access: RoomAccess }> {
    const message = await this.repo.message(messageId);
    if (!message) throw ChatErrors.messageNotFound();
    let access: RoomAccess;
    try {
      access = await this.rooms.access(actor, message.room_id);
    } catch {
      throw ChatErrors.messageNotFound();
    }
    if (message.hidden && message.author_id !== actor.userId && !access.rights.moderator) throw ChatErrors.messageNotFound();
    if (message.author_id !== actor.userId && !access.rights.moderator) throw ChatErrors.notAuthor();
    return { message, access };
  }

  private async view(row: MessageRow): Promise<MessageView> {
    return toMessageView(row, await this.identity.getUsers([row.author_id]));
  }
  /** The member's own messages (for their data export, src/account-data), oldest first, `limit` after the key `after`. */
  async messagesByAuthor(userId: string, after: [string, string] | null, limit: number) {
    const rows = await this.db.query<{ id: string; room_id: string; body: string; created_at: Date; edited_at: Date | null; deleted_at: Date | null; k: string }>(
      `SELECT id, room_id, body, created_at, edited_at, deleted_at, created_at::text AS k FROM chat_messages
        WHERE author_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::uuid)) ORDER BY created_at, id LIMIT $4`,
      [userId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    const items = rows.map((r) => ({ id: r.id, roomId: r.room_id, body: r.body, createdAt: iso(r.created_at)!, editedAt: iso(r.edited_at), deletedAt: iso(r.deleted_at) }));
    const last = rows[rows.length - 1];
    return { items, next: rows.length === limit ? ([last.k, last.id] as [string, string]) : null };
  }
}
