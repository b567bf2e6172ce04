import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rewards can be switched off (issue 24's admin page): a disabled reward is no longer listed to
 * members nor redeemable; its codes and past redemptions stay. Null: enabled.
 */
export class RewardsDisabled1764205000000 implements MigrationInterface {
  name = 'RewardsDisabled1764205000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE loyalty_rewards ADD COLUMN disabled_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE loyalty_rewards DROP COLUMN disabled_at`);
  }
}
