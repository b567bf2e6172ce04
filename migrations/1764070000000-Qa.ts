import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Q&A: a thread remembers its board's kind (questions are threads in qa boards), the first staff
 * answer, overdue escalation and duplicates; votes, the acceptance history and the FAQ.
 */
export class Qa1764070000000 implements MigrationInterface {
  name = 'Qa1764070000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE threads ADD COLUMN kind varchar(16) NOT NULL DEFAULT 'discussion'`);
    await q.query(`UPDATE threads t SET kind = b.kind FROM boards b WHERE b.id = t.board_id`);
    await q.query(`
      ALTER TABLE threads
        ADD COLUMN first_staff_answer_at timestamptz,
        ADD COLUMN first_staff_answer_post_id uuid REFERENCES posts(id),
        ADD COLUMN overdue_at timestamptz,
        ADD COLUMN duplicate_of_thread_id uuid REFERENCES threads(id)`);
    await q.query(`ALTER TABLE posts ADD COLUMN faq_at timestamptz`);
    await q.query(`
      CREATE INDEX threads_qa_unanswered_idx ON threads (community_id, created_at, id)
        WHERE kind = 'qa' AND deleted_at IS NULL AND duplicate_of_thread_id IS NULL
          AND first_staff_answer_at IS NULL AND accepted_post_id IS NULL`);
    // Response-time statistics read only this covering index (index-only scans over ~100k questions).
    await q.query(`
      ALTER TABLE threads ADD COLUMN first_response_seconds double precision
        GENERATED ALWAYS AS (EXTRACT(EPOCH FROM (first_staff_answer_at - created_at))::double precision) STORED`);
    await q.query(`
      CREATE INDEX threads_qa_response_idx ON threads (community_id, created_at) INCLUDE (first_response_seconds, board_id)
        WHERE kind = 'qa' AND deleted_at IS NULL`);
    await q.query(`
      CREATE INDEX threads_qa_overdue_idx ON threads (created_at)
        WHERE kind = 'qa' AND deleted_at IS NULL AND first_staff_answer_at IS NULL AND overdue_at IS NULL`);

    await q.query(`
      CREATE TABLE post_votes (
        post_id uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        value smallint NOT NULL CHECK (value IN (-1, 1)),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (post_id, user_id)
      )`);
    await q.query(`
      CREATE TABLE answer_acceptances (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        thread_id uuid NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        post_id uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        previous_post_id uuid REFERENCES posts(id) ON DELETE SET NULL,
        accepted_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX answer_acceptances_thread_idx ON answer_acceptances (thread_id, created_at)`);
    await q.query(`
      CREATE TABLE faq_entries (
        post_id uuid PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
        thread_id uuid NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        created_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX faq_entries_community_idx ON faq_entries (community_id, created_at, post_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE faq_entries, answer_acceptances, post_votes`);
    await q.query(`ALTER TABLE posts DROP COLUMN faq_at`);
    await q.query(`
      ALTER TABLE threads DROP COLUMN first_response_seconds, DROP COLUMN duplicate_of_thread_id, DROP COLUMN overdue_at, DROP COLUMN first_staff_answer_post_id,
        DROP COLUMN first_staff_answer_at, DROP COLUMN kind`);
  }
}
