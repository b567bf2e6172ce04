import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';

export interface EmailRow {
  id: string;
  kind: 'immediate' | 'digest';
  recipient_id: string;
  notification_id: string | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  attempts: number;
  lease_until: Date;
}

export type EmailOutcome = 'sent' | 'dropped' | 'deferred' | 'failed';

/** The email queue: rows written in the consumer's or the digest's transaction, claimed by senders with a lease. */
@Injectable()
export class EmailQueueRepository {
  constructor(private readonly db: Db) {}

  /** One pending email per notification: a notification collapsing further before it is sent is emailed once. */
  async queueImmediate(notificationId: string, recipientId: string, due: Date, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO notification_emails (kind, recipient_id, notification_id, due_at, created_at) VALUES ('immediate', $1, $2, $3, $4)
       ON CONFLICT (notification_id) WHERE status = 'pending' DO NOTHING`,
      [recipientId, notificationId, due, now],
    );
  }

  async queueDigest(recipientId: string, email: { subject: string; text: string; html: string }, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO notification_emails (kind, recipient_id, subject, text_body, html_body, due_at, created_at) VALUES ('digest', $1, $2, $3, $4, $5, $5)`,
      [recipientId, email.subject, email.text, email.html, now],
    );
  }

  /**
   * Claims up to `limit` due emails for `leaseUntil` (SKIP LOCKED: concurrent senders take different rows;
   * the lease: a sender that dies leaves its rows to be taken again once the lease has run out).
   */
  async claim(now: Date, leaseUntil: Date, limit: number): Promise<EmailRow[]> {
    return this.db.transaction(() =>
      this.db.query<EmailRow>(
        `UPDATE notification_emails e SET lease_until = $2, attempts = e.attempts + 1
           FROM (SELECT id FROM notification_emails
                  WHERE status = 'pending' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
                  ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) c
          WHERE e.id = c.id
          RETURNING e.id, e.kind, e.recipient_id, e.notification_id, e.subject, e.text_body, e.html_body, e.attempts, e.lease_until`,
        [now, leaseUntil, limit],
      ),
    );
  }

  /** Settles a claimed email (only while this sender's lease holds it: one taken over meanwhile is left to its new sender). */
  async finish(row: EmailRow, status: EmailOutcome, reason: string | null, now: Date): Promise<boolean> {
    return this.db.transaction(async () => {
      const { affected } = await this.db.execute(
        `UPDATE notification_emails SET status = $3::varchar, reason = $4, sent_at = CASE WHEN $3::varchar = 'sent' THEN $5::timestamptz END, lease_until = NULL
          WHERE id = $1 AND status = 'pending' AND lease_until = $2`,
        [row.id, row.lease_until, status, reason, now],
      );
      if (affected && status === 'sent' && row.notification_id) {
        await this.db.query('UPDATE notifications SET emailed_at = $2 WHERE id = $1', [row.notification_id, now]);
      }
      return affected > 0;
    });
  }

  /** A failed send: tried again after `retryAt`. */
  async retryLater(row: EmailRow, error: string, retryAt: Date): Promise<void> {
    await this.db.query(
      `UPDATE notification_emails SET lease_until = NULL, due_at = $3, last_error = $4 WHERE id = $1 AND status = 'pending' AND lease_until = $2`,
      [row.id, row.lease_until, retryAt, error.slice(0, 500)],
    );
  }

  /** Immediate emails sent to the recipient since `since` (the hourly cap). */
  async sentSince(recipientId: string, since: Date): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notification_emails WHERE recipient_id = $1 AND kind = 'immediate' AND status = 'sent' AND sent_at > $2`,
      [recipientId, since],
    );
    return row.n;
  }

  async pruneSettled(before: Date): Promise<void> {
    await this.db.query(`DELETE FROM notification_emails WHERE status <> 'pending' AND created_at < $1`, [before]);
  }
}
