import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { CommonErrors } from '../errors/app-error';

export interface RateLimitRule {
  /** Distinguishes limiters in the store's keys, e.g. `login-ip`. */
  name: string;
  points: number;
  durationSeconds: number;
}

/** A named limit; keys are per caller (an IP, an account, a member). */
export class Limiter {
  constructor(private readonly impl: RateLimiterAbstract) {}

  /**
   * Spends one point; throws 429 RATE_LIMITED with Retry-After once the budget is spent. Atomic, so
   * concurrent callers cannot overspend. `durationSeconds` sets the window of a key that starts now.
   */
  async consume(key: string, detail?: string, durationSeconds?: number): Promise<void> {
    try {
      await this.impl.consume(key, 1, durationSeconds === undefined ? {} : { customDuration: durationSeconds });
    } catch (res) {
      if (res instanceof RateLimiterRes) throw CommonErrors.rateLimited(res.msBeforeNext / 1000, detail);
      throw res;
    }
  }

  /** Throws 429 if the budget is already spent, without spending. */
  async check(key: string, detail?: string): Promise<void> {
    const res = await this.impl.get(key);
    if (res && res.remainingPoints <= 0 && res.consumedPoints >= this.impl.points) {
      throw CommonErrors.rateLimited(res.msBeforeNext / 1000, detail);
    }
  }

  /** Points spent by the key in its current window. */
  async spent(key: string): Promise<number> {
    return (await this.impl.get(key))?.consumedPoints ?? 0;
  }

  /** Spends one point without throwing (e.g. a failed log-in). */
  async penalize(key: string): Promise<void> {
    await this.impl.penalty(key, 1);
  }

  async reset(key: string): Promise<void> {
    await this.impl.delete(key);
  }
}

/**
 * Rate limits, in memory for one instance or in Redis (REDIS_URL) so several instances share
 * them. If Redis is unreachable the limits fall back to memory rather than failing requests.
 */
@Injectable()
export class RateLimitService implements OnApplicationShutdown {
  private readonly limiters = new Map<string, Limiter>();

  constructor(
    private readonly redis: Redis | null,
    private readonly keyPrefix: string,
  ) {}

  limiter(rule: RateLimitRule): Limiter {
    const id = `${rule.name}:${rule.points}:${rule.durationSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const options = { keyPrefix: `${this.keyPrefix}:${rule.name}`, points: rule.points, duration: rule.durationSeconds };
      const memory = new RateLimiterMemory(options);
      const impl = this.redis
        ? new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: memory })
        : memory;
      limiter = new Limiter(impl);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  async onApplicationShutdown() {
    this.redis?.disconnect();
  }
}
