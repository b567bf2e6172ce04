import { mkdirSync } from 'node:fs';
import { Extension, PGlite } from '@electric-sql/pglite';
import { DataSource, DataSourceOptions, EntitySchema, MigrationExecutor, MixedList, QueryRunner } from 'typeorm';
import type { Logger } from 'pino';
import { createPgliteDriver } from './pglite-driver';
import { MIGRATIONS } from '../../../migrations';

export interface DatabaseHandle {
  dataSource: DataSource;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
  /** Embedded only: the whole data directory as a tarball (the tests keep a migrated one to start from). */
  dump?(): Promise<Blob>;
}

// Required, not imported: TypeScript's `node` module resolution does not read the package's exports map (Node does).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: Extension };

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Entities = MixedList<Function | string | EntitySchema>;

/**
 * Opens PostgreSQL when `databaseUrl` is set, otherwise embedded PostgreSQL (PGlite) in `dataDir`
 * (`memory://` keeps it in memory, as the tests do). Both get the same entities and migrations.
 */
export async function openDatabase(opts: {
  databaseUrl: string | null;
  dataDir: string;
  entities: Entities;
  poolSize?: number;
  /** Embedded only: start from this data directory (a `dump()`), e.g. one already migrated. */
  loadDataDir?: Blob;
}): Promise<DatabaseHandle> {
  const common = {
    type: 'postgres' as const,
    entities: opts.entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    installExtensions: false,
  };
  if (opts.databaseUrl) {
    const dataSource = new DataSource({
      ...common,
      url: opts.databaseUrl,
      poolSize: opts.poolSize ?? 10,
      extra: { idleTimeoutMillis: 30_000 },
    } as DataSourceOptions);
    await dataSource.initialize();
    return {
      dataSource,
      kind: 'postgres',
      close: async () => {
        if (dataSource.isInitialized) await dataSource.destroy();
      },
    };
  }
  const inMemory = opts.dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(opts.dataDir, { recursive: true });
  const pglite = await PGlite.create(inMemory ? undefined : `${opts.dataDir}/pg`, {
    // Same value shapes as node-postgres: int8 and numeric as strings.
    parsers: { 20: (v: string) => v, 1700: (v: string) => v },
    // Trigram matching for search suggestions (the migrations run CREATE EXTENSION pg_trgm).
    extensions: { pg_trgm },
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  const dataSource = new DataSource({
    ...common,
    driver: createPgliteDriver(pglite),
    database: 'postgres',
    schema: 'public',
  } as DataSourceOptions);
  await dataSource.initialize();
  return {
    dataSource,
    kind: 'pglite',
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      if (!pglite.closed) await pglite.close();
    },
    dump: () => pglite.dumpDataDir('none'),
  };
}

/** Runs pending migrations; on PostgreSQL under an advisory lock so several instances can start at once. */
export async function runMigrations(dataSource: DataSource, logger?: Logger): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(727274)');
    try {
      const ran = await runMigrationsWith(dataSource, runner);
      if (ran.length) logger?.info({ migrations: ran }, 'migrations applied');
    } finally {
      await runner.query('SELECT pg_advisory_unlock(727274)');
    }
  } finally {
    await runner.release();
  }
}

async function runMigrationsWith(dataSource: DataSource, runner: QueryRunner) {
  // Migrations run on the session that holds the lock (on PGlite it is the only session).
  const executor = new MigrationExecutor(dataSource, runner);
  executor.transaction = 'each';
  const migrations = await executor.executePendingMigrations();
  return migrations.map((m) => m.name);
}
