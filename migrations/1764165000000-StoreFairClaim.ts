import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Store webhooks claim due deliveries community by community (a slow receiver's backlog must not
 * crowd other communities out of a claim), so the due index leads with the community.
 */
export class StoreFairClaim1764165000000 implements MigrationInterface {
  name = 'StoreFairClaim1764165000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX store_deliveries_due_community_idx ON store_deliveries (community_id, next_attempt_at) WHERE status = 'pending'`);
    await q.query(`DROP INDEX store_deliveries_due_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX store_deliveries_due_idx ON store_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`DROP INDEX store_deliveries_due_community_idx`);
  }
}
