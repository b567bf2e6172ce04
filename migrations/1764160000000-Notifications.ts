import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications (issue 18): what each member was told (collapsible while unread), the levels members
 * set on threads and boards, their preferences, and the email queue the senders work from.
 * Thread, post and room ids are not foreign keys: those tables belong to other modules, and the
 * notifications module removes its rows itself when their thread is deleted (post.deleted).
 */
export class Notifications1764160000000 implements MigrationInterface {
  name = 'Notifications1764160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        recipient_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type varchar(32) NOT NULL,
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        actor_id uuid REFERENCES users(id) ON DELETE SET NULL,
        thread_id uuid,
        post_id uuid,
        room_id uuid,
        title varchar(300) NOT NULL,
        excerpt varchar(400) NOT NULL DEFAULT '',
        url varchar(500) NOT NULL,
        count int NOT NULL DEFAULT 1,
        amount int NOT NULL DEFAULT 0,
        collapse_key varchar(200),
        source_event_id bigint NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        read_at timestamptz,
        emailed_at timestamptz,
        digested_at timestamptz
      )`);
    // Collapsing is one upsert: at most one unread notification per (recipient, collapse key).
    await q.query(`CREATE UNIQUE INDEX notifications_collapse_idx ON notifications (recipient_id, collapse_key) WHERE read_at IS NULL AND collapse_key IS NOT NULL`);
    await q.query(`CREATE INDEX notifications_list_idx ON notifications (recipient_id, updated_at DESC, id DESC)`);
    await q.query(`CREATE INDEX notifications_unread_idx ON notifications (recipient_id, updated_at DESC, id DESC) WHERE read_at IS NULL`);
    await q.query(`CREATE INDEX notifications_thread_idx ON notifications (thread_id) WHERE thread_id IS NOT NULL`);
    await q.query(`CREATE INDEX notifications_age_idx ON notifications (updated_at)`);

    await q.query(`
      CREATE TABLE notification_levels (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        target_type varchar(8) NOT NULL CHECK (target_type IN ('thread', 'board')),
        target_id uuid NOT NULL,
        level varchar(16) NOT NULL CHECK (level IN ('watching', 'tracking', 'normal', 'muted')),
        explicit boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, target_type, target_id)
      )`);
    await q.query(`CREATE INDEX notification_levels_target_idx ON notification_levels (target_type, target_id, level)`);

    await q.query(`
      CREATE TABLE notification_preferences (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        types jsonb NOT NULL DEFAULT '{}',
        digest_frequency varchar(8) NOT NULL DEFAULT 'weekly' CHECK (digest_frequency IN ('daily', 'weekly', 'never')),
        last_digest_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // Rows are written in the consumer's (or the digest's) transaction; senders claim them with a lease.
    await q.query(`
      CREATE TABLE notification_emails (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind varchar(12) NOT NULL CHECK (kind IN ('immediate', 'digest')),
        recipient_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        notification_id uuid REFERENCES notifications(id) ON DELETE CASCADE,
        subject varchar(300),
        text_body text,
        html_body text,
        status varchar(12) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dropped', 'deferred', 'failed')),
        due_at timestamptz NOT NULL,
        lease_until timestamptz,
        attempts int NOT NULL DEFAULT 0,
        last_error varchar(500),
        reason varchar(40),
        created_at timestamptz NOT NULL,
        sent_at timestamptz
      )`);
    await q.query(`CREATE INDEX notification_emails_due_idx ON notification_emails (due_at) WHERE status = 'pending'`);
    // One pending immediate email per notification (a collapsed notification is emailed once).
    await q.query(`CREATE UNIQUE INDEX notification_emails_one_pending_idx ON notification_emails (notification_id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX notification_emails_sent_idx ON notification_emails (recipient_id, sent_at) WHERE kind = 'immediate' AND status = 'sent'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_emails`);
    await q.query(`DROP TABLE notification_preferences`);
    await q.query(`DROP TABLE notification_levels`);
    await q.query(`DROP TABLE notifications`);
  }
}
