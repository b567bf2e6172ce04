import { Injectable } from '@nestjs/common';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { TrustLevel } from '../core/policy/community-policy';
import { CommunitiesService } from '../communities/communities.service';
import { ModeratedContentService } from '../threads/moderated-content.service';
import { ModerationClock } from './moderation-clock';

const DAY_MS = 86_400_000;
/** An upheld report against a member's content in this many days makes them new again. */
export const UPHELD_WINDOW_DAYS = 30;
/** Report weight by the reporter's trust (Discourse weighs flags by trust level likewise). */
export const TRUST_WEIGHT: Record<TrustLevel, number> = { new: 1, member: 2, staff: 5 };
/** Resolved reports a reporter needs before their accuracy changes their weight. */
const ACCURACY_MIN_REPORTS = 5;

/**
 * Trust, kept simple (not Discourse's whole ladder): staff, moderators and admins are `staff`; a member
 * is `new` until both newMemberDays since joining and newMemberPosts published posts are reached, and
 * again for 30 days after a report against them is upheld; otherwise `member`.
 */
@Injectable()
export class TrustService {
  constructor(
    private readonly db: Db,
    private readonly communities: CommunitiesService,
    private readonly content: ModeratedContentService,
    private readonly clock: ModerationClock,
  ) {}

  async levels(communityId: string, userIds: string[]): Promise<Map<string, TrustLevel>> {
    const ids = [...new Set(userIds)];
    const out = new Map<string, TrustLevel>();
    if (!ids.length) return out;
    const [memberships, settings] = await Promise.all([this.communities.memberships(communityId, ids), this.communities.getSettings(communityId)]);
    const now = this.clock.now();
    const candidates: string[] = [];
    for (const id of ids) {
      const m = memberships.get(id);
      if (m && roleAtLeast(m.role, 'staff')) out.set(id, 'staff');
      else if (!m || now.getTime() - m.joinedAt.getTime() < settings.newMemberDays * DAY_MS) out.set(id, 'new');
      else candidates.push(id);
    }
    if (!candidates.length) return out;
    const [posts, upheld] = await Promise.all([
      settings.newMemberPosts > 0 ? this.content.publishedPostCounts(communityId, candidates, settings.newMemberPosts) : Promise.resolve(new Map<string, number>()),
      this.db.query<{ target_author_id: string }>(
        `SELECT DISTINCT target_author_id FROM review_items
          WHERE community_id = $1 AND status = 'approved' AND target_author_id = ANY($2::uuid[]) AND resolved_at > $3`,
        [communityId, candidates, new Date(now.getTime() - UPHELD_WINDOW_DAYS * DAY_MS)],
      ),
    ]);
    const recentlyUpheld = new Set(upheld.map((r) => r.target_author_id));
    for (const id of candidates) {
      const enoughPosts = settings.newMemberPosts === 0 || (posts.get(id) ?? 0) >= settings.newMemberPosts;
      out.set(id, enoughPosts && !recentlyUpheld.has(id) ? 'member' : 'new');
    }
    return out;
  }

  async level(communityId: string, userId: string): Promise<TrustLevel> {
    return (await this.levels(communityId, [userId])).get(userId) ?? 'new';
  }

  /**
   * A report's weight: the reporter's trust weight, times their accuracy once they have at least five
   * resolved reports here (0.5 when none was upheld, 1.5 when all were).
   */
  async reportWeight(communityId: string, reporterId: string): Promise<number> {
    const level = await this.level(communityId, reporterId);
    const [row] = await this.db.query<{ upheld: number; dismissed: number }>(
      `SELECT count(*) FILTER (WHERE status = 'upheld')::int AS upheld, count(*) FILTER (WHERE status = 'dismissed')::int AS dismissed
         FROM reports WHERE community_id = $1 AND reporter_id = $2 AND status IN ('upheld', 'dismissed')`,
      [communityId, reporterId],
    );
    const resolved = row.upheld + row.dismissed;
    const accuracy = resolved >= ACCURACY_MIN_REPORTS ? 0.5 + row.upheld / resolved : 1;
    return TRUST_WEIGHT[level] * accuracy;
  }
}
