import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Members whose account was deleted (`user.deleted`), as insights knows them: an event about one of
 * them that arrives after the deletion (an outbox straggler, such as loyalty's points for a reply
 * made just before) adds nothing to their (deleted) profile and active days, whatever the order in
 * which the consumer sees the two; so the live tables and the rebuild agree. Derived from the events
 * like every insights table (the rebuild refills it).
 */
export class InsightsForgotten1764210000000 implements MigrationInterface {
  name = 'InsightsForgotten1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE insights_forgotten_users (user_id uuid PRIMARY KEY)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE insights_forgotten_users`);
  }
}
