import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../core/config/config';

/**
 * The webhook machinery's knobs and its clock. Production uses these defaults; tests shorten the
 * schedule and move the clock through `app.get(WebhookSettings)` (the same code path runs).
 */
@Injectable()
export class WebhookSettings {
  /** Delay before each retry (after attempt 1, 2, ...): about a day in all; then the delivery is failed. */
  retryDelaysMs: number[] = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000];
  /** Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter = 0.2;
  /** A Retry-After longer than this is cut to it. */
  maxRetryAfterMs = 10 * 3_600_000;
  /** The whole HTTP exchange of one attempt. */
  timeoutMs = 10_000;
  /** A claimed delivery is leased this long: an instance that died mid-send leaves it to others after that. */
  leaseMs = 20_000;
  /** How often the sender looks for due deliveries besides being woken by commits. */
  pollMs = 1_000;
  /** Deliveries in flight at once in this process, and per community. */
  maxInFlight = 64;
  perCommunity = 32;
  /** The old webhook secret keeps signing (and the old inbound and SSO secrets keep verifying) this long after a rotation. */
  rotationOverlapMs = 24 * 3_600_000;
  /** Delivered deliveries are pruned after this long. */
  keepDeliveredMs = 30 * 24 * 3_600_000;
  allowPrivateNetworks: boolean;
  private offsetMs = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.allowPrivateNetworks = config.webhookAllowPrivateNetworks;
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** The delay after the `step`-th failed attempt (1-based), or null when the schedule is spent. */
  retryDelay(step: number, retryAfterSeconds: number | null): number | null {
    const base = this.retryDelaysMs[step - 1];
    if (base === undefined) return null;
    const jittered = Math.round(base * (1 - this.jitter + Math.random() * 2 * this.jitter));
    if (retryAfterSeconds === null) return jittered;
    return Math.min(Math.max(retryAfterSeconds * 1000, 0), this.maxRetryAfterMs);
  }
}
