import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { Db } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { Activity } from '../core/policy/community-policy';
import { CommunitiesService } from '../communities/communities.service';
import { AuditService } from './audit.service';
import { SanctionInputDto, SanctionKind } from './dto/moderation.dto';
import { SanctionView } from './dto/views.dto';
import { ModerationClock } from './moderation-clock';
import { ModerationErrors } from './moderation.errors';

interface SanctionRow {
  id: string;
  community_id: string;
  user_id: string;
  kind: SanctionKind;
  reason: string;
  until: Date | null;
  created_by: string;
  created_at: Date;
  lifted_at: Date | null;
}

interface ActiveSanction {
  kind: SanctionKind;
  until: number | null;
}

/** What each sanction stops, strongest last. A warning stops nothing (it is recorded and announced). */
const STOPS: Record<SanctionKind, readonly Activity[]> = {
  warn: [],
  silence: ['post', 'react', 'vote', 'chat'],
  suspend: ['post', 'react', 'vote', 'chat', 'read', 'report', 'redeem'],
  ban: ['post', 'react', 'vote', 'chat', 'read', 'report', 'redeem', 'view'],
};
const STRENGTH: SanctionKind[] = ['ban', 'suspend', 'silence'];
const SANCTION_CACHE_TTL_MS = 60_000;
const LIST_CURSOR = cursorKind<[string, string]>('moderation:sanctions', 'timestamp', 'uuid');

/**
 * Sanctions: warn, silence, suspend, ban, each until a time or until lifted. `assertMay` sits on every
 * write and read path (through CommunityPolicy), so it answers from memory: the active sanctions of a
 * community (one query per community per minute at most), dropped on every instance when a sanction is
 * created or lifted (Invalidations `member`, published after commit). Expiry needs no job: `until` is
 * compared with the clock at every check.
 */
