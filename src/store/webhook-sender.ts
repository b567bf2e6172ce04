import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../core/logging/logger';
import { ClaimedDelivery, DeliveriesRepository, DeliveryStatus } from './deliveries.repository';
import { StoreRepository } from './store.repository';
import { signatureHeader } from './signing';
import { postWebhook, PostResult } from './webhook-http';
import { SettleQueue } from './settle-queue';
import { WebhookSettings } from './webhook-settings';

const PRUNE_EVERY_MS = 10 * 60_000;
/** Inbound webhook ids are kept a day: a replay older than that fails the ±5 min timestamp check anyway. */
const KEEP_INBOUND_IDS_MS = 24 * 3_600_000;

/**
 * Sends deliveries, outside any transaction. Woken after commits that recorded deliveries, and by a
 * timer for retries. Claims due deliveries with a lease (SKIP LOCKED in a short transaction, then a
 * lease column with an expiry): several instances never send one delivery at once, and one that
 * dies mid-send leaves its deliveries to be sent again, with the same webhook-id, once the lease
 * expires. Up to maxInFlight deliveries are in flight at once, at most perCommunity per community,
 * so a slow receiver holds only its own community's slots.
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private readonly sends = new Set<Promise<void>>();
  private lastPrune = 0;
  private readonly settlements: SettleQueue;

  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly store: StoreRepository,
    private readonly settings: WebhookSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.settlements = new SettleQueue((batch) => this.deliveries.settle(batch));
  }

  onApplicationBootstrap() {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.settings.pollMs);
    this.timer.unref();
    this.wake();
  }

  async onApplicationShutdown() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pumping;
    // In-flight sends finish (or time out) and settle; their leases would otherwise hold them back.
    await Promise.allSettled([...this.sends]);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((err) => this.logger.error({ err }, 'webhook sender failed'))
      .finally(() => {
        this.pumping = null;
        if (this.again && !this.stopped) this.wake();
      });
  }

  /** Resolves once nothing is being claimed or sent (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.pumping || this.sends.size) {
      await this.pumping;
      await Promise.allSettled([...this.sends]);
    }
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        const room = this.settings.maxInFlight - this.total;
        if (room <= 0 || this.stopped) break;
        const busy = [...this.inFlight].filter(([, n]) => n >= this.settings.perCommunity).map(([c]) => c);
        const claimed = await this.deliveries.claim(this.settings.now(), this.settings.leaseMs, room, busy, (c) => this.settings.perCommunity - (this.inFlight.get(c) ?? 0), this.settings.perCommunity);
        for (const d of claimed) this.start(d);
        if (claimed.length < room) break;
      }
      await this.maybePrune();
    } while (this.again && !this.stopped);
  }

  private start(d: ClaimedDelivery) {
    this.total++;
    this.inFlight.set(d.community_id, (this.inFlight.get(d.community_id) ?? 0) + 1);
    const p = this.send(d)
      .catch((err) => this.logger.error({ err, deliveryId: d.id }, 'webhook delivery failed to settle'))
      .finally(() => {
        this.total--;
        const n = (this.inFlight.get(d.community_id) ?? 1) - 1;
        if (n <= 0) this.inFlight.delete(d.community_id);
        else this.inFlight.set(d.community_id, n);
        this.sends.delete(p);
        this.wake();
      });
    this.sends.add(p);
  }

  /** One attempt, signed afresh with the current time (and the previous secret too during a rotation). */
  private async send(d: ClaimedDelivery): Promise<void> {
    const at = this.settings.now();
    const timestamp = Math.floor(at.getTime() / 1000);
    const secrets = [d.webhook_secret];
    if (d.previous_webhook_secret && d.previous_until && new Date(d.previous_until) > at) secrets.push(d.previous_webhook_secret);
    const headers = {
      'webhook-id': d.webhook_id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, d.webhook_id, timestamp, d.body),
    };
    const result = await postWebhook(d.webhook_url, headers, d.body, { timeoutMs: this.settings.timeoutMs, allowPrivate: this.settings.allowPrivateNetworks });
    const outcome = this.outcome(d, result);
    await this.settlements.settle({
      claimed: d,
      attempt: { at, statusCode: result.status, durationMs: result.durationMs, response: result.response, error: result.error },
      outcome,
    });
  }

  /** 2xx delivered; 410 failed and the connection disabled; timeouts, network errors, 5xx and 429 retried; other answers failed. */
  private outcome(d: ClaimedDelivery, r: PostResult): { status: DeliveryStatus; retryStep: number; nextAttemptAt: Date | null; disableConnection: string | null } {
    const step = d.retry_step + 1;
    if (r.status !== null && r.status >= 200 && r.status < 300) return { status: 'delivered', retryStep: step, nextAttemptAt: null, disableConnection: null };
    if (r.status === 410) return { status: 'failed', retryStep: step, nextAttemptAt: null, disableConnection: 'The store answered 410 Gone' };
    const retryable = r.status === null || r.status >= 500 || r.status === 429;
    const delay = retryable ? this.settings.retryDelay(step, r.status === 429 || r.status === 503 ? r.retryAfterSeconds : null) : null;
    if (delay === null) return { status: 'failed', retryStep: step, nextAttemptAt: null, disableConnection: null };
    return { status: 'pending', retryStep: step, nextAttemptAt: new Date(this.settings.now().getTime() + delay), disableConnection: null };
  }

  private async maybePrune() {
    if (this.settings.now().getTime() - this.lastPrune < PRUNE_EVERY_MS) return;
    await this.prune();
  }

  /** Drops delivered deliveries past their keeping time, used SSO nonces past expiry and old inbound ids. */
  async prune(): Promise<void> {
    const now = this.settings.now();
    this.lastPrune = now.getTime();
    while ((await this.deliveries.pruneDelivered(new Date(now.getTime() - this.settings.keepDeliveredMs))) > 0) {
      /* a batch at a time */
    }
    await this.store.pruneInbound(now, new Date(now.getTime() - KEEP_INBOUND_IDS_MS));
  }
}
