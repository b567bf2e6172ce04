import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { Delivery, DigestFrequency, WatchLevel } from './notification-types';

export interface NotificationRow {
  id: string;
  recipient_id: string;
  type: string;
  community_id: string;
  actor_id: string | null;
  thread_id: string | null;
  post_id: string | null;
  room_id: string | null;
  title: string;
  excerpt: string;
  url: string;
  count: number;
  amount: number;
  collapse_key: string | null;
  created_at: Date;
  updated_at: Date;
  read_at: Date | null;
  emailed_at: Date | null;
  /** PostgreSQL's own text of updated_at (microseconds), for cursors. */
  k?: string;
}

export interface NewNotification {
  recipientId: string;
  type: string;
  communityId: string;
  actorId: string | null;
  threadId: string | null;
  postId: string | null;
  roomId: string | null;
  /** The title of a single notification. */
  title: string;
  /** The title once collapsed: `{count}` and `{amount}` are replaced by the totals. */
  titleMany: string;
  excerpt: string;
  url: string;
  amount: number;
  collapseKey: string | null;
  sourceEventId: string;
  at: Date;
}

export interface PreferencesRow {
  user_id: string;
  types: Partial<Record<string, Delivery>>;
  digest_frequency: DigestFrequency;
  last_digest_at: Date | null;
}

const COLUMNS = `id, recipient_id, type, community_id, actor_id, thread_id, post_id, room_id, title, excerpt, url, count, amount,
  collapse_key, created_at, updated_at, read_at, emailed_at, updated_at::text AS k`;

