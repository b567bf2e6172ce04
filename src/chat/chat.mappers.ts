import { UserView } from '../identity/dto/auth.dto';
import { MessageView, RoomView } from './dto/chat.dto';
import { MessageRow, RoomRow } from './chat.repository';

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const missingUser = (id: string): UserView => ({ id, displayName: 'Deleted user', avatarUrl: null });

export function toRoomView(row: RoomRow, users: Map<string, UserView>, memberIds: string[], unreadCount: number): RoomView {
  const user = (id: string) => users.get(id) ?? missingUser(id);
  return {
    id: row.id,
    communityId: row.community_id,
    kind: row.kind,
    name: row.name,
    createdBy: row.created_by,
    members: row.kind === 'public' ? [] : memberIds.map(user),
    support:
      row.kind === 'support'
        ? {
            status: row.support_status!,
            customer: user(row.created_by),
            claimedBy: row.claimed_by ? user(row.claimed_by) : null,
            claimedAt: iso(row.claimed_at),
            closedAt: iso(row.closed_at),
            firstResponseSeconds: row.first_response_at
              ? Math.round((new Date(row.first_response_at).getTime() - new Date(row.created_at).getTime()) / 1000)
              : null,
          }
        : null,
    unreadCount,
    lastMessageAt: iso(row.last_message_at),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function toMessageView(row: MessageRow, users: Map<string, UserView>): MessageView {
  return {
    id: row.id,
    roomId: row.room_id,
    author: users.get(row.author_id) ?? missingUser(row.author_id),
    body: row.body,
    html: row.html,
    clientId: row.client_id,
    createdAt: new Date(row.created_at).toISOString(),
    editedAt: iso(row.edited_at),
  };
}

/** All user ids a room view names. */
export function roomUserIds(row: RoomRow, memberIds: string[]): string[] {
  return [row.created_by, ...(row.claimed_by ? [row.claimed_by] : []), ...memberIds];
}
