import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Edits with history and housekeeping (issue 20).
 * - thread_revisions: a thread's title, tags and SKUs as they were before each edit (post bodies keep
 *   theirs in post_revisions); revision n holds the values that edit n replaced, editor_id who made it.
 * - Partial indexes for the housekeeping sweeps, so each batch reads only what it deletes however large
 *   the tables grow: unattached uploads by age, and succeeded outbox deliveries by when they succeeded.
 */
export class Edits1764175000000 implements MigrationInterface {
  name = 'Edits1764175000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE thread_revisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        thread_id uuid NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        revision int NOT NULL,
        title varchar(200) NOT NULL,
        tags text[] NOT NULL,
        product_skus text[] NOT NULL,
        editor_id uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (thread_id, revision)
      )`);
    await q.query(`CREATE INDEX attachments_unattached_idx ON attachments (created_at) WHERE post_id IS NULL`);
    await q.query(`CREATE INDEX event_deliveries_done_idx ON event_deliveries (done_at) WHERE status = 'done'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX event_deliveries_done_idx`);
    await q.query(`DROP INDEX attachments_unattached_idx`);
    await q.query(`DROP TABLE thread_revisions`);
  }
}
