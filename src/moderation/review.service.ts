import { Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { CommunityPolicy, ScreenedContent } from '../core/policy/community-policy';
import { CommunitiesService } from '../communities/communities.service';
import { IdentityService } from '../identity/identity.service';
import { ModeratedContentService } from '../threads/moderated-content.service';
import { AuditService } from './audit.service';
import { ItemType, ResolveDto } from './dto/moderation.dto';
import { ItemTargetView, ReviewItemView } from './dto/views.dto';
import { ModerationClock } from './moderation-clock';
import { ModerationErrors } from './moderation.errors';
import { ItemRow, ReportRow, ReviewRepository } from './review.repository';
import { SanctionsService } from './sanctions.service';

const QUEUE_CURSOR = cursorKind<[number, string, string]>('moderation:queue', 'number', 'timestamp', 'uuid');

/**
 * The review queue: one item per target (flagged posts, queued posts, reported users and chat
 * messages), highest score first; resolving one is a single transaction (the item at the version the
 * moderator saw, its reports, the action on the target, a sanction, the audit entry and
 * review.resolved), so a resolve that fails leaves everything as it was.
 */
@Injectable()
export class ReviewService {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly repo: ReviewRepository,
    private readonly content: ModeratedContentService,
    private readonly communities: CommunitiesService,
    private readonly identity: IdentityService,
    private readonly sanctions: SanctionsService,
    private readonly audit: AuditService,
    private readonly policy: CommunityPolicy,
    private readonly cursors: Cursors,
    private readonly clock: ModerationClock,
  ) {}

  /** CommunityPolicy.screened: content stored under a queue or flag verdict joins the queue (in the writer's transaction). */
  async screened(communityId: string, content: ScreenedContent): Promise<void> {
    const message = content.kind === 'message';
    const type: ItemType = message ? 'flagged_message' : content.verdict.action === 'queue' ? 'queued_post' : 'flagged_post';
    await this.repo.upsertItem({
      communityId,
      type,
      targetType: message ? 'message' : 'post',
      targetId: content.targetId,
      authorId: content.authorId,
      automod: content.verdict.matched,
    });
  }

  async queue(community: CommunityContext, query: { status?: 'open' | 'resolved'; type?: ItemType; limit?: number; cursor?: string }): Promise<Page<ReviewItemView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(QUEUE_CURSOR, query.cursor);
    const statuses = query.status === 'resolved' ? ['approved', 'rejected', 'ignored'] : ['pending'];
    const rows = await this.repo.page(community.id, statuses, query.type, after, limit + 1);
    const views = await this.views(rows.slice(0, limit));
    return this.cursors.page(QUEUE_CURSOR, rows, limit, (r) => views.get(r.id)!, (r) => [r.score, r.k, r.id]);
  }

  /**
   * Resolves a pending item. Flagged items: dismiss (reports rejected; a post they hid is restored),
   * hide, delete or sanction the author (reports upheld). Queued posts: approve (or dismiss) publishes
   * it; hide keeps it unpublished, delete removes it, sanction keeps it unpublished and sanctions.
   */
  async resolve(actor: Actor, itemId: string, dto: ResolveDto): Promise<ReviewItemView> {
    const found = await this.repo.item(itemId);
    if (!found) throw ModerationErrors.itemNotFound();
    const role = await this.communities.roleOf(actor, found.community_id);
    if (!role) throw ModerationErrors.itemNotFound();
    if (!roleAtLeast(role, 'moderator')) throw ModerationErrors.notModerator();
    if (found.status !== 'pending' || (dto.version !== undefined && dto.version !== found.version)) throw ModerationErrors.itemChanged();
    const action = dto.action === 'approve' ? 'dismiss' : dto.action;
    if (found.target_type === 'user' && (action === 'hide' || action === 'delete')) throw ModerationErrors.notApplicable(dto.action, found.type);
    if (dto.action === 'approve' && found.type !== 'queued_post') throw ModerationErrors.notApplicable(dto.action, found.type);
    if (action === 'sanction' && !dto.sanction) throw ModerationErrors.sanctionRequired();
    const queued = found.type === 'queued_post';
    const upheld = action !== 'dismiss';
    const status = queued ? (upheld ? 'rejected' : 'approved') : upheld ? 'approved' : 'rejected';
    const now = this.clock.now();
    const resolved = await this.db.transaction(async () => {
      const item = await this.repo.resolve(itemId, status, dto.action, actor.userId, dto.note ?? null, dto.version, now);
      if (!item) throw ModerationErrors.itemChanged();
      await this.repo.closeReports(itemId, upheld ? 'upheld' : 'dismissed', now);
      await this.act(actor, item, action, dto.note ?? dto.action, queued);
      if (action === 'sanction' && item.target_author_id) {
        await this.sanctions.create(actor, { id: item.community_id, role }, item.target_author_id, dto.sanction!);
      }
      await this.audit.record({
        communityId: item.community_id,
        actorId: actor.userId,
        action: `review.${dto.action}`,
        targetType: item.target_type,
        targetId: item.target_id,
        reason: dto.note ?? null,
        before: { itemId, status: 'pending', score: found.score },
        after: { itemId, status },
      });
      await this.events.record(
        'review.resolved',
        { communityId: item.community_id, itemId, targetType: item.target_type, targetId: item.target_id, action: dto.action, resolvedBy: actor.userId, upheld },
        item.community_id,
      );
      return item;
    });
    return (await this.views([resolved])).get(resolved.id)!;
  }

  /** One item of the community as moderators see it (the review pages show its current state after a 409); null when it is not there. */
  async item(community: { id: string }, itemId: string): Promise<ReviewItemView | null> {
    const row = await this.repo.item(itemId);
    if (!row || row.community_id !== community.id) return null;
    return (await this.views([row])).get(row.id) ?? null;
  }

  /** The action on the target, in the resolve's transaction. */
  private async act(actor: Actor, item: ItemRow, action: string, reason: string, queued: boolean): Promise<void> {
    if (item.target_type === 'post') {
      if (action === 'delete') {
        if (await this.content.state(item.target_id)) await this.content.remove(actor, item.target_id);
      } else if (action === 'hide') {
        if (!queued) await this.content.hide(item.target_id, actor.userId, reason);
      } else if (action === 'dismiss') {
        if (queued) await this.content.approve(item.target_id, actor.userId);
        else await this.content.restore(item.target_id, actor.userId);
      }
    } else if (item.target_type === 'message') {
      const resolver = this.policy.reportTarget('message');
      if (action === 'hide') await resolver?.hide?.(item.target_id, actor.userId, reason);
      if (action === 'delete') await resolver?.remove?.(item.target_id, actor.userId);
      if (action === 'dismiss') await resolver?.restore?.(item.target_id, actor.userId);
    }
  }

  /** Item views with their targets as moderators see them and their reports. */
  async views(rows: ItemRow[]): Promise<Map<string, ReviewItemView>> {
    const postIds = rows.filter((r) => r.target_type === 'post').map((r) => r.target_id);
    const [posts, reports] = await Promise.all([this.content.moderatorViews(postIds), this.repo.reportsOf(rows.map((r) => r.id))]);
    const userIds = [...reports.map((r) => r.reporter_id), ...rows.filter((r) => r.target_type === 'user').map((r) => r.target_id)];
    const users = await this.identity.getUsers(userIds);
    const messages = new Map<string, unknown>();
    const resolver = this.policy.reportTarget('message');
    for (const r of rows) {
      if (r.target_type !== 'message' || !resolver) continue;
      const loaded = await resolver.load(r.target_id, null).catch(() => null);
      if (loaded) messages.set(r.target_id, loaded.view);
    }
    const byItem = new Map<string, ReportRow[]>();
    for (const rep of reports) byItem.set(rep.item_id, [...(byItem.get(rep.item_id) ?? []), rep]);
    const user = (id: string) => users.get(id) ?? { id, displayName: '(deleted)', avatarUrl: null };
    return new Map(
      rows.map((r) => {
        const target: ItemTargetView = {};
        if (r.target_type === 'post' && posts.has(r.target_id)) Object.assign(target, posts.get(r.target_id));
        if (r.target_type === 'user') target.user = user(r.target_id);
        if (r.target_type === 'message' && messages.has(r.target_id)) target.message = messages.get(r.target_id);
        const view: ReviewItemView = {
          id: r.id,
          communityId: r.community_id,
          type: r.type,
          status: r.status,
          targetType: r.target_type,
          targetId: r.target_id,
          targetAuthorId: r.target_author_id,
          score: Number(r.score),
          version: r.version,
          automod: r.automod,
          target,
          reports: (byItem.get(r.id) ?? []).map((rep) => ({
            id: rep.id,
            reporter: user(rep.reporter_id),
            reason: rep.reason,
            note: rep.note,
            weight: Number(rep.weight),
            status: rep.status,
            createdAt: new Date(rep.created_at).toISOString(),
          })),
          createdAt: new Date(r.created_at).toISOString(),
          resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
          resolution: r.resolution,
          note: r.note,
        };
        return [r.id, view];
      }),
    );
  }
}