/** The notifications module's SQL: notifications, levels and preferences (the email queue is in email-queue.repository.ts). */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly db: Db) {}

  /** Inserts the notification, or folds it into the recipient's unread one with the same collapse key. */
  async upsert(n: NewNotification): Promise<NotificationRow> {
    const [row] = await this.db.query<NotificationRow>(
      `INSERT INTO notifications (recipient_id, type, community_id, actor_id, thread_id, post_id, room_id, title, excerpt, url, amount,
                                  collapse_key, source_event_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
       ON CONFLICT (recipient_id, collapse_key) WHERE read_at IS NULL AND collapse_key IS NOT NULL DO UPDATE SET
         count = notifications.count + 1,
         amount = notifications.amount + EXCLUDED.amount,
         title = replace(replace($15::text, '{count}', (notifications.count + 1)::text), '{amount}', (notifications.amount + EXCLUDED.amount)::text),
         actor_id = EXCLUDED.actor_id, post_id = EXCLUDED.post_id, excerpt = EXCLUDED.excerpt, url = EXCLUDED.url,
         source_event_id = EXCLUDED.source_event_id, updated_at = EXCLUDED.updated_at, digested_at = NULL
       RETURNING ${COLUMNS}`,
      [n.recipientId, n.type, n.communityId, n.actorId, n.threadId, n.postId, n.roomId, n.title, n.excerpt, n.url, n.amount,
        n.collapseKey, n.sourceEventId, n.at, n.titleMany],
    );
    return row;
  }

  async list(recipientId: string, unread: boolean, after: [string, string] | null, limit: number): Promise<NotificationRow[]> {
    return this.db.query<NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications
        WHERE recipient_id = $1 AND ($2::boolean IS NOT TRUE OR read_at IS NULL)
          AND ($3::timestamptz IS NULL OR (updated_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY updated_at DESC, id DESC LIMIT $5`,
      [recipientId, unread, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
  }

  async unreadCount(recipientId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE recipient_id = $1 AND read_at IS NULL', [recipientId]);
    return row.n;
  }

  async byId(id: string): Promise<NotificationRow | null> {
    const [row] = await this.db.query<NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE id = $1`, [id]);
    return row ?? null;
  }

  /** Marks the recipient's unread notifications read (the given ids, or all); returns the ids that changed. */
  async markRead(recipientId: string, ids: string[] | 'all', at: Date): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE notifications SET read_at = $3 WHERE recipient_id = $1 AND read_at IS NULL AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) RETURNING id`,
      [recipientId, ids === 'all' ? null : ids, at],
    );
    return rows.map((r) => r.id);
  }

  async deleteForThread(threadId: string): Promise<void> {
    await this.db.query('DELETE FROM notifications WHERE thread_id = $1', [threadId]);
    await this.db.query(`DELETE FROM notification_levels WHERE target_type = 'thread' AND target_id = $1`, [threadId]);
  }

  /** Notifications about one post only (not those collapsed over several). */
  async deleteForPost(postId: string): Promise<void> {
    await this.db.query('DELETE FROM notifications WHERE post_id = $1 AND count = 1', [postId]);
  }

  async prune(before: Date, limit: number): Promise<number> {
    const { affected } = await this.db.execute(
      'DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE updated_at < $1 LIMIT $2)',
      [before, limit],
    );
    return affected;
  }

  // ---- levels ----

  /** Each user's level on the thread, else on its board (no row: normal). */
  async effectiveLevels(userIds: string[], threadId: string, boardId: string): Promise<Map<string, WatchLevel>> {
    const rows = await this.db.query<{ user_id: string; target_type: string; level: WatchLevel }>(
      `SELECT user_id, target_type, level FROM notification_levels
        WHERE user_id = ANY($1::uuid[]) AND ((target_type = 'thread' AND target_id = $2) OR (target_type = 'board' AND target_id = $3))`,
      [userIds, threadId, boardId],
    );
    const out = new Map<string, WatchLevel>();
    for (const r of rows.filter((r) => r.target_type === 'board')) out.set(r.user_id, r.level);
    for (const r of rows.filter((r) => r.target_type === 'thread')) out.set(r.user_id, r.level);
    return out;
  }

  /** Who watches the thread: watching it, or watching its board without a level of their own on the thread. */
  async threadWatchers(threadId: string, boardId: string): Promise<string[]> {
    const rows = await this.db.query<{ user_id: string }>(
      `SELECT user_id FROM notification_levels WHERE target_type = 'thread' AND target_id = $1 AND level = 'watching'
       UNION
       SELECT b.user_id FROM notification_levels b
        WHERE b.target_type = 'board' AND b.target_id = $2 AND b.level = 'watching'
          AND NOT EXISTS (SELECT 1 FROM notification_levels t WHERE t.user_id = b.user_id AND t.target_type = 'thread' AND t.target_id = $1)`,
      [threadId, boardId],
    );
    return rows.map((r) => r.user_id);
  }

  async boardWatchers(boardId: string): Promise<string[]> {
    const rows = await this.db.query<{ user_id: string }>(
      `SELECT user_id FROM notification_levels WHERE target_type = 'board' AND target_id = $1 AND level = 'watching'`,
      [boardId],
    );
    return rows.map((r) => r.user_id);
  }

  /** Starting or replying watches the thread, unless the member set a level on it or muted its board. */
  async autoWatch(userId: string, threadId: string, boardId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO notification_levels (user_id, target_type, target_id, level, explicit)
       SELECT $1, 'thread', $2, 'watching', false
        WHERE NOT EXISTS (SELECT 1 FROM notification_levels WHERE user_id = $1 AND target_type = 'board' AND target_id = $3 AND level = 'muted')
       ON CONFLICT (user_id, target_type, target_id) DO NOTHING`,
      [userId, threadId, boardId],
    );
  }

  async setLevel(userId: string, targetType: 'thread' | 'board', targetId: string, level: WatchLevel): Promise<void> {
    await this.db.query(
      `INSERT INTO notification_levels (user_id, target_type, target_id, level, explicit) VALUES ($1, $2, $3, $4, true)
       ON CONFLICT (user_id, target_type, target_id) DO UPDATE SET level = EXCLUDED.level, explicit = true, updated_at = now()`,
      [userId, targetType, targetId, level],
    );
  }

  // ---- preferences ----

  async preferences(userIds: string[]): Promise<Map<string, PreferencesRow>> {
    if (!userIds.length) return new Map();
    const rows = await this.db.query<PreferencesRow>(
      'SELECT user_id, types, digest_frequency, last_digest_at FROM notification_preferences WHERE user_id = ANY($1::uuid[])',
      [userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r]));
  }

  async savePreferences(userId: string, types: Record<string, Delivery>, digestFrequency: DigestFrequency | undefined): Promise<PreferencesRow> {
    const [row] = await this.db.query<PreferencesRow>(
      `INSERT INTO notification_preferences (user_id, types, digest_frequency) VALUES ($1, $2::jsonb, COALESCE($3, 'weekly'))
       ON CONFLICT (user_id) DO UPDATE SET types = notification_preferences.types || EXCLUDED.types,
         digest_frequency = COALESCE($3, notification_preferences.digest_frequency), updated_at = now()
       RETURNING user_id, types, digest_frequency, last_digest_at`,
      [userId, JSON.stringify(types), digestFrequency ?? null],
    );
    return row;
  }
}
