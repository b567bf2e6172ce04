import { Module, OnModuleInit } from '@nestjs/common';
import { DomainEvent, DomainEventMap } from '../core/events/event-types';
import { EventsService } from '../core/events/events.service';
import { CommunityPolicy } from '../core/policy/community-policy';
import { CommunitiesModule } from '../communities/communities.module';
import { IdentityModule } from '../identity/identity.module';
import { ThreadsModule } from '../threads/threads.module';
import { AuditService } from './audit.service';
import { ContentActionsService } from './content-actions.service';
import { ModerationClock } from './moderation-clock';
import { ModerationController } from './moderation.controller';
import { ReportsService } from './reports.service';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';
import { RulesService } from './rules.service';
import { SanctionsService } from './sanctions.service';
import { TrustService } from './trust.service';

/**
 * Moderation: reports, the review queue, automod rules, sanctions, trust and the audit log.
 *
 * Calls go one way: moderation imports threads, communities and identity and calls their exported
 * services (ModeratedContentService to hide, restore, approve and delete posts); none of them imports
 * moderation. What they need from it goes through the core seam CommunityPolicy, which this module
 * provides at start-up (sanctions, watched words, held content, trust), and what they do reaches it
 * as outbox events (the audit log of their staff actions; a deleted post's pending item is ignored).
 */
@Module({
  imports: [IdentityModule, CommunitiesModule, ThreadsModule],
  controllers: [ModerationController],
  providers: [
    ModerationClock,
    AuditService,
    ReviewRepository,
    TrustService,
    SanctionsService,
    RulesService,
    ReviewService,
    ReportsService,
    ContentActionsService,
  ],
  // The moderator pages (web/staff) call the same services as the API.
  exports: [ModerationClock, ReviewService, SanctionsService, AuditService, RulesService],
})
export class ModerationModule implements OnModuleInit {
  constructor(
    private readonly policy: CommunityPolicy,
    private readonly events: EventsService,
    private readonly sanctions: SanctionsService,
    private readonly rules: RulesService,
    private readonly review: ReviewService,
    private readonly trust: TrustService,
    private readonly audit: AuditService,
    private readonly repo: ReviewRepository,
    private readonly clock: ModerationClock,
  ) {}

  onModuleInit() {
    this.policy.register({
      assertMay: (communityId, userId, activity) => this.sanctions.assertMay(communityId, userId, activity),
      screen: (communityId, userId, kind, text) => this.rules.screen(communityId, userId, kind, text),
      screened: (communityId, content) => this.review.screened(communityId, content),
      trustOf: (communityId, userIds) => this.trust.levels(communityId, userIds),
    });
    this.events.register(
      this.audit.consumer(async (event: DomainEvent) => {
        if (event.type !== 'post.deleted') return;
        const d = event.data as DomainEventMap['post.deleted'];
        await this.repo.ignoreTarget('post', d.postId, this.clock.now());
      }),
    );
  }
}
