import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Db } from '../database/db.service';
import { PeriodicJob, inBatches } from '../jobs/periodic-job';
import { LOGGER } from '../logging/logger';

/**
 * Housekeeping of the outbox (issue 20): deliveries that succeeded (`done`) more than
 * OUTBOX_RETENTION_DAYS (7) ago are deleted, every OUTBOX_PRUNE_INTERVAL_SECONDS (3600; 0: only when
 * called). Pending and failed deliveries stay (retries, inspection and replay need them), and so do the
 * events themselves: consumers such as insights rebuild from them, and each consumer keeps its own
 * record of what it handled, so a pruned delivery row is never handed out again.
 *
 * Safe with any number of instances at once: each batch is one DELETE of at most BATCH rows picked with
 * FOR UPDATE SKIP LOCKED (concurrent pruners take disjoint rows) and commits on its own, so a huge
 * backlog never holds one long transaction or blocks the dispatcher.
 */
@Injectable()
export class OutboxPruner extends PeriodicJob {
  static readonly BATCH = 1000;
  /** A run stops after this many batches; the next run goes on. */
  static readonly MAX_BATCHES = 200;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super(logger, 'outbox prune', config.outboxPruneIntervalSeconds);
  }

  /** One run (never two at once in this process); returns how many deliveries were deleted. */
  prune(now = new Date()): Promise<number> {
    return this.run(now);
  }

  protected async pass(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.outboxRetentionDays * 86_400_000);
    const pruned = await inBatches(OutboxPruner.BATCH, OutboxPruner.MAX_BATCHES, () => this.pruneBatch(cutoff));
    if (pruned) this.logger.info({ pruned }, 'succeeded outbox deliveries pruned');
    return pruned;
  }

  /** One batch: deletes up to `limit` deliveries done before `cutoff`; returns how many this call deleted. */
  async pruneBatch(cutoff: Date, limit = OutboxPruner.BATCH): Promise<number> {
    const { affected } = await this.db.execute(
      // A materialized CTE runs once, so the batch is never more than `limit` rows (see UploadSweeper.sweepBatch).
      `WITH old AS MATERIALIZED (
         SELECT event_id, consumer FROM event_deliveries
          WHERE status = 'done' AND done_at < $1
          ORDER BY done_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       DELETE FROM event_deliveries d USING old
        WHERE d.event_id = old.event_id AND d.consumer = old.consumer AND d.status = 'done'`,
      [cutoff, limit],
    );
    return affected;
  }
}
