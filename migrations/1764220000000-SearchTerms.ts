import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What customers search for (the search module's own table): per community and UTC day, each search's
 * text as typed (lowercased, spaces collapsed), how often it was searched and how often it found
 * nothing. No user, session or address: counts only. Rows older than 400 days are pruned.
 * No foreign key to communities: the module owns only this table, and a deleted community's rows are
 * never read again (ids are not reused) and age out.
 */
export class SearchTerms1764220000000 implements MigrationInterface {
  name = 'SearchTerms1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE search_terms_daily (
        community_id uuid NOT NULL,
        day date NOT NULL,
        term text NOT NULL,
        searches int NOT NULL,
        zero_results int NOT NULL,
        PRIMARY KEY (community_id, day, term)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE search_terms_daily`);
  }
}
