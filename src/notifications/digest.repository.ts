import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { DigestFrequency } from './notification-types';
import { NotificationRow } from './notifications.repository';

/** The digest's SQL: who is due one, and their waiting notifications. */
@Injectable()
export class DigestRepository {
  constructor(private readonly db: Db) {}

  /**
   * Recipients due a digest: unread notifications that no email and no digest carried yet, and a
   * period (daily, weekly; default weekly) since their last digest or, before the first, since the oldest such notification.
   */
  async dueRecipients(now: Date, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ recipient_id: string }>(
      `SELECT n.recipient_id FROM notifications n LEFT JOIN notification_preferences p ON p.user_id = n.recipient_id
        WHERE n.read_at IS NULL AND n.emailed_at IS NULL AND n.digested_at IS NULL AND COALESCE(p.digest_frequency, 'weekly') <> 'never'
        GROUP BY n.recipient_id, p.digest_frequency, p.last_digest_at
       HAVING COALESCE(p.last_digest_at, min(n.created_at))
              <= $1::timestamptz - CASE COALESCE(p.digest_frequency, 'weekly') WHEN 'daily' THEN interval '1 day' ELSE interval '7 days' END
        LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.recipient_id);
  }

  /** Locks the recipient's preferences row (made if missing); null when another instance holds it. */
  async lockRecipient(userId: string): Promise<{ digest_frequency: DigestFrequency; last_digest_at: Date | null; types: Record<string, string> } | null> {
    await this.db.query(`INSERT INTO notification_preferences (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`, [userId]);
    const [row] = await this.db.query<{ digest_frequency: DigestFrequency; last_digest_at: Date | null; types: Record<string, string> }>(
      'SELECT digest_frequency, last_digest_at, types FROM notification_preferences WHERE user_id = $1 FOR UPDATE SKIP LOCKED',
      [userId],
    );
    return row ?? null;
  }

  async waiting(userId: string): Promise<NotificationRow[]> {
    return this.db.query<NotificationRow>(
      `SELECT id, recipient_id, type, community_id, actor_id, thread_id, post_id, room_id, title, excerpt, url, count, amount, collapse_key,
              created_at, updated_at, read_at, emailed_at
         FROM notifications WHERE recipient_id = $1 AND read_at IS NULL AND emailed_at IS NULL AND digested_at IS NULL
        ORDER BY updated_at DESC, id DESC LIMIT 500 FOR UPDATE`,
      [userId],
    );
  }

  async markDigested(userId: string, ids: string[], now: Date): Promise<void> {
    await this.db.query('UPDATE notifications SET digested_at = $3 WHERE recipient_id = $1 AND id = ANY($2::uuid[])', [userId, ids, now]);
    await this.db.query('UPDATE notification_preferences SET last_digest_at = $2 WHERE user_id = $1', [userId, now]);
  }
}
