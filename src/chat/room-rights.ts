import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { ChatErrors } from './chat.errors';
import { RoomAccessRow } from './chat.repository';

export interface RoomRights {
  /** The caller's effective role in the room's community (the platform admin is admin everywhere). */
  role: Role | null;
  read: boolean;
  /** null: may send; otherwise the error a send gets. */
  sendError: Error | null;
  /** Staff of the community (support queue, claims, closing support chats). */
  staff: boolean;
  moderator: boolean;
}

/**
 * Who may read and write a room. A room of another community, or one the caller may not read, is
 * answered as missing (404) so its existence does not leak.
 *
 * - public: every member of the community reads and writes;
 * - private and direct: the room's members only (moderators too need an invitation: private talk
 *   stays private; a reported message reaches moderators through the review queue);
 * - support: the customer who opened it, and the community's staff; once claimed only the claiming
 *   staff member answers; a closed chat is read-only.
 */
export function roomRights(row: RoomAccessRow, actor: Actor | null): RoomRights {
  const role = actor ? (actor.isPlatformAdmin ? 'admin' : row.viewer_role) : null;
  const staff = roleAtLeast(role, 'staff');
  const moderator = roleAtLeast(role, 'moderator');
  const none: RoomRights = { role, read: false, sendError: ChatErrors.roomNotFound(), staff, moderator };
  if (!actor || !role) return none;
  switch (row.kind) {
    case 'public':
      return { role, read: true, sendError: null, staff, moderator };
    case 'private':
    case 'direct':
      return row.in_room ? { role, read: true, sendError: null, staff, moderator } : none;
    case 'support': {
      const customer = row.created_by === actor.userId;
      if (!customer && !staff) return none;
      let sendError: Error | null = null;
      if (row.support_status === 'closed') sendError = ChatErrors.closed();
      else if (!customer) {
        if (row.support_status === 'open') sendError = ChatErrors.notClaimed();
        else if (row.claimed_by !== actor.userId) sendError = ChatErrors.claimedByOther();
      }
      return { role, read: true, sendError, staff, moderator };
    }
  }
}
