import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { LOGGER } from '../core/logging/logger';
import { CommunitiesService } from '../communities/communities.service';
import { QuestionsService } from '../threads/questions.service';

const CHECK_EVERY_MS = 30_000;

/**
 * Overdue escalation: every 30 s, questions that passed their community's responseTargetMinutes
 * with no staff answer get `overdue_at` and a `question.overdue` event, in one transaction, so the
 * event is recorded exactly once even with several instances running (SKIP LOCKED).
 */
@Injectable()
export class OverdueScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly questions: QuestionsService,
    private readonly communities: CommunitiesService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.check().catch((err) => this.logger.error({ err }, 'overdue check failed')), CHECK_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Runs one pass (never two at once in this process); returns how many questions became overdue. */
  check(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    let marked = 0;
    for (const communityId of await this.questions.communitiesWithWaitingQuestions(1)) {
      const { responseTargetMinutes } = await this.communities.getSettings(communityId);
      marked += await this.db.transaction(async () => {
        const rows = await this.questions.markOverdue(communityId, responseTargetMinutes);
        for (const q of rows) {
          await this.events.record(
            'question.overdue',
            {
              communityId,
              boardId: q.board_id,
              threadId: q.id,
              askerId: q.author_id,
              askedAt: new Date(q.created_at).toISOString(),
              targetMinutes: responseTargetMinutes,
              productSkus: q.product_skus,
            },
            communityId,
          );
        }
        return rows.length;
      });
    }
    return marked;
  }
}