@Injectable()
export class SanctionsService {
  /** Active sanctions by community, then member: at most 10,000 communities and about 8 MB. */
  private readonly cache = new LRUCache<string, Map<string, ActiveSanction[]>>({
    max: 10_000,
    maxSize: 8 * 1024 * 1024,
    sizeCalculation: (m) => 64 + 120 * m.size,
    ttl: SANCTION_CACHE_TTL_MS,
  });
  private readonly generation = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly communities: CommunitiesService,
    private readonly audit: AuditService,
    private readonly clock: ModerationClock,
    private readonly cursors: Cursors,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
  ) {
    invalidations.subscribe(({ member, sessionId, threadIds, boardIds, boardId }) => {
      if (member) this.forget(member.communityId);
      else if (!sessionId && !threadIds && !boardIds && !boardId) this.forgetAll(); // "something changed"
    });
  }

  /** Throws 403 SILENCED / SUSPENDED / BANNED (with the end time) when an active sanction stops the activity. */
  async assertMay(communityId: string, userId: string, activity: Activity): Promise<void> {
    const active = (await this.activeOf(communityId)).get(userId);
    if (!active) return;
    const now = this.clock.now().getTime();
    for (const kind of STRENGTH) {
      if (!STOPS[kind].includes(activity)) continue;
      const matching = active.filter((s) => s.kind === kind && (s.until === null || s.until > now));
      if (!matching.length) continue;
      const until = matching.some((s) => s.until === null) ? null : new Date(Math.max(...matching.map((s) => s.until!)));
      throw kind === 'ban' ? ModerationErrors.banned(until) : kind === 'suspend' ? ModerationErrors.suspended(until) : ModerationErrors.silenced(until);
    }
  }

  /**
   * A moderator sanctions a member below them: moderators sanction members and staff, admins also
   * moderators; nobody sanctions an admin or themselves. Runs in the caller's transaction when there is
   * one (resolving a review item), with its audit entry and member.sanctioned.
   */
  async create(actor: Actor, community: { id: string; role: Role | null }, userId: string, input: SanctionInputDto): Promise<SanctionView> {
    if (userId === actor.userId) throw ModerationErrors.cannotSanctionSelf();
    const target = await this.communities.membership(community.id, userId);
    if (!target) throw ModerationErrors.memberNotFound();
    this.assertAbove(community.role, target.role);
    const until = input.until ? new Date(input.until) : null;
    if (until && until.getTime() <= this.clock.now().getTime()) throw ModerationErrors.untilInPast();
    const row = await this.db.transaction(async () => {
      const [created] = await this.db.query<SanctionRow>(
        `INSERT INTO sanctions (community_id, user_id, kind, reason, until, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [community.id, userId, input.kind, input.reason, until, actor.userId, this.clock.now()],
      );
      await this.audit.record({
        communityId: community.id,
        actorId: actor.userId,
        action: 'sanction.created',
        targetType: 'user',
        targetId: userId,
        reason: input.reason,
        after: { sanctionId: created.id, kind: input.kind, until: until?.toISOString() ?? null },
      });
      await this.events.record(
        'member.sanctioned',
        { communityId: community.id, userId, sanctionId: created.id, kind: input.kind, until: until?.toISOString() ?? null, reason: input.reason, by: actor.userId },
        community.id,
      );
      this.db.afterCommit(() => this.invalidations.publish({ member: { communityId: community.id, userId } }));
      return created;
    });
    return this.toView(row);
  }

  /** Lifts a sanction early; another community's staff get 404, a member below the target's rank 403. */
  async lift(actor: Actor, sanctionId: string): Promise<SanctionView> {
    const [found] = await this.db.query<SanctionRow>('SELECT * FROM sanctions WHERE id = $1', [sanctionId]);
    if (!found) throw ModerationErrors.sanctionNotFound();
    const role = await this.communities.roleOf(actor, found.community_id);
    if (!roleAtLeast(role, 'moderator')) throw ModerationErrors.sanctionNotFound();
    const target = await this.communities.membership(found.community_id, found.user_id);
    if (target) this.assertAbove(role, target.role);
    const now = this.clock.now();
    const row = await this.db.transaction(async () => {
      const [lifted] = await this.db.query<SanctionRow>(
        `UPDATE sanctions SET lifted_at = $2, lifted_by = $3 WHERE id = $1 AND lifted_at IS NULL AND (until IS NULL OR until > $2) RETURNING *`,
        [sanctionId, now, actor.userId],
      );
      if (!lifted) throw ModerationErrors.sanctionNotActive();
      await this.audit.record({
        communityId: lifted.community_id,
        actorId: actor.userId,
        action: 'sanction.lifted',
        targetType: 'user',
        targetId: lifted.user_id,
        before: { sanctionId, kind: lifted.kind, until: lifted.until ? new Date(lifted.until).toISOString() : null },
        after: { liftedAt: now.toISOString() },
      });
      await this.events.record(
        'sanction.lifted',
        { communityId: lifted.community_id, userId: lifted.user_id, sanctionId, kind: lifted.kind, liftedBy: actor.userId },
        lifted.community_id,
      );
      this.db.afterCommit(() => this.invalidations.publish({ member: { communityId: lifted.community_id, userId: lifted.user_id } }));
      return lifted;
    });
    return this.toView(row);
  }

  /** A member's sanctions in the community, newest first (moderators' view of a member). */
  async listFor(community: CommunityContext, userId: string): Promise<SanctionView[]> {
    if (!(await this.communities.membership(community.id, userId))) throw ModerationErrors.memberNotFound();
    const rows = await this.db.query<SanctionRow>(
      'SELECT * FROM sanctions WHERE community_id = $1 AND user_id = $2 ORDER BY created_at DESC, id LIMIT 100',
      [community.id, userId],
    );
    return rows.map((r) => this.toView(r));
  }

  /**
   * The community's sanctions for moderators (the sanctions page), newest first: those in force now
   * (`active`) or those lifted or expired (`past`), a page at a time.
   */
  async list(community: { id: string }, query: { state: 'active' | 'past'; limit?: number; cursor?: string }): Promise<Page<SanctionView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(LIST_CURSOR, query.cursor);
    const params: unknown[] = [community.id, this.clock.now(), limit + 1];
    const active = 'lifted_at IS NULL AND (until IS NULL OR until > $2)';
    const where = ['community_id = $1', query.state === 'active' ? active : `NOT (${active})`];
    if (after) where.push(`(created_at, id) < ($${params.push(after[0])}::timestamptz, $${params.push(after[1])}::uuid)`);
    const rows = await this.db.query<SanctionRow & { k: string }>(
      `SELECT *, created_at::text AS k FROM sanctions WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $3`,
      params,
    );
    return this.cursors.page(LIST_CURSOR, rows, limit, (r) => this.toView(r), (r) => [r.k, r.id]);
  }

  private assertAbove(actorRole: Role | null, targetRole: Role) {
    if (targetRole === 'admin' || (targetRole === 'moderator' && !roleAtLeast(actorRole, 'admin'))) throw ModerationErrors.cannotSanction(targetRole);
  }

  private async activeOf(communityId: string): Promise<Map<string, ActiveSanction[]>> {
    const cached = this.cache.get(communityId);
    if (cached) return cached;
    const generation = this.generation.get(communityId) ?? 0;
    const rows = await this.db.query<{ user_id: string; kind: SanctionKind; until: Date | null }>(
      `SELECT user_id, kind, until FROM sanctions
        WHERE community_id = $1 AND lifted_at IS NULL AND kind <> 'warn' AND (until IS NULL OR until > $2)`,
      [communityId, this.clock.now()],
    );
    const byUser = new Map<string, ActiveSanction[]>();
    for (const r of rows) {
      const entry = { kind: r.kind, until: r.until ? new Date(r.until).getTime() : null };
      const list = byUser.get(r.user_id);
      if (list) list.push(entry);
      else byUser.set(r.user_id, [entry]);
    }
    // A sanction created or lifted while this was read must not be cached over.
    if ((this.generation.get(communityId) ?? 0) === generation) this.cache.set(communityId, byUser);
    return byUser;
  }

  private forget(communityId: string) {
    this.cache.delete(communityId);
    this.generation.set(communityId, (this.generation.get(communityId) ?? 0) + 1);
    if (this.generation.size > 100_000) this.generation.clear();
  }

  private forgetAll() {
    for (const key of this.cache.keys()) this.forget(key);
  }

  toView(r: SanctionRow): SanctionView {
    const until = r.until ? new Date(r.until) : null;
    return {
      id: r.id,
      communityId: r.community_id,
      userId: r.user_id,
      kind: r.kind,
      reason: r.reason,
      until: until?.toISOString() ?? null,
      createdBy: r.created_by,
      createdAt: new Date(r.created_at).toISOString(),
      liftedAt: r.lifted_at ? new Date(r.lifted_at).toISOString() : null,
      active: !r.lifted_at && (!until || until.getTime() > this.clock.now().getTime()),
    };
  }
}
