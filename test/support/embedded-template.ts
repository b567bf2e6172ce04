import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseHandle, openDatabase, runMigrations } from '../../src/core/database/data-source';
import { ENTITIES } from '../../src/core/database/entities';

/**
 * Embedded databases for the tests, started from a migrated template: a fresh PGlite spends seconds on
 * the migrations, and most specs start several apps. The template is the data directory right after the
 * migrations (nothing else: the app adds its admin and the rest as on any start), kept in the temp
 * directory under a hash of the migrations' sources, so an edited or added migration makes a new one.
 * The app still runs its migrations on it (none pending), as it does on a real start.
 */
const MIGRATIONS_DIR = join(__dirname, '..', '..', 'migrations');

/** A hash of the migrations' sources: what names a template (here and in ./database for PostgreSQL). */
export function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
    hash.update(name);
    hash.update(readFileSync(join(MIGRATIONS_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Also named by PGlite's version: a data directory belongs to the PostgreSQL build that wrote it. */
function templatePath(): string {
  const pglite = readFileSync(join(__dirname, '..', '..', 'node_modules', '@electric-sql', 'pglite', 'package.json'));
  const version = createHash('sha256').update(pglite).digest('hex').slice(0, 8);
  return join(tmpdir(), `hearth-pglite-template-${migrationsHash()}-${version}.tar`);
}

export async function openEmbeddedFromTemplate(): Promise<DatabaseHandle> {
  const path = templatePath();
  if (existsSync(path)) {
    const blob = new Blob([readFileSync(path)]);
    return openDatabase({ databaseUrl: null, dataDir: 'memory://', entities: ENTITIES, loadDataDir: blob });
  }
  const database = await openDatabase({ databaseUrl: null, dataDir: 'memory://', entities: ENTITIES });
  await runMigrations(database.dataSource);
  const dump = await database.dump!();
  // Written aside and renamed: two Jest workers may race to make it; either copy is the same.
  const partial = `${path}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, path);
  return database;
}
