import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { CommunitiesService } from '../communities/communities.service';
import { parseMarkdown, Rendered } from './markdown';
import { ThreadsErrors } from './threads.errors';

export interface PostingLimits {
  /** Seconds between posts that apply to the caller (0: none). */
  cooldown: number;
  /** TOO_MANY_LINKS, when the post breaks the new-member link limit. */
  error: Error | null;
}

/** What a post must pass before it is written: the community's cooldowns and link limit, and its rendering (with mentions). */
@Injectable()
export class PostingRulesService {
  constructor(
    private readonly db: Db,
    private readonly communities: CommunitiesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Cooldowns and the new-member link limit, from the community's settings; staff and above are
   * exempt. Returns the cooldown that applies (0: none) and the link-limit error, if any: the caller
   * runs enforcePostingLimits() with them in the posting transaction. Whether the member is new is
   * only looked up when it changes the outcome.
   */
  async limits(actor: Actor, communityId: string, role: Role, linkCount: number): Promise<PostingLimits> {
    if (roleAtLeast(role, 'staff')) return { cooldown: 0, error: null };
    const settings = await this.communities.getSettings(communityId);
    let isNew: boolean | undefined;
    const newMember = async () => (isNew ??= await this.isNewMember(actor.userId, communityId, settings.newMemberDays, settings.newMemberPosts));
    const cooldown =
      settings.postCooldownSeconds === settings.newMemberPostCooldownSeconds
        ? settings.postCooldownSeconds
        : (await newMember())
          ? settings.newMemberPostCooldownSeconds
          : settings.postCooldownSeconds;
    const error = linkCount > settings.newMemberMaxLinks && (await newMember()) ? ThreadsErrors.tooManyLinks(settings.newMemberMaxLinks) : null;
    return { cooldown, error };
  }

  /**
   * The cooldown (429) first, then the link limit (422). With a cooldown, it runs under a per-member
   * advisory lock held by the posting transaction, so two posts sent at once cannot both slip through.
   */
  async enforce(actor: Actor, communityId: string, limits: PostingLimits) {
    if (limits.cooldown > 0) {
      if (!this.db.inTransaction) throw new Error('a cooldown is enforced inside the posting transaction');
      await this.db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`post:${communityId}:${actor.userId}`]);
      const [last] = await this.db.query<{ wait: number }>(
        `SELECT EXTRACT(EPOCH FROM (created_at + make_interval(secs => $3) - now()))::float AS wait
           FROM posts WHERE community_id = $1 AND author_id = $2 ORDER BY created_at DESC LIMIT 1`,
        [communityId, actor.userId, limits.cooldown],
      );
      if (last && last.wait > 0) throw ThreadsErrors.cooldown(last.wait);
    }
    if (limits.error) throw limits.error;
  }

  /** New until both newMemberDays have passed since joining and newMemberPosts posts were made. */
  async isNewMember(userId: string, communityId: string, days: number, posts: number): Promise<boolean> {
    const membership = await this.communities.membership(communityId, userId);
    if (!membership) return true;
    if (Date.now() - membership.joinedAt.getTime() < days * 86_400_000) return true;
    if (posts === 0) return false;
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM posts WHERE community_id = $1 AND author_id = $2 AND deleted_at IS NULL LIMIT $3) x`,
      [communityId, userId, posts],
    );
    return row.n < posts;
  }

  /** Parses the body once, looks up the members it mentions, and renders. */
  async render(communityId: string, body: string): Promise<Rendered> {
    const parsed = parseMarkdown(body, { publicUrl: this.config.publicUrl });
    const handles = [...parsed.mentionHandles];
    const members = handles.length ? await this.communities.membersByHandle(communityId, handles) : new Map<string, string>();
    return parsed.render(new Map([...members].map(([handle, userId]) => [handle, `/u/${userId}`])));
  }

}
