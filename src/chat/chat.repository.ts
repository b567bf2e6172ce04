import { Injectable } from '@nestjs/common';
import { Role } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { CommunitiesService } from '../communities/communities.service';
import { RoomKind, SupportStatus } from './dto/chat.dto';

export interface RoomRow {
  id: string;
  community_id: string;
  kind: RoomKind;
  name: string;
  created_by: string;
  direct_key: string | null;
  support_status: SupportStatus | null;
  claimed_by: string | null;
  claimed_at: Date | null;
  closed_by: string | null;
  closed_at: Date | null;
  first_response_at: Date | null;
  last_seq: string;
  last_message_at: Date | null;
  created_at: Date;
}

/** A room with what the viewer is there: their membership role in its community and whether they are in the room. */
export interface RoomAccessRow extends RoomRow {
  viewer_role: Role | null;
  in_room: boolean;
  last_read_seq: string | null;
}

export interface ListedRoomRow extends RoomRow {
  unread: number;
  /** The keyset value, at full (microsecond) precision. */
  activity_key: string;
}

export interface MessageRow {
  id: string;
  room_id: string;
  seq: string;
  author_id: string;
  client_id: string;
  body: string;
  html: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  hidden: boolean;
}

const ROOM_COLUMNS = `r.id, r.community_id, r.kind, r.name, r.created_by, r.direct_key, r.support_status, r.claimed_by, r.claimed_at,
  r.closed_by, r.closed_at, r.first_response_at, r.last_seq, r.last_message_at, r.created_at`;
const MESSAGE_COLUMNS = 'id, room_id, seq, author_id, client_id, body, html, created_at, edited_at, deleted_at, hidden';
/** Unread counts stop here: a room list shows "1000+" beyond (counting further costs and tells nothing). */
export const UNREAD_CAP = 1000;

/** The chat module's SQL: rooms, room members with read state, messages. */
@Injectable()
export class ChatRepository {
  constructor(
    private readonly db: Db,
    private readonly communities: CommunitiesService,
  ) {}

  async roomForViewer(roomId: string, userId: string | null): Promise<RoomAccessRow | null> {
    const [row] = await this.db.query<RoomAccessRow>(
      `SELECT ${ROOM_COLUMNS}, ${this.communities.membershipRoleSql('r.community_id', '$2')} AS viewer_role,
              (m.user_id IS NOT NULL) AS in_room, m.last_read_seq
         FROM chat_rooms r LEFT JOIN chat_room_members m ON m.room_id = r.id AND m.user_id = $2::uuid
        WHERE r.id = $1`,
      [roomId, userId],
    );
    return row ?? null;
  }

  async roomForUpdate(roomId: string): Promise<RoomRow | null> {
    const [row] = await this.db.query<RoomRow>(`SELECT ${ROOM_COLUMNS} FROM chat_rooms r WHERE r.id = $1 FOR UPDATE`, [roomId]);
    return row ?? null;
  }

  async insertRoom(input: { communityId: string; kind: RoomKind; name: string; createdBy: string; directKey?: string | null }): Promise<RoomRow | null> {
    const [row] = await this.db.query<RoomRow>(
      `INSERT INTO chat_rooms AS r (community_id, kind, name, created_by, direct_key, support_status)
       VALUES ($1, $2::varchar, $3, $4, $5, CASE WHEN $2::varchar = 'support' THEN 'open' END)
       ON CONFLICT DO NOTHING
       RETURNING ${ROOM_COLUMNS}`,
      [input.communityId, input.kind, input.name, input.createdBy, input.directKey ?? null],
    );
    return row ?? null;
  }

  async findDirect(communityId: string, directKey: string): Promise<RoomRow | null> {
    const [row] = await this.db.query<RoomRow>(`SELECT ${ROOM_COLUMNS} FROM chat_rooms r WHERE r.community_id = $1 AND r.direct_key = $2`, [communityId, directKey]);
    return row ?? null;
  }

  async findOpenSupport(communityId: string, customerId: string): Promise<RoomRow | null> {
    const [row] = await this.db.query<RoomRow>(
      `SELECT ${ROOM_COLUMNS} FROM chat_rooms r WHERE r.community_id = $1 AND r.created_by = $2 AND r.kind = 'support' AND r.support_status <> 'closed'`,
      [communityId, customerId],
    );
    return row ?? null;
  }

  async addMembers(roomId: string, userIds: string[]): Promise<void> {
    if (!userIds.length) return;
    await this.db.query(
      'INSERT INTO chat_room_members (room_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING',
      [roomId, userIds],
    );
  }

  async memberCount(roomId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM chat_room_members WHERE room_id = $1', [roomId]);
    return row.n;
  }

