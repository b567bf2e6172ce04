import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { CommunitiesService } from '../communities/communities.service';

/**
 * Who a post @mentions (table post_mentions, issue 20): the members its linked handles named when it
 * was written or last edited, kept with the post in the same transaction. Notifications read it
 * (LivePostsService.mentionedUserIds), so a later rename or display-name change never changes who a
 * post mentioned.
 */
@Injectable()
export class PostMentionsService {
  constructor(
    private readonly db: Db,
    private readonly communities: CommunitiesService,
  ) {}

  /** The members the linked handles (Rendered.mentions) name, unique; no query when there are none. */
  async resolve(communityId: string, handles: readonly string[]): Promise<string[]> {
    if (!handles.length) return [];
    return [...new Set((await this.communities.membersByHandle(communityId, [...handles])).values())];
  }

  /** Records a new post's mentions (in the caller's transaction). */
  async record(postId: string, userIds: string[]): Promise<void> {
    if (!userIds.length) return;
    await this.db.query('INSERT INTO post_mentions (post_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING', [postId, userIds]);
  }

  /** An edited post's mentions replace the ones before (in the edit's transaction). */
  async replace(postId: string, userIds: string[]): Promise<void> {
    await this.db.query('DELETE FROM post_mentions WHERE post_id = $1', [postId]);
    await this.record(postId, userIds);
  }

  /** Users a live post mentions. */
  async ofPost(postId: string): Promise<string[]> {
    const rows = await this.db.query<{ user_id: string }>(
      `SELECT m.user_id FROM post_mentions m JOIN posts p ON p.id = m.post_id
        WHERE m.post_id = $1 AND p.deleted_at IS NULL ORDER BY m.user_id`,
      [postId],
    );
    return rows.map((r) => r.user_id);
  }
}
