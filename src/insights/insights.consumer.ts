import { Injectable, OnModuleInit } from '@nestjs/common';
import { DomainEvent } from '../core/events/event-types';
import { EventsService } from '../core/events/events.service';
import { ApplyRepository } from './apply.repository';
import { INSIGHTS_EVENT_TYPES } from './event-effects';
import { applyEvents } from './rebuild.service';

/**
 * The outbox consumer `insights`. A batch of events becomes one Effects (summed per profile, day and
 * key) written in the dispatcher's transaction by one statement (plus one per question, support or
 * account-deletion fact when the batch has any), which also records the batch's event ids in
 * insights_seen_events and writes only if all were new: a redelivered event changes nothing (the
 * rare batch with one is applied again without the events seen before).
 */
@Injectable()
export class InsightsConsumer implements OnModuleInit {
  constructor(
    private readonly events: EventsService,
    private readonly repo: ApplyRepository,
  ) {}

  onModuleInit() {
    this.events.register({
      name: 'insights',
      types: INSIGHTS_EVENT_TYPES,
      handle: (event) => this.handleBatch([event]),
      handleBatch: (events) => this.handleBatch(events),
    });
  }

  async handleBatch(events: DomainEvent[]): Promise<void> {
    if (!events.length) return;
    await applyEvents(this.repo, events, true);
  }
}
