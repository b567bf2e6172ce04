import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { LOGGER } from '../core/logging/logger';

/** Communities this instance posted in are trimmed this often, so each pass deletes only a few seconds of posts. */
const TRIM_EVERY_MS = 5_000;
/** Every community, whoever posted there (other instances, bulk loads), this often and at start. */
const PRUNE_ALL_EVERY_MS = 5 * 60_000;

/**
 * Keeps search's recent tier (the search_recent table, filled by a trigger on posts) at each
 * community's newest SEARCH_RECENT_POSTS posts. Small frequent passes over the communities this
 * instance posted in keep the deletes small and even (one big pass a minute would stall replies
 * at a thousand a second); a pass over all communities runs at start and every five minutes.
 * Several instances may prune at once; the deletes are idempotent.
 */
@Injectable()
export class SearchRecentPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<number> | null = null;
  private dirty = new Set<string>();

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    const run = (all: boolean) => () => void (all ? this.prune() : this.trimPosted()).catch((err) => this.logger.error({ err }, 'search_recent prune failed'));
    this.timers = [setInterval(run(false), TRIM_EVERY_MS), setInterval(run(true), PRUNE_ALL_EVERY_MS)];
    for (const timer of this.timers) timer.unref();
    setImmediate(run(true));
  }

  async onApplicationShutdown() {
    for (const timer of this.timers) clearInterval(timer);
    await this.running?.catch(() => undefined);
  }

  /** A post went into the community's recent tier on this instance: trim it on the next pass. */
  posted(communityId: string) {
    this.dirty.add(communityId);
  }

  /** Trims the communities posted in since the last pass; returns how many entries left the tier. */
  trimPosted(): Promise<number> {
    return this.exclusive(async () => {
      const communities = [...this.dirty];
      this.dirty = new Set();
      let removed = 0;
      for (const id of communities) {
        const [row] = await this.db.query<{ removed: string }>('SELECT search_recent_trim($1, $2) AS removed', [id, this.config.searchRecentPosts]);
        removed += Number(row.removed);
      }
      return removed;
    });
  }

  /** Trims every community; returns how many entries left the tier. */
  prune(): Promise<number> {
    return this.exclusive(async () => {
      const [row] = await this.db.query<{ removed: string }>('SELECT search_recent_prune($1) AS removed', [this.config.searchRecentPosts]);
      return Number(row.removed);
    });
  }

  /** One pass at a time in this process. */
  private async exclusive(pass: () => Promise<number>): Promise<number> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
