import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Db } from '../database/db.service';
import { DomainEvent, DomainEventType } from './event-types';
import { EventsService } from './events.service';

export interface DispatcherOptions {
  /** Polling fallback: how often to look for due deliveries (retries, other instances' events). */
  pollMs: number;
  /** First retry delay; doubles per attempt up to maxRetryMs, with jitter. */
  retryBaseMs: number;
  maxRetryMs: number;
  /** After this many failed attempts a delivery is parked as `failed` (kept for inspection). */
  maxAttempts: number;
  batchSize: number;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  pollMs: 1000,
  retryBaseMs: 1000,
  maxRetryMs: 3_600_000,
  maxAttempts: 25,
  batchSize: 20,
};

interface DueRow {
  event_id: string;
  consumer: string;
  attempts: number;
  type: string;
  community_id: string | null;
  data: unknown;
  created_at: Date;
}

/**
 * Hands committed events to consumers. Woken right after a commit that recorded events, and by
 * a polling timer. Several dispatchers (in one process or many) can run at once: each claims due
 * deliveries with FOR UPDATE SKIP LOCKED, so a delivery is worked by one of them at a time, and is
 * marked done in the same transaction as the consumer's own writes. A failing consumer only
 * delays its own delivery (back-off), never other consumers or other events.
 */
@Injectable()
export class EventDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private wakeAgain = false;
  private stopped = true;

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
  ) {
    events.onRecorded(() => this.wake());
  }

  onApplicationBootstrap() {
    this.start();
  }

  async onApplicationShutdown() {
    await this.stop();
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.draining;
  }

  wake() {
    if (this.stopped) return;
    if (this.draining) {
      this.wakeAgain = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
    });
  }

  /** Resolves when the current drain (if any) has finished. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain() {
    do {
      this.wakeAgain = false;
      try {
        while (!this.stopped && (await this.tick()) === this.options.batchSize) {
          /* keep going while full batches come back */
        }
      } catch (err) {
        this.logger.error({ err }, 'event dispatch failed');
      }
    } while (this.wakeAgain && !this.stopped);
  }

  /** Claims and handles one batch; returns how many deliveries it claimed. */
  async tick(): Promise<number> {
    const names = this.events.consumerNames();
    if (!names.length) return 0;
    return this.db.transaction(async () => {
      const rows = await this.db.query<DueRow>(
        `SELECT d.event_id, d.consumer, d.attempts, e.type, e.community_id, e.data, e.created_at
           FROM event_deliveries d JOIN events e ON e.id = d.event_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND d.consumer = ANY($1::text[])
          ORDER BY d.event_id
          LIMIT $2
          FOR UPDATE OF d SKIP LOCKED`,
        [names, this.options.batchSize],
      );
      for (const row of rows) await this.deliver(row);
      return rows.length;
    });
  }

  private async deliver(row: DueRow) {
    const consumer = this.events.consumer(row.consumer);
    if (!consumer) return;
    const event: DomainEvent = {
      id: String(row.event_id),
      type: row.type as DomainEventType,
      communityId: row.community_id,
      data: row.data as DomainEvent['data'],
      createdAt: new Date(row.created_at),
    };
    try {
      await this.db.transaction(async () => {
        await consumer.handle(event);
        await this.db.query(
          `UPDATE event_deliveries SET status = 'done', attempts = attempts + 1, done_at = now(), last_error = NULL
            WHERE event_id = $1 AND consumer = $2`,
          [row.event_id, row.consumer],
        );
      });
    } catch (err) {
      const attempts = row.attempts + 1;
      const failed = attempts >= this.options.maxAttempts;
      const delay = Math.min(this.options.retryBaseMs * 2 ** (attempts - 1), this.options.maxRetryMs) * (0.5 + Math.random() / 2);
      this.logger.warn({ err, eventId: event.id, type: event.type, consumer: consumer.name, attempts, failed }, 'event consumer failed');
      await this.db.query(
        `UPDATE event_deliveries
            SET attempts = $3, status = $4, last_error = $5, next_attempt_at = now() + ($6::int * interval '1 millisecond')
          WHERE event_id = $1 AND consumer = $2`,
        [row.event_id, row.consumer, attempts, failed ? 'failed' : 'pending', String((err as Error)?.message ?? err).slice(0, 2000), Math.round(delay)],
      );
    }
  }
}
