import { MigrationInterface, QueryRunner } from 'typeorm';

/** Keys the server makes for itself once per deployment (the cursor-signing key), shared by every instance. */
export class ServerSecrets1764100000000 implements MigrationInterface {
  name = 'ServerSecrets1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE server_secrets (
        name varchar(50) PRIMARY KEY,
        secret varchar(200) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE server_secrets`);
  }
}
