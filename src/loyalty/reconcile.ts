/**
 * `npm run loyalty:reconcile`: checks every loyalty account of DATABASE_URL (or the embedded database)
 * against its ledger entries and prints the result as JSON; exits 1 when any account drifts.
 */
import { ConfigError, loadConfig } from '../core/config/config';
import { ENTITIES } from '../core/database/entities';
import { openDatabase } from '../core/database/data-source';
import { Db } from '../core/database/db.service';
import { ReconciliationRepository } from './reconciliation.repository';

async function main(): Promise<number> {
  const config = loadConfig(process.env);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, entities: ENTITIES });
  try {
    const result = await new ReconciliationRepository(new Db(database.dataSource)).check(process.env.COMMUNITY_ID || null);
    process.stdout.write(`${JSON.stringify({ ...result, driftFound: result.drift.length }, null, 2)}\n`);
    return result.drift.length ? 1 : 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : err?.stack ?? err}\n`);
    process.exit(2);
  },
);
