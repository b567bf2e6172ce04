import { Inject, Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { CommunityPolicy } from '../core/policy/community-policy';
import { CommunitiesService } from '../communities/communities.service';
import { IdentityService } from '../identity/identity.service';
import { ChatErrors } from './chat.errors';
import { roomUserIds, toRoomView } from './chat.mappers';
import { ChatRepository, RoomAccessRow, RoomRow } from './chat.repository';
import { CreateRoomDto, PRIVATE_ROOM_MAX_MEMBERS, RoomView, ROOM_NAME_MAX } from './dto/chat.dto';
import { Realtime } from './realtime';
import { roomRights, RoomRights } from './room-rights';

const ROOMS_CURSOR = cursorKind<[string, string]>('chat-rooms', 'timestamp', 'uuid');

export interface RoomAccess {
  row: RoomAccessRow;
  rights: RoomRights;
}

/** Chat rooms: creating them (public, private, direct, support), listing them, and who may do what in each. */
@Injectable()
export class RoomsService {
  constructor(
    private readonly db: Db,
    private readonly repo: ChatRepository,
    private readonly identity: IdentityService,
    private readonly communities: CommunitiesService,
    private readonly events: EventsService,
    private readonly policy: CommunityPolicy,
    private readonly cursors: Cursors,
    @Inject(Realtime) private readonly realtime: Realtime,
  ) {}

  /** The room and the caller's rights in it, read now; 404 unless the caller may read it. */
  async access(actor: Actor | null, roomId: string): Promise<RoomAccess> {
    const row = await this.repo.roomForViewer(roomId, actor?.userId ?? null);
    if (!row) throw ChatErrors.roomNotFound();
    const rights = roomRights(row, actor);
    if (!rights.read) throw ChatErrors.roomNotFound();
    return { row, rights };
  }

  /** As access(), and the member's sanctions allow reading (a suspension or a ban stops it). */
  async readable(actor: Actor, roomId: string): Promise<RoomAccess> {
    const access = await this.access(actor, roomId);
    await this.policy.assertMay(access.row.community_id, actor.userId, 'read');
    return access;
  }

  /**
   * Creates a room, or for direct and support rooms finds the one that exists (`created: false`):
   * opening a direct room again returns it; a customer has one open support chat at a time.
   */
  async create(actor: Actor, community: CommunityContext, dto: CreateRoomDto): Promise<{ room: RoomView; created: boolean }> {
    if (!community.role) throw ChatErrors.notMember();
    await this.policy.assertMay(community.id, actor.userId, 'chat');
    const memberIds = dto.memberIds ?? [];
    switch (dto.kind) {
      case 'public':
        if (!roleAtLeast(community.role, 'staff')) throw ChatErrors.publicNeedsStaff();
        if (memberIds.length) throw ChatErrors.noMembersHere('public');
        if (!dto.name) throw ChatErrors.nameRequired();
        return this.insert(actor, community.id, { kind: 'public', name: dto.name, members: [] });
      case 'private': {
        if (!dto.name) throw ChatErrors.nameRequired();
        const others = memberIds.filter((id) => id !== actor.userId);
        await this.assertCommunityMembers(community.id, others);
        return this.insert(actor, community.id, { kind: 'private', name: dto.name, members: [actor.userId, ...others] });
      }
      case 'direct': {
        const others = memberIds.filter((id) => id !== actor.userId);
        if (others.length !== 1 || memberIds.length !== 1) throw ChatErrors.directNeedsOne();
        await this.assertCommunityMembers(community.id, others);
        const key = [actor.userId, others[0]].sort().join(':');
        const existing = await this.repo.findDirect(community.id, key);
        if (existing) return { room: await this.view(existing), created: false };
        const users = await this.identity.getUsers([actor.userId, others[0]]);
        const name = [actor.userId, others[0]].map((id) => users.get(id)?.displayName ?? 'member').join(' & ').slice(0, ROOM_NAME_MAX);
        return this.insert(actor, community.id, { kind: 'direct', name, members: [actor.userId, others[0]], directKey: key });
      }
      case 'support': {
        if (memberIds.length) throw ChatErrors.noMembersHere('support');
        const existing = await this.repo.findOpenSupport(community.id, actor.userId);
        if (existing) return { room: await this.view(existing), created: false };
        const me = (await this.identity.getUsers([actor.userId])).get(actor.userId);
        const name = `Support: ${me?.displayName ?? 'member'}`.slice(0, ROOM_NAME_MAX);
        return this.insert(actor, community.id, { kind: 'support', name, members: [actor.userId] });
      }
    }
  }

  private async insert(
    actor: Actor,
    communityId: string,
    input: { kind: RoomRow['kind']; name: string; members: string[]; directKey?: string },
  ): Promise<{ room: RoomView; created: boolean }> {
    const row = await this.db.transaction(async () => {
      const room = await this.repo.insertRoom({ communityId, kind: input.kind, name: input.name, createdBy: actor.userId, directKey: input.directKey });
      if (!room) return null; // a concurrent open of the same direct or support room won
      await this.repo.addMembers(room.id, input.members);
      if (room.kind === 'support') await this.events.record('support.requested', { communityId, roomId: room.id, customerId: actor.userId }, communityId);
      return room;
    });
    if (!row) {
      const existing = input.directKey ? await this.repo.findDirect(communityId, input.directKey) : await this.repo.findOpenSupport(communityId, actor.userId);
      if (!existing) throw ChatErrors.roomNotFound();
      return { room: await this.view(existing), created: false };
    }
    const room = await this.view(row);
    if (row.kind === 'support') this.realtime.toStaff(communityId, 'support:requested', { room });
    return { room, created: true };
  }

  /** Adds members to a private room (its creator or a moderator in it). */
  async invite(actor: Actor, roomId: string, userIds: string[]): Promise<RoomView> {
    const { row, rights } = await this.access(actor, roomId);
    if (row.kind !== 'private') throw ChatErrors.notInvitable();
    if (row.created_by !== actor.userId && !rights.moderator) throw ChatErrors.notRoomOwner();
    await this.policy.assertMay(row.community_id, actor.userId, 'chat');
    await this.assertCommunityMembers(row.community_id, userIds);
    await this.db.transaction(async () => {
      await this.repo.roomForUpdate(roomId);
      await this.repo.addMembers(roomId, userIds);
      if ((await this.repo.memberCount(roomId)) > PRIVATE_ROOM_MAX_MEMBERS) throw ChatErrors.roomFull(PRIVATE_ROOM_MAX_MEMBERS);
    });
    return this.view(row);
  }

  async list(actor: Actor, community: CommunityContext, query: { limit?: number; cursor?: string }): Promise<Page<RoomView>> {
    if (!community.role) throw ChatErrors.notMember();
    await this.policy.assertMay(community.id, actor.userId, 'read');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(ROOMS_CURSOR, query.cursor);
    const rows = await this.repo.listRooms(community.id, actor.userId, after, limit);
    const page = rows.slice(0, limit);
    const items = await this.views(page, page.map((r) => r.unread));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit ? this.cursors.encode(ROOMS_CURSOR, [last.activity_key, last.id]) : null };
  }

  /**
   * Joins a public room: the member gets its read state, their read mark at its newest message (an
   * empty room too), so it is listed as theirs at once and counts unread from then on. Joining again
   * changes nothing (a stale form does not mark the room read). Other kinds are joined by invitation.
   */
  async join(actor: Actor, roomId: string): Promise<RoomView> {
    const { row } = await this.readable(actor, roomId);
    if (row.kind !== 'public') throw ChatErrors.notJoinable();
    if (!row.in_room) await this.repo.markRead(roomId, actor.userId, row.last_seq);
    return this.view(row);
  }

  /** The number of the member's rooms in the community with unread messages (the pages' Chat link). */
  async unreadRoomCount(actor: Actor, communitySlug: string): Promise<number> {
    const communityId = await this.communities.idOfSlug(communitySlug);
    return communityId ? this.repo.unreadRoomCount(actor.userId, communityId) : 0;
  }

  async get(actor: Actor, roomId: string): Promise<RoomView> {
    const { row } = await this.readable(actor, roomId);
    return this.view(row, row.in_room ? await this.repo.unreadCount(row.id, actor.userId, row.last_read_seq ?? '0') : 0);
  }

  async view(row: RoomRow, unread = 0): Promise<RoomView> {
    const [view] = await this.views([row], [unread]);
    return view;
  }

  async views(rows: RoomRow[], unread: number[]): Promise<RoomView[]> {
    const members = await this.repo.roomMembers(rows.map((r) => r.id));
    const users = await this.identity.getUsers(rows.flatMap((r) => roomUserIds(r, members.get(r.id) ?? [])));
    return rows.map((r, i) => toRoomView(r, users, members.get(r.id) ?? [], unread[i] ?? 0));
  }

  private async assertCommunityMembers(communityId: string, userIds: string[]) {
    const members = await this.communities.memberships(communityId, userIds);
    const missing = userIds.filter((id) => !members.has(id));
    if (missing.length) throw ChatErrors.notMembers(missing);
  }
}
