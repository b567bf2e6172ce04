import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search in tiers (see ThreadsService.search): the community's newest posts are found by intersecting
 * the full-text index with a range of this index, so a search's cost follows the recent posts rather
 * than the whole history; FAQ posts are found through their own small partial index.
 */
export class SearchTiers1764080000000 implements MigrationInterface {
  name = 'SearchTiers1764080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX posts_community_created_idx ON posts (community_id, created_at)`);
    await q.query(`CREATE INDEX posts_faq_idx ON posts (community_id) WHERE faq_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX posts_faq_idx`);
    await q.query(`DROP INDEX posts_community_created_idx`);
  }
}
