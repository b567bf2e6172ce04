/** `npm run migration:run`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
import { ConfigError, loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import { ENTITIES } from './entities';
import { openDatabase, runMigrations } from './data-source';

async function main() {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, entities: ENTITIES });
  try {
    await runMigrations(db.dataSource, logger);
    logger.info('migrations are up to date');
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err?.stack ?? err}\n`);
  process.exit(1);
});
