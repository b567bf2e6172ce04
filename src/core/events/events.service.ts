import { Injectable } from '@nestjs/common';
import { Db } from '../database/db.service';
import { DomainEventMap, DomainEventType, EventConsumer } from './event-types';

/**
 * The transactional outbox. `record()` writes the event, and one delivery row per interested
 * consumer, in the caller's transaction; the dispatcher hands them out after commit.
 *
 * Consumers are registered at start-up (module init). An event only fans out to the consumers
 * registered when it is recorded: a consumer added in a later release starts from its first event.
 */
@Injectable()
export class EventsService {
  private readonly consumers = new Map<string, EventConsumer>();
  private readonly recordedListeners: Array<() => void> = [];

  constructor(private readonly db: Db) {}

  register(consumer: EventConsumer) {
    if (this.consumers.has(consumer.name)) throw new Error(`Event consumer ${consumer.name} is already registered`);
    this.consumers.set(consumer.name, consumer);
  }

  unregister(name: string) {
    this.consumers.delete(name);
  }

  consumer(name: string): EventConsumer | undefined {
    return this.consumers.get(name);
  }

  consumerNames(): string[] {
    return [...this.consumers.keys()];
  }

  /** Called by the dispatcher: wake up after a commit that recorded events. */
  onRecorded(listener: () => void) {
    this.recordedListeners.push(listener);
  }

  async record<T extends DomainEventType>(type: T, data: DomainEventMap[T], communityId: string | null = null): Promise<string> {
    if (!this.db.inTransaction) throw new Error(`events.record('${type}') must run inside db.transaction()`);
    const [row] = await this.db.query<{ id: string }>(
      'INSERT INTO events (type, community_id, data) VALUES ($1, $2, $3::jsonb) RETURNING id',
      [type, communityId, JSON.stringify(data)],
    );
    const names = [...this.consumers.values()]
      .filter((c) => c.types === '*' || c.types.includes(type))
      .map((c) => c.name);
    if (names.length) {
      await this.db.query(
        'INSERT INTO event_deliveries (event_id, consumer) SELECT $1::bigint, unnest($2::text[])',
        [row.id, names],
      );
      this.db.afterCommit(() => this.recordedListeners.forEach((l) => l()));
    }
    return String(row.id);
  }
}
