import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { CommunitiesService } from '../communities/communities.service';
import { PostView } from '../threads/dto/threads.dto';
import { ModeratedContentService } from '../threads/moderated-content.service';
import { AuditService } from './audit.service';
import { ModerationErrors } from './moderation.errors';

/**
 * Moderators hide and restore posts directly (PUT / DELETE /posts/:postId/hidden). Restoring a post
 * held for review approves it. Each action writes its audit entry in its own transaction; delete, lock,
 * pin, move and duplicates stay where they are and reach the log through their events.
 */
@Injectable()
export class ContentActionsService {
  constructor(
    private readonly db: Db,
    private readonly content: ModeratedContentService,
    private readonly communities: CommunitiesService,
    private readonly audit: AuditService,
  ) {}

  async setHidden(actor: Actor, postId: string, hidden: boolean, reason?: string): Promise<PostView> {
    const post = await this.content.visiblePost(actor, postId);
    if (!post) throw ModerationErrors.targetNotFound('post');
    await this.communities.requireRole(actor, post.community_id, 'moderator');
    await this.db.transaction(async () => {
      const changed = hidden ? await this.content.hide(postId, actor.userId, reason ?? 'moderator') : await this.content.restore(postId, actor.userId);
      if (!changed) return;
      await this.audit.record({
        communityId: post.community_id,
        actorId: actor.userId,
        action: hidden ? 'post.hidden' : post.queued ? 'post.approved' : 'post.restored',
        targetType: 'post',
        targetId: postId,
        reason: reason ?? null,
        before: { hidden: post.hidden, queued: post.queued },
        after: { hidden, queued: false },
      });
    });
    const views = await this.content.moderatorViews([postId]);
    const view = views.get(postId);
    if (!view) throw ModerationErrors.targetNotFound('post');
    return view.post;
  }
}
