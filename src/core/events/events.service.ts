import { Inject, Injectable } from '@nestjs/common';
import { Invalidation, INVALIDATIONS, Invalidations } from '../cluster/invalidations';
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
  private readonly recordedListeners: Array<(consumers: string[]) => void> = [];

  constructor(
    private readonly db: Db,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
  ) {}

  /**
   * An event that names a thread or a board changed what their pages show: the guest cache (on every
   * instance) drops those pages once the event commits, before the writer's answer is sent.
   */
  private announce(data: object) {
    const pages = pagesOf(data);
    if (!pages) return;
    if (this.db.inTransaction) this.db.afterCommit(() => this.invalidations.publish(pages));
    else this.invalidations.publish(pages);
  }

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

  /** Called by the dispatcher: wake up (the consumers given deliveries) after a commit that recorded events. */
  onRecorded(listener: (consumers: string[]) => void) {
    this.recordedListeners.push(listener);
  }

  /**
   * For a write that is a single statement (atomic on its own, so it needs no transaction and its
   * BEGIN/COMMIT round trips): CTEs that record the event, and its delivery rows, for each row the CTE
   * `sourceCte` returns (one row: the write happened; none: no event). Appends its parameters to
   * `params`. Call `recorded()` once the statement has run: it wakes the dispatcher (after the commit,
   * when the statement runs inside a transaction).
   */
  recordInStatement<T extends DomainEventType>(
    type: T,
    data: DomainEventMap[T],
    communityId: string | null,
    params: unknown[],
    sourceCte: string,
  ): { ctes: string; recorded: () => void } {
    const names = this.consumersOf(type);
    params.push(type, communityId, JSON.stringify(data));
    const n = params.length;
    let ctes = `hearth_event AS (INSERT INTO events (type, community_id, data) SELECT $${n - 2}, $${n - 1}::uuid, $${n}::jsonb FROM ${sourceCte} RETURNING id)`;
    if (names.length) {
      params.push(names);
      ctes += `, hearth_event_deliveries AS (INSERT INTO event_deliveries (event_id, consumer) SELECT e.id, unnest($${params.length}::text[]) FROM hearth_event e)`;
    }
    const recorded = () => {
      if (names.length) this.db.afterCommit(() => this.recordedListeners.forEach((l) => l(names)));
      this.announce(data);
    };
    return { ctes, recorded };
  }

  private consumersOf(type: DomainEventType): string[] {
    return [...this.consumers.values()].filter((c) => c.types === '*' || c.types.includes(type)).map((c) => c.name);
  }

  /** Many events of one type in one statement (a consumer's batch), in order, in the caller's transaction. */
  async recordMany<T extends DomainEventType>(type: T, items: Array<{ data: DomainEventMap[T]; communityId: string | null }>): Promise<void> {
    if (!items.length) return;
    if (!this.db.inTransaction) throw new Error(`events.recordMany('${type}') must run inside db.transaction()`);
    const names = this.consumersOf(type);
    await this.db.query(
      `WITH e AS (INSERT INTO events (type, community_id, data)
                  SELECT $1, x.c, x.d::jsonb FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS x(c, d, n) ORDER BY x.n RETURNING id)
       INSERT INTO event_deliveries (event_id, consumer) SELECT e.id, c.name FROM e CROSS JOIN unnest($4::text[]) AS c(name)`,
      [type, items.map((i) => i.communityId), items.map((i) => JSON.stringify(i.data)), names],
    );
    if (names.length) this.db.afterCommit(() => this.recordedListeners.forEach((l) => l(names)));
    for (const i of items) this.announce(i.data);
  }

  async record<T extends DomainEventType>(type: T, data: DomainEventMap[T], communityId: string | null = null): Promise<string> {
    if (!this.db.inTransaction) throw new Error(`events.record('${type}') must run inside db.transaction()`);
    const [row] = await this.db.query<{ id: string }>(
      'INSERT INTO events (type, community_id, data) VALUES ($1, $2, $3::jsonb) RETURNING id',
      [type, communityId, JSON.stringify(data)],
    );
    const names = this.consumersOf(type);
    if (names.length) {
      await this.db.query(
        'INSERT INTO event_deliveries (event_id, consumer) SELECT $1::bigint, unnest($2::text[])',
        [row.id, names],
      );
      this.db.afterCommit(() => this.recordedListeners.forEach((l) => l(names)));
    }
    this.announce(data);
    return String(row.id);
  }
}

/** The thread and boards an event's data names (`threadId`, `boardId`, `fromBoardId`), or null. */
export function pagesOf(data: object): Invalidation | null {
  const d = data as { threadId?: unknown; boardId?: unknown; fromBoardId?: unknown };
  const threadIds = typeof d.threadId === 'string' ? [d.threadId] : [];
  const boardIds = [d.boardId, d.fromBoardId].filter((id): id is string => typeof id === 'string');
  return threadIds.length || boardIds.length ? { threadIds, boardIds } : null;
}
