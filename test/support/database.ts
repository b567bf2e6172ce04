import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openDatabase, runMigrations } from '../../src/core/database/data-source';
import { ENTITIES } from '../../src/core/database/entities';
import { migrationsHash } from './embedded-template';

/**
 * Creates a PostgreSQL database next to the one DATABASE_URL names; returns its URL and a dropper.
 * Empty, or with `template` a copy of that database (see migratedTemplate).
 */
export async function createScratchDatabase(baseUrl: string, prefix = 'hearth_test', template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  return {
    url: databaseUrl(baseUrl, name),
    drop: async () => {
      const c = new Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

function databaseUrl(baseUrl: string, name: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A database with every migration applied, for the tests to copy (CREATE DATABASE ... TEMPLATE, a file
 * copy, instead of running the migrations for every app a spec starts). Named by a hash of the
 * migrations' sources, so an edited or added migration makes a new one; made once, under an advisory
 * lock, by whichever Jest worker needs it first. Nothing connects to it after it is made (a template
 * with sessions cannot be copied).
 */
export async function migratedTemplate(baseUrl: string): Promise<string> {
  const name = `hearth_template_${migrationsHash()}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(727275)');
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!found.rowCount) {
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const database = await openDatabase({ databaseUrl: databaseUrl(baseUrl, building), dataDir: 'memory://', entities: ENTITIES, poolSize: 1 });
      try {
        await runMigrations(database.dataSource);
      } finally {
        await database.close();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(727275)').catch(() => undefined);
    await admin.end();
  }
  return name;
}
