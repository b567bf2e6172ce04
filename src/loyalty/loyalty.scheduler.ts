import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../core/logging/logger';
import { LedgerService } from './ledger.service';
import { RewardsService } from './rewards.service';
import { RulesService } from './rules.service';

const SWEEP_EVERY_MS = 30_000;
const MAX_BATCHES = 50;

/**
 * The loyalty sweep: approves entries past their moderation window, expires the points of inactive
 * members where the community turned expiry on, and drops idempotency keys past their keeping time.
 * Safe with any number of instances: accounts are locked with SKIP LOCKED and entries only move
 * from pending, so nothing is approved or expired twice.
 */
@Injectable()
export class LoyaltyScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<{ approved: number; expired: number }> | null = null;

  constructor(
    private readonly ledger: LedgerService,
    private readonly rules: RulesService,
    private readonly rewards: RewardsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.sweep().catch((err) => this.logger.error({ err }, 'loyalty sweep failed')), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass (never two at once in this process). */
  sweep(): Promise<{ approved: number; expired: number }> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<{ approved: number; expired: number }> {
    let approved = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const n = await this.ledger.approveDueBatch();
      approved += n;
      if (!n) break;
    }
    let expired = 0;
    for (const { communityId, days } of await this.rules.expiringCommunities()) expired += await this.ledger.expireInactive(communityId, days);
    await this.rewards.dropOldKeys();
    return { approved, expired };
  }
}
