/**
 * `npm run insights:rebuild`: recomputes every insights profile and aggregate of DATABASE_URL (or the
 * embedded database in DATA_DIR) from the events table, with a progress bar; prints a JSON summary.
 */
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError, loadConfig } from '../core/config/config';
import { ENTITIES } from '../core/database/entities';
import { openDatabase } from '../core/database/data-source';
import { Db } from '../core/database/db.service';
import { ApplyRepository } from './apply.repository';
import { RebuildService } from './rebuild.service';

async function main(): Promise<number> {
  const config = loadConfig(process.env);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, entities: ENTITIES });
  const bar = new SingleBar({ format: 'insights rebuild [{bar}] {percentage}% | {value}/{total} events | {duration}s' }, Presets.shades_classic);
  try {
    const db = new Db(database.dataSource);
    const started = Date.now();
    let begun = false;
    const result = await new RebuildService(db, new ApplyRepository(db)).rebuild((done, total) => {
      if (!begun) bar.start(total, 0);
      begun = true;
      bar.update(done);
    });
    bar.stop();
    process.stdout.write(`${JSON.stringify({ events: result.events, seconds: (Date.now() - started) / 1000 })}\n`);
    return 0;
  } finally {
    bar.stop();
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
