import { Inject, Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { reportRange } from '../core/http/date-range.dto';
import { ChatErrors } from './chat.errors';
import { ChatRepository } from './chat.repository';
import { RoomView, SupportStatus } from './dto/chat.dto';
import { Realtime } from './realtime';
import { RoomsService } from './rooms.service';

const QUEUE_CURSOR = cursorKind<[string, string]>('chat-support', 'timestamp', 'uuid');

export interface SupportTimes {
  from: string;
  to: string;
  /** Support chats requested in the range (named as in qa/response-times, so one dashboard reads both). */
  questions: number;
  answered: number;
  firstResponseSeconds: { p50: number | null; p90: number | null };
  within: { '1h': number; '4h': number; '24h': number };
}

/** The support queue: staff see requests oldest first, one claims each, either side closes it; response times. */
@Injectable()
export class SupportService {
  constructor(
    private readonly db: Db,
    private readonly repo: ChatRepository,
    private readonly rooms: RoomsService,
    private readonly events: EventsService,
    private readonly cursors: Cursors,
    @Inject(Realtime) private readonly realtime: Realtime,
  ) {}

  async queue(community: CommunityContext, query: { status?: SupportStatus; limit?: number; cursor?: string }): Promise<Page<RoomView>> {
    if (!roleAtLeast(community.role, 'staff')) throw ChatErrors.notStaff();
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(QUEUE_CURSOR, query.cursor);
    const rows = await this.repo.supportQueue(community.id, query.status ?? 'open', after, limit);
    const page = rows.slice(0, limit);
    const items = await this.rooms.views(page, []);
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit ? this.cursors.encode(QUEUE_CURSOR, [last.created_key, last.id]) : null };
  }

  /** A staff member takes the chat; a second claim is 409 SUPPORT_ALREADY_CLAIMED. */
  async claim(actor: Actor, roomId: string): Promise<RoomView> {
    const { row, rights } = await this.rooms.access(actor, roomId);
    if (row.kind !== 'support') throw ChatErrors.notSupport();
    if (!rights.staff) throw ChatErrors.notStaff();
    const claimed = await this.db.transaction(async () => {
      const updated = await this.repo.claim(roomId, actor.userId);
      if (!updated) return null;
      await this.repo.addMembers(roomId, [actor.userId]);
      await this.events.record('support.claimed', { communityId: row.community_id, roomId, customerId: row.created_by, staffId: actor.userId }, row.community_id);
      return updated;
    });
    if (!claimed) {
      const now = await this.rooms.access(actor, roomId);
      if (now.row.support_status === 'closed') throw ChatErrors.closed();
      throw ChatErrors.alreadyClaimed(now.row.claimed_by ?? '');
    }
    const room = await this.rooms.view(claimed);
    this.realtime.toChatRoom(roomId, 'support:claimed', { room });
    this.realtime.toStaff(row.community_id, 'support:claimed', { room });
    return room;
  }

  /** The customer or any staff member closes the chat; it stays readable, and takes no more messages. */
  async close(actor: Actor, roomId: string): Promise<RoomView> {
    const { row, rights } = await this.rooms.access(actor, roomId);
    if (row.kind !== 'support') throw ChatErrors.notSupport();
    if (row.created_by !== actor.userId && !rights.staff) throw ChatErrors.notStaff();
    const closed = await this.db.transaction(async () => {
      const updated = await this.repo.close(roomId, actor.userId);
      if (updated) {
        await this.events.record(
          'support.closed',
          { communityId: row.community_id, roomId, customerId: row.created_by, staffId: updated.claimed_by, closedBy: actor.userId },
          row.community_id,
        );
      }
      return updated;
    });
    if (!closed) throw ChatErrors.closed();
    const room = await this.rooms.view(closed);
    this.realtime.toChatRoom(roomId, 'support:closed', { room });
    this.realtime.toStaff(row.community_id, 'support:closed', { room });
    return room;
  }

  async responseTimes(community: CommunityContext, query: { from?: string; to?: string }): Promise<SupportTimes> {
    if (!roleAtLeast(community.role, 'staff')) throw ChatErrors.notStaff();
    const { from, to } = reportRange(query);
    const row = await this.repo.supportResponseTimes(community.id, from, to);
    const share = (n: number) => (row.requests ? n / row.requests : 0);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      questions: row.requests,
      answered: row.answered,
      firstResponseSeconds: { p50: row.pct?.[0] ?? null, p90: row.pct?.[1] ?? null },
      within: { '1h': share(row.h1), '4h': share(row.h4), '24h': share(row.h24) },
    };
  }
}
