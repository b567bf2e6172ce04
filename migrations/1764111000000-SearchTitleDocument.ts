import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A stored title vector for search_threads (issue 19, speed): `in=title` and suggestions match and rank
 * titles without running to_tsvector on every candidate row, which the expression index of
 * SearchIndex1764110000000 could only find, not give back. Costs about 100 bytes per thread and the same
 * GIN index as before; written only when a title changes.
 */
export class SearchTitleDocument1764111000000 implements MigrationInterface {
  name = 'SearchTitleDocument1764111000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE search_threads ADD COLUMN title_document tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED`);
    await q.query(`DROP INDEX search_threads_title_idx`);
    await q.query(`CREATE INDEX search_threads_title_document_idx ON search_threads USING gin (title_document)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX search_threads_title_document_idx`);
    await q.query(`ALTER TABLE search_threads DROP COLUMN title_document`);
    await q.query(`CREATE INDEX search_threads_title_idx ON search_threads USING gin (to_tsvector('english', title))`);
  }
}