  /** Members of each room (public rooms are left out: anyone in the community is in them). */
  async roomMembers(roomIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!roomIds.length) return out;
    const rows = await this.db.query<{ room_id: string; user_id: string }>(
      `SELECT m.room_id, m.user_id FROM chat_room_members m JOIN chat_rooms r ON r.id = m.room_id
        WHERE m.room_id = ANY($1::uuid[]) AND r.kind <> 'public' ORDER BY m.joined_at, m.user_id`,
      [roomIds],
    );
    for (const r of rows) (out.get(r.room_id) ?? out.set(r.room_id, []).get(r.room_id)!).push(r.user_id);
    return out;
  }

  /**
   * The rooms of a community the user sees: every public room and the rooms they are in, most
   * recently active first, with their unread counts (rooms they are in).
   */
  async listRooms(communityId: string, userId: string, after: [string, string] | null, limit: number): Promise<ListedRoomRow[]> {
    const params: unknown[] = [communityId, userId, limit + 1, UNREAD_CAP];
    let keyset = '';
    if (after) {
      params.push(after[0], after[1]);
      keyset = `AND (coalesce(r.last_message_at, r.created_at), r.id) < ($5::timestamptz, $6::uuid)`;
    }
    return this.db.query<ListedRoomRow>(
      `SELECT ${ROOM_COLUMNS}, coalesce(r.last_message_at, r.created_at)::text AS activity_key,
              CASE WHEN m.user_id IS NULL THEN 0 ELSE (
                SELECT count(*)::int FROM (
                  SELECT 1 FROM chat_messages x
                   WHERE x.room_id = r.id AND x.seq > m.last_read_seq AND x.author_id <> $2 AND x.deleted_at IS NULL AND NOT x.hidden
                   LIMIT $4) u) END AS unread
         FROM chat_rooms r LEFT JOIN chat_room_members m ON m.room_id = r.id AND m.user_id = $2
        WHERE r.community_id = $1 AND (r.kind = 'public' OR m.user_id IS NOT NULL) ${keyset}
        ORDER BY coalesce(r.last_message_at, r.created_at) DESC, r.id DESC
        LIMIT $3`,
      params,
    );
  }

  async unreadCount(roomId: string, userId: string, lastReadSeq: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM chat_messages
          WHERE room_id = $1 AND seq > $3 AND author_id <> $2 AND deleted_at IS NULL AND NOT hidden LIMIT $4) u`,
      [roomId, userId, lastReadSeq, UNREAD_CAP],
    );
    return row.n;
  }

  /**
   * How many of the user's rooms in the community have messages they have not read, as
   * the room list counts them (others' messages, not deleted or held). One statement: the member's
   * room rows by chat_room_members_user_idx, a room's unread probe by its (room_id, seq) key, and
   * rooms with nothing after the read mark skipped by their last_seq before any message is touched.
   */
  async unreadRoomCount(userId: string, communityId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM chat_room_members m JOIN chat_rooms r ON r.id = m.room_id
        WHERE m.user_id = $1 AND r.last_seq > m.last_read_seq
          AND r.community_id = $2
          AND EXISTS (SELECT 1 FROM chat_messages x
                       WHERE x.room_id = r.id AND x.seq > m.last_read_seq AND x.author_id <> $1 AND x.deleted_at IS NULL AND NOT x.hidden)`,
      [userId, communityId],
    );
    return row?.n ?? 0;
  }

  async supportQueue(communityId: string, status: SupportStatus, after: [string, string] | null, limit: number): Promise<Array<RoomRow & { created_key: string }>> {
    const params: unknown[] = [communityId, status, limit + 1];
    let keyset = '';
    if (after) {
      params.push(after[0], after[1]);
      keyset = 'AND (r.created_at, r.id) > ($4::timestamptz, $5::uuid)';
    }
    return this.db.query<RoomRow & { created_key: string }>(
      `SELECT ${ROOM_COLUMNS}, r.created_at::text AS created_key FROM chat_rooms r
        WHERE r.community_id = $1 AND r.kind = 'support' AND r.support_status = $2 ${keyset}
        ORDER BY r.created_at, r.id LIMIT $3`,
      params,
    );
  }

  async claim(roomId: string, staffId: string): Promise<RoomRow | null> {
    const [row] = await this.db.query<RoomRow>(
      `UPDATE chat_rooms r SET support_status = 'claimed', claimed_by = $2, claimed_at = now()
        WHERE r.id = $1 AND r.support_status = 'open' RETURNING ${ROOM_COLUMNS}`,
      [roomId, staffId],
    );
    return row ?? null;
  }

  async close(roomId: string, userId: string): Promise<RoomRow | null> {
    const [row] = await this.db.query<RoomRow>(
      `UPDATE chat_rooms r SET support_status = 'closed', closed_by = $2, closed_at = now()
        WHERE r.id = $1 AND r.support_status <> 'closed' RETURNING ${ROOM_COLUMNS}`,
      [roomId, userId],
    );
    return row ?? null;
  }

  async supportResponseTimes(communityId: string, from: Date, to: Date) {
    const [row] = await this.db.query<{ requests: number; answered: number; pct: number[] | null; h1: number; h4: number; h24: number }>(
      `WITH s AS (
         SELECT EXTRACT(EPOCH FROM (first_response_at - created_at))::float8 AS secs FROM chat_rooms
          WHERE community_id = $1 AND kind = 'support' AND created_at >= $2 AND created_at < $3)
       SELECT count(*)::int AS requests, count(secs)::int AS answered,
              percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY secs) AS pct,
              count(*) FILTER (WHERE secs <= 3600)::int AS h1,
              count(*) FILTER (WHERE secs <= 14400)::int AS h4,
              count(*) FILTER (WHERE secs <= 86400)::int AS h24
         FROM s`,
      [communityId, from, to],
    );
    return row;
  }

  // ---- messages ----

  async messageByClientId(roomId: string, authorId: string, clientId: string): Promise<MessageRow | null> {
    const [row] = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE room_id = $1 AND author_id = $2 AND client_id = $3`,
      [roomId, authorId, clientId],
    );
    return row ?? null;
  }

  async message(messageId: string): Promise<MessageRow | null> {
    const [row] = await this.db.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM chat_messages WHERE id = $1 AND deleted_at IS NULL`, [messageId]);
    return row ?? null;
  }

  /**
   * Takes the room's next sequence number (the room row's lock orders concurrent senders), stores
   * the message, and stamps the first staff response of a support chat. Runs in the caller's transaction.
   */
  async insertMessage(input: { roomId: string; authorId: string; clientId: string; body: string; html: string; staffReply: boolean }): Promise<MessageRow> {
    const [room] = await this.db.query<{ last_seq: string }>(
      `UPDATE chat_rooms SET last_seq = last_seq + 1, last_message_at = now(),
              first_response_at = CASE WHEN $2 AND first_response_at IS NULL THEN now() ELSE first_response_at END
        WHERE id = $1 RETURNING last_seq`,
      [input.roomId, input.staffReply],
    );
    const [row] = await this.db.query<MessageRow>(
      `INSERT INTO chat_messages (room_id, seq, author_id, client_id, body, html) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${MESSAGE_COLUMNS}`,
      [input.roomId, room.last_seq, input.authorId, input.clientId, input.body, input.html],
    );
    return row;
  }

  async updateMessage(messageId: string, body: string, html: string): Promise<MessageRow | null> {
    const [row] = await this.db.query<MessageRow>(
      `UPDATE chat_messages SET body = $2, html = $3, edited_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING ${MESSAGE_COLUMNS}`,
      [messageId, body, html],
    );
    return row ?? null;
  }

  async deleteMessage(messageId: string): Promise<boolean> {
    const { affected } = await this.db.execute('UPDATE chat_messages SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL', [messageId]);
    return affected > 0;
  }

  async setHidden(messageId: string, hidden: boolean): Promise<MessageRow | null> {
    const [row] = await this.db.query<MessageRow>(
      `UPDATE chat_messages SET hidden = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING ${MESSAGE_COLUMNS}`,
      [messageId, hidden],
    );
    return row ?? null;
  }

  /** A page of a room's history, newest first; hidden messages only for their author (or everyone when `withHidden`). */
  async history(roomId: string, viewerId: string, withHidden: boolean, beforeSeq: string | null, limit: number): Promise<MessageRow[]> {
    const params: unknown[] = [roomId, viewerId, withHidden, limit + 1];
    let keyset = '';
    if (beforeSeq !== null) {
      params.push(beforeSeq);
      keyset = 'AND seq < $5::bigint';
    }
    return this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM chat_messages
        WHERE room_id = $1 AND deleted_at IS NULL AND (NOT hidden OR $3 OR author_id = $2::uuid) ${keyset}
        ORDER BY seq DESC LIMIT $4`,
      params,
    );
  }

  /** Moves the member's read mark forward (never back); joins a public room's read state on first use. */
  async markRead(roomId: string, userId: string, seq: string): Promise<void> {
    await this.db.query(
      `INSERT INTO chat_room_members (room_id, user_id, last_read_seq) VALUES ($1, $2, $3)
       ON CONFLICT (room_id, user_id) DO UPDATE SET last_read_seq = GREATEST(chat_room_members.last_read_seq, EXCLUDED.last_read_seq)`,
      [roomId, userId, seq],
    );
  }
}
