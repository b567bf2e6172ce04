import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which thread documents changed, and by which transaction (issue 19, speed): the search module's
 * in-memory ranking of thread documents (src/search/memory) keeps a copy of search_threads per
 * community and, before each search, reads what changed since its last look.
 *
 * One row per thread (upserted by a trigger on search_threads, in the writer's transaction), holding the
 * id of the last transaction that changed it (xid8). A reader asks for the rows whose xid is at least the
 * oldest transaction still running at its previous look (pg_snapshot_xmin), so a transaction that
 * commits late is never missed. A separate table, not a column of search_threads: an indexed column
 * that changes on every reply would make those updates non-HOT and write every index of search_threads
 * (its GIN documents included). Rows of deleted threads stay (a few bytes each) so readers learn of the
 * deletion.
 */
export class SearchThreadChanges1764230000000 implements MigrationInterface {
  name = 'SearchThreadChanges1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE search_thread_changes (
        thread_id uuid PRIMARY KEY,
        community_id uuid NOT NULL,
        xid xid8 NOT NULL
      )`);
    await q.query(`CREATE INDEX search_thread_changes_community_idx ON search_thread_changes (community_id, xid)`);
    await q.query(`
      CREATE FUNCTION search_thread_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        row search_threads%ROWTYPE;
      BEGIN
        IF TG_OP = 'DELETE' THEN row := OLD; ELSE row := NEW; END IF;
        INSERT INTO search_thread_changes (thread_id, community_id, xid)
        VALUES (row.thread_id, row.community_id, pg_current_xact_id())
        ON CONFLICT (thread_id) DO UPDATE SET community_id = EXCLUDED.community_id, xid = EXCLUDED.xid
          WHERE (search_thread_changes.community_id, search_thread_changes.xid) IS DISTINCT FROM (EXCLUDED.community_id, EXCLUDED.xid);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER search_thread_changes_track AFTER INSERT OR UPDATE OR DELETE ON search_threads
        FOR EACH ROW EXECUTE FUNCTION search_thread_changed()`);
    await q.query(`
      INSERT INTO search_thread_changes (thread_id, community_id, xid)
      SELECT thread_id, community_id, pg_current_xact_id() FROM search_threads`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER search_thread_changes_track ON search_threads`);
    await q.query(`DROP FUNCTION search_thread_changed()`);
    await q.query(`DROP TABLE search_thread_changes`);
  }
}
