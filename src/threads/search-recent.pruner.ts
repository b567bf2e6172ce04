import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { LOGGER } from '../core/logging/logger';

const PRUNE_EVERY_MS = 60_000;

/**
 * Keeps search's recent tier (the search_recent table, filled by a trigger on posts) at each
 * community's newest SEARCH_RECENT_POSTS posts: a pass a minute, and one at start. Several
 * instances may prune at once; the deletes are idempotent.
 */
@Injectable()
export class SearchRecentPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    const run = () => void this.prune().catch((err) => this.logger.error({ err }, 'search_recent prune failed'));
    this.timer = setInterval(run, PRUNE_EVERY_MS);
    this.timer.unref();
    setImmediate(run);
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (never two at once in this process); returns how many entries left the recent tier. */
  prune(): Promise<number> {
    this.running ??= this.db
      .query<{ removed: string }>('SELECT search_recent_prune($1) AS removed', [this.config.searchRecentPosts])
      .then(([row]) => Number(row.removed))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }
}
