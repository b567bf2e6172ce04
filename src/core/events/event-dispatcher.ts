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

/** Consumers whose batches run at once (each holds a database connection while it works). */
const CONSUMERS_AT_ONCE = 4;

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  pollMs: 1000,
  retryBaseMs: 1000,
  maxRetryMs: 3_600_000,
  maxAttempts: 25,
  batchSize: 100,
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
  /** Each consumer drains on its own, so a slow one never holds back another's events. */
  private readonly draining = new Map<string, Promise<void>>();
  private readonly wakeAgain = new Set<string>();
  private readonly slots = new Slots(CONSUMERS_AT_ONCE);
  private stopped = true;

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
  ) {
    events.onRecorded((consumers) => this.wake(consumers));
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
    await this.idle();
  }

  /**
   * Starts draining `consumers` (after a commit: those it gave deliveries; the polling timer: all).
   * Waking only the consumers an event concerns keeps the others' empty claims (a transaction each)
   * from taking the slots and the database's time from those with work.
   */
  wake(consumers: readonly string[] = this.events.consumerNames()) {
    if (this.stopped) return;
    for (const name of consumers) {
      if (this.draining.has(name)) {
        this.wakeAgain.add(name);
        continue;
      }
      this.draining.set(
        name,
        this.drain(name).finally(() => this.draining.delete(name)),
      );
    }
  }

  /** Resolves when no consumer is draining. */
  async idle(): Promise<void> {
    while (this.draining.size) await Promise.all([...this.draining.values()]);
  }

  /** One consumer: batch after batch while full ones come back, again if woken meanwhile. */
  private async drain(name: string) {
    do {
      this.wakeAgain.delete(name);
      try {
        while (!this.stopped && (await this.slots.run(() => this.tickConsumer(name))) === this.options.batchSize) {
          /* keep going while full batches come back */
        }
      } catch (err) {
        this.logger.error({ err, consumer: name }, 'event dispatch failed');
      }
    } while (this.wakeAgain.has(name) && !this.stopped);
  }

  /**
   * One consumer's batch: its due deliveries in event order, claimed with SKIP LOCKED, handed over
   * whole (the consumer's `handleBatch` when it has one, else `handle` per event in order) and marked
   * done with one statement, in one transaction. If anything in it fails, that transaction rolls back
   * (with its after-commit hooks) and the due deliveries are claimed again and delivered one by one,
   * each under its own savepoint, so only the failing event backs off.
   */
  private async tickConsumer(name: string): Promise<number> {
    try {
      return await this.db.transaction(async () => {
        const rows = await this.claim(name);
        if (rows.length > 1 && this.events.consumer(name)) {
          await this.deliverAll(name, rows);
          return rows.length;
        }
        for (const row of rows) await this.deliver(row);
        return rows.length;
      });
    } catch (err) {
      if (!(err instanceof BatchFailed)) throw err;
      this.logger.debug({ err: err.cause, consumer: name }, 'event batch failed; retrying its events one by one');
    }
    return this.db.transaction(async () => {
      const rows = await this.claim(name);
      for (const row of rows) await this.deliver(row);
      return rows.length;
    });
  }

  private claim(name: string): Promise<DueRow[]> {
    return this.db.query<DueRow>(
      `SELECT d.event_id, d.consumer, d.attempts, e.type, e.community_id, e.data, e.created_at
         FROM event_deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND d.consumer = $1
        ORDER BY d.event_id
        LIMIT $2
        FOR UPDATE OF d SKIP LOCKED`,
      [name, this.options.batchSize],
    );
  }

  /** The whole batch, in the caller's transaction; a failure is thrown as BatchFailed. */
  private async deliverAll(name: string, rows: DueRow[]): Promise<void> {
    const consumer = this.events.consumer(name)!;
    const events = rows.map(toEvent);
    try {
      if (consumer.handleBatch) await consumer.handleBatch(events);
      else for (const event of events) await consumer.handle(event);
      await this.db.query(
        `UPDATE event_deliveries SET status = 'done', attempts = attempts + 1, done_at = now(), last_error = NULL
          WHERE consumer = $1 AND event_id = ANY($2::bigint[])`,
        [name, rows.map((r) => r.event_id)],
      );
    } catch (err) {
      throw new BatchFailed(err);
    }
  }

  private async deliver(row: DueRow) {
    const consumer = this.events.consumer(row.consumer);
    if (!consumer) return;
    const event = toEvent(row);
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

class BatchFailed extends Error {
  constructor(cause: unknown) {
    super('event batch failed', { cause });
  }
}

function toEvent(row: DueRow): DomainEvent {
  return {
    id: String(row.event_id),
    type: row.type as DomainEventType,
    communityId: row.community_id,
    data: row.data as DomainEvent['data'],
    createdAt: new Date(row.created_at),
  };
}

/** At most `size` tasks at once; the rest wait their turn in order. */
class Slots {
  private used = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.used >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.used++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.used--;
    }
  }
}
