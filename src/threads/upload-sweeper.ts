import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { PeriodicJob, inBatches } from '../core/jobs/periodic-job';
import { LOGGER } from '../core/logging/logger';

/**
 * Housekeeping of uploads (issue 20): an image uploaded but never attached to a post is removed after
 * UNATTACHED_UPLOAD_HOURS (24), its row and its file under UPLOAD_DIR, every
 * UPLOAD_SWEEP_INTERVAL_SECONDS (3600; 0: only when called).
 *
 * Safe with any number of instances at once: each batch is one DELETE of at most BATCH rows picked with
 * FOR UPDATE SKIP LOCKED, so concurrent sweepers take disjoint rows, and a row attached meanwhile
 * (attach() locks it first, or the DELETE re-checks `post_id IS NULL`) is kept. Each batch commits on
 * its own, so a large backlog never holds one long transaction. A file is unlinked only by the sweeper
 * whose DELETE removed its row, after that commit: a crash in between leaves a file with no row (never a
 * row with no file), which nothing serves.
 */
@Injectable()
export class UploadSweeper extends PeriodicJob {
  static readonly BATCH = 200;
  /** A run stops after this many batches; the next run goes on. */
  static readonly MAX_BATCHES = 50;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super(logger, 'upload sweep', config.uploadSweepIntervalSeconds);
  }

  /** One run (never two at once in this process); returns how many uploads were removed. */
  sweep(now = new Date()): Promise<number> {
    return this.run(now);
  }

  protected async pass(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.unattachedUploadHours * 3_600_000);
    const removed = await inBatches(UploadSweeper.BATCH, UploadSweeper.MAX_BATCHES, async () => (await this.sweepBatch(cutoff)).length);
    if (removed) this.logger.info({ removed }, 'unattached uploads removed');
    return removed;
  }

  /**
   * One batch: removes up to `limit` uploads attached to no post and created before `cutoff`, then their
   * files; returns the file names this call removed. Public so tests can run sweepers side by side.
   */
  async sweepBatch(cutoff: Date, limit = UploadSweeper.BATCH): Promise<string[]> {
    const rows = await this.db.query<{ file_name: string }>(
      // A materialized CTE runs once: a LIMIT ... FOR UPDATE subquery in the DELETE's WHERE could be rescanned and take more rows.
      `WITH batch AS MATERIALIZED (
         SELECT id FROM attachments WHERE post_id IS NULL AND created_at < $1
          ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       DELETE FROM attachments a USING batch
        WHERE a.id = batch.id AND a.post_id IS NULL
       RETURNING a.file_name`,
      [cutoff, limit],
    );
    for (const { file_name } of rows) {
      await unlink(join(this.config.uploadDir, file_name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') this.logger.warn({ err, file: file_name }, 'could not remove an unattached upload file');
      });
    }
    return rows.map((r) => r.file_name);
  }
}
