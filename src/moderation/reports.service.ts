import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { CommunityPolicy } from '../core/policy/community-policy';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { CommunitiesService } from '../communities/communities.service';
import { ModeratedContentService } from '../threads/moderated-content.service';
import { AuditService } from './audit.service';
import { CreateReportDto, ItemType } from './dto/moderation.dto';
import { ReportView } from './dto/views.dto';
import { ModerationErrors } from './moderation.errors';
import { ReportRow, ReviewRepository } from './review.repository';
import { TRUST_WEIGHT, TrustService } from './trust.service';

/** What a report is about, once resolved: the item's target and its author. */
interface ResolvedTarget {
  communityId: string;
  authorId: string;
  itemType: ItemType;
  itemTargetType: 'post' | 'user' | 'message';
  itemTargetId: string;
  /** A visible post that reports may hide. */
  hideablePost: boolean;
}

/**
 * Reports by members on posts, threads (their first post: one item), chat messages and members. One
 * open report per reporter per target (a repeat answers the existing one), never on one's own content,
 * at most REPORTS_PER_DAY a day; a target the reporter cannot see is 404. Each report joins the target's
 * item, weighs by the reporter's trust, and may hide a post: `flagsToHide` distinct reporters, or a
 * score of `flagsToHide` members' worth (trusted reporters count more).
 */
@Injectable()
export class ReportsService {
  static readonly REPORTS_PER_DAY = 20;
  private readonly perMember: Limiter;

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly repo: ReviewRepository,
    private readonly content: ModeratedContentService,
    private readonly communities: CommunitiesService,
    private readonly trust: TrustService,
    private readonly audit: AuditService,
    private readonly policy: CommunityPolicy,
    rateLimits: RateLimitService,
  ) {
    this.perMember = rateLimits.limiter({ name: 'reports-user', points: ReportsService.REPORTS_PER_DAY, durationSeconds: 86_400 });
  }

  /** The new report (created: true) or the reporter's open one on the same target (created: false). */
  async create(actor: Actor, dto: CreateReportDto): Promise<{ report: ReportView; created: boolean }> {
    const target = await this.resolveTarget(actor, dto);
    if (target.authorId === actor.userId) throw ModerationErrors.ownContent();
    const role = await this.communities.roleOf(actor, target.communityId);
    if (!roleAtLeast(role, 'member')) throw ModerationErrors.notMember();
    await this.policy.assertMay(target.communityId, actor.userId, 'report');
    const existing = await this.repo.openReportOf({ targetType: target.itemTargetType, targetId: target.itemTargetId }, actor.userId);
    if (existing) return { report: toReportView(existing), created: false };
    await this.perMember.consume(actor.userId, `At most ${ReportsService.REPORTS_PER_DAY} reports a day`);
    const weight = await this.trust.reportWeight(target.communityId, actor.userId);
    const settings = await this.communities.getSettings(target.communityId);
    return this.db.transaction(async () => {
      const item = await this.repo.upsertItem({
        communityId: target.communityId,
        type: target.itemType,
        targetType: target.itemTargetType,
        targetId: target.itemTargetId,
        authorId: target.authorId,
      });
      const report = await this.repo.insertReport({
        community_id: target.communityId,
        item_id: item.id,
        reporter_id: actor.userId,
        target_type: dto.targetType,
        target_id: dto.targetId,
        reason: dto.reason,
        note: dto.note ?? null,
        weight,
      });
      if (!report) {
        // The same reporter's concurrent report won the race: answer it.
        const open = await this.repo.openReportOf({ targetType: target.itemTargetType, targetId: target.itemTargetId }, actor.userId);
        return { report: toReportView(open!), created: false };
      }
      const { score, reporters } = await this.repo.rescore(item.id);
      await this.events.record(
        'report.created',
        { communityId: target.communityId, reportId: report.id, itemId: item.id, targetType: dto.targetType, targetId: dto.targetId, reporterId: actor.userId, reason: dto.reason },
        target.communityId,
      );
      const threshold = reporters >= settings.flagsToHide || score >= settings.flagsToHide * TRUST_WEIGHT.member;
      if (threshold && target.hideablePost && (await this.content.hide(target.itemTargetId, null, `reports: ${reporters}`))) {
        await this.audit.record({
          communityId: target.communityId,
          actorId: null,
          action: 'post.auto_hidden',
          targetType: 'post',
          targetId: target.itemTargetId,
          reason: `${reporters} reports (score ${score})`,
          after: { itemId: item.id },
        });
      } else if (threshold && target.itemTargetType === 'message') {
        await this.policy.reportTarget('message')?.hide?.(target.itemTargetId, null, `reports: ${reporters}`);
      }
      return { report: toReportView(report), created: true };
    });
  }

  private async resolveTarget(actor: Actor, dto: CreateReportDto): Promise<ResolvedTarget> {
    switch (dto.targetType) {
      case 'post':
      case 'thread': {
        const post = dto.targetType === 'post' ? await this.content.visiblePost(actor, dto.targetId) : await this.content.visibleThreadPost(actor, dto.targetId);
        if (!post) throw ModerationErrors.targetNotFound(dto.targetType);
        return {
          communityId: post.community_id,
          authorId: post.author_id,
          itemType: post.queued ? 'queued_post' : 'flagged_post',
          itemTargetType: 'post',
          itemTargetId: post.id,
          hideablePost: !post.hidden,
        };
      }
      case 'user': {
        if (!dto.communityId) throw ModerationErrors.userReportNeedsCommunity();
        const [reporter, reported] = await Promise.all([
          this.communities.membership(dto.communityId, actor.userId),
          this.communities.membership(dto.communityId, dto.targetId),
        ]);
        if (!reporter && !actor.isPlatformAdmin) throw ModerationErrors.targetNotFound('user');
        if (!reported) throw ModerationErrors.targetNotFound('user');
        return { communityId: dto.communityId, authorId: dto.targetId, itemType: 'flagged_user', itemTargetType: 'user', itemTargetId: dto.targetId, hideablePost: false };
      }
      case 'message': {
        const found = await this.policy.reportTarget('message')?.load(dto.targetId, { userId: actor.userId, isPlatformAdmin: actor.isPlatformAdmin });
        if (!found) throw ModerationErrors.targetNotFound('message');
        return { communityId: found.communityId, authorId: found.authorId, itemType: 'flagged_message', itemTargetType: 'message', itemTargetId: dto.targetId, hideablePost: false };
      }
    }
  }
}

export function toReportView(r: ReportRow): ReportView {
  return {
    id: r.id,
    itemId: r.item_id,
    communityId: r.community_id,
    targetType: r.target_type,
    targetId: r.target_id,
    reason: r.reason,
    note: r.note,
    status: r.status,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
