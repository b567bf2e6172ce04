import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { LOGGER } from '../core/logging/logger';
import { CommunitiesService } from '../communities/communities.service';
import { dayOf } from './event-effects';
import { InsightsClock } from './insights.clock';
import { addDays, InsightsRepository } from './insights.repository';

const CHECK_EVERY_MS = 10 * 60_000;

/** A member's segment by the rule in the README: A core, B regular, C at risk or dormant. */
export function segmentOf(d30: number, c30: number, coreDays: number, threshold: number | null): 'A' | 'B' | 'C' {
  if (d30 >= coreDays || (threshold !== null && c30 > 0 && c30 >= threshold)) return 'A';
  return d30 > 0 ? 'B' : 'C';
}

/**
 * The daily job: segments and churn risk of every member (events for the changes), the segment
 * counts of the day, and the WAU/MAU roll-up of the days before. Checked every 10 minutes; each
 * community runs once per day (by the insights clock) on whichever instance claims it first.
 */
@Injectable()
export class SegmentsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly db: Db,
    private readonly repo: InsightsRepository,
    private readonly events: EventsService,
    private readonly communities: CommunitiesService,
    private readonly clock: InsightsClock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      this.running ??= this.runDaily()
        .catch((err) => this.logger.error({ err }, 'insights daily job failed'))
        .finally(() => (this.running = null));
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Every community not yet done today (`force`: again even if done). Returns the members changed. */
  async runDaily(force = false): Promise<number> {
    let changed = 0;
    for (const id of await this.repo.communityIds()) changed += await this.runCommunity(id, force);
    return changed;
  }

  async runCommunity(communityId: string, force = false): Promise<number> {
    const now = this.clock.now();
    const today = dayOf(now);
    return this.db.transaction(async () => {
      if (!(await this.repo.claimSegmentsDay(communityId, today, force))) return 0;
      const settings = await this.communities.getSettings(communityId);
      const threshold = await this.repo.coreThreshold(communityId, today);
      const changes = await this.repo.updateSegments(communityId, today, settings.segmentCoreActiveDays, settings.churnQuietDays, threshold, now);
      // Each kind of event in one statement (recordMany): a first run over a big community changes most members.
      const segmentChanges = changes
        .filter((c) => c.segment.trim() !== c.old_segment.trim())
        .map((c) => ({ communityId, data: { communityId, userId: c.user_id, segment: c.segment.trim(), previousSegment: c.old_segment.trim(), activeDays30: c.d30 } }));
      const churnRisks = changes
        .filter((c) => c.churn_risk && !c.old_churn)
        .map((c) => ({
          communityId,
          data: { communityId, userId: c.user_id, reason: c.churn_reason ?? '', activeDaysBefore: c.dbefore, quietDays: settings.churnQuietDays, lastActiveAt: c.last_active_at ? new Date(c.last_active_at).toISOString() : null },
        }));
      await this.events.recordMany('member.segment_changed', segmentChanges);
      await this.events.recordMany('member.churn_risk', churnRisks);
      await this.repo.snapshotSegments(communityId, today, await this.repo.segmentCounts(communityId));
      await this.repo.rollup(communityId, addDays(today, -1));
      return changes.length;
    });
  }
}
