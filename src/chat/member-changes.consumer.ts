import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { Db } from '../core/database/db.service';
import { DomainEvent } from '../core/events/event-types';
import { EventsService } from '../core/events/events.service';

const TYPES = ['member.role_changed', 'member.sanctioned', 'sanction.lifted'] as const;

/**
 * A member's standing changed (a role, a sanction): every instance is told (a `member`
 * invalidation), and each re-checks that member's sockets in the community at once: rooms and
 * threads they may no longer read are left, the staff queue joined or left, a ban ends their part
 * in the community. The writers need not know that sockets exist.
 */
@Injectable()
export class MemberChangesConsumer implements OnModuleInit {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
  ) {}

  onModuleInit() {
    this.events.register({ name: 'chat-member-changes', types: [...TYPES], handle: (event) => this.handle(event as DomainEvent<(typeof TYPES)[number]>) });
  }

  private async handle(event: DomainEvent<(typeof TYPES)[number]>): Promise<void> {
    const { communityId, userId } = event.data;
    this.db.afterCommit(() => this.invalidations.publish({ member: { communityId, userId } }));
  }
}
