import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Insights roll-ups for the dashboard (issue 17, speed): both derived from the existing rows here and
 * kept by the `insights` consumer from then on (and rebuilt by `npm run insights:rebuild`).
 *
 * - insights_communities.members_a/b/c: how many profiles the community has in each segment (new
 *   profiles count in C; the daily job moves them; a deleted account leaves), so the dashboard's
 *   segment counts read one row instead of counting every profile.
 * - insights_activity_blocks: each member's contribution and active days per aligned block of 2^level
 *   days (level 3..6: 8 to 64 days; block = days since 1970-01-01 >> level). Any range of days is a
 *   few such blocks plus at most 7 single days at each end (insights_activity), so the range's most
 *   engaged members sum a few rows per member instead of one per active day (2 and 4-day blocks would
 *   save few rows for their cost to the consumer). The key includes the sums, so
 *   the dashboard reads only the index.
 */
export class InsightsRollups1764192000000 implements MigrationInterface {
  name = 'InsightsRollups1764192000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE insights_communities
        ADD COLUMN members_a int NOT NULL DEFAULT 0,
        ADD COLUMN members_b int NOT NULL DEFAULT 0,
        ADD COLUMN members_c int NOT NULL DEFAULT 0`);
    await q.query(`
      INSERT INTO insights_communities (community_id) SELECT DISTINCT community_id FROM insights_profiles ON CONFLICT (community_id) DO NOTHING`);
    await q.query(`
      UPDATE insights_communities c SET members_a = n.a, members_b = n.b, members_c = n.c
        FROM (SELECT community_id, count(*) FILTER (WHERE segment = 'A')::int AS a, count(*) FILTER (WHERE segment = 'B')::int AS b,
                     count(*) FILTER (WHERE segment = 'C')::int AS c
                FROM insights_profiles GROUP BY 1) n
       WHERE c.community_id = n.community_id`);

    await q.query(`
      CREATE TABLE insights_activity_blocks (
        community_id uuid NOT NULL,
        level int NOT NULL CHECK (level BETWEEN 3 AND 6),
        block int NOT NULL,
        user_id uuid NOT NULL,
        contribution int NOT NULL,
        days int NOT NULL,
        PRIMARY KEY (community_id, level, block, user_id) INCLUDE (contribution, days)
      )`);
    await q.query(`
      INSERT INTO insights_activity_blocks (community_id, level, block, user_id, contribution, days)
      SELECT a.community_id, l.level, (a.day - DATE '1970-01-01') >> l.level, a.user_id, sum(a.contribution), count(*)
        FROM insights_activity a CROSS JOIN generate_series(3, 6) AS l(level)
       GROUP BY 1, 2, 3, 4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE insights_activity_blocks');
    await q.query('ALTER TABLE insights_communities DROP COLUMN members_a, DROP COLUMN members_b, DROP COLUMN members_c');
  }
}
