import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Points earned per loyalty rule per day, for the staff dashboard: insights_daily_keys gets a third
 * kind, `points_rule` (key: the rule, n: the points), kept by the consumer from `points.earned` and
 * refilled for the past by `npm run insights:rebuild`.
 */
export class InsightsPointsByRule1764225000000 implements MigrationInterface {
  name = 'InsightsPointsByRule1764225000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE insights_daily_keys DROP CONSTRAINT insights_daily_keys_kind_check`);
    await q.query(`ALTER TABLE insights_daily_keys ADD CONSTRAINT insights_daily_keys_kind_check CHECK (kind IN ('sku', 'tag', 'points_rule'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM insights_daily_keys WHERE kind = 'points_rule'`);
    await q.query(`ALTER TABLE insights_daily_keys DROP CONSTRAINT insights_daily_keys_kind_check`);
    await q.query(`ALTER TABLE insights_daily_keys ADD CONSTRAINT insights_daily_keys_kind_check CHECK (kind IN ('sku', 'tag'))`);
  }
}
