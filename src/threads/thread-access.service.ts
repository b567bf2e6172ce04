import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { CommunityPolicy } from '../core/policy/community-policy';
import { AccessibleBoard, BoardsService } from '../boards/boards.service';
import { CommunitiesService } from '../communities/communities.service';
import { POST_COLUMNS, PostRow, THREAD_COLUMNS, ThreadRow } from './thread-rows';
import { ThreadsErrors } from './threads.errors';

/** A thread the caller can see, with the caller's role in its community. */
export interface ThreadAccess {
  thread: ThreadRow;
  access: AccessibleBoard;
}

/**
 * Who may see a thread or a post: each read with the caller's membership role in one query, then
 * the board's visibility for that role (BoardsService). Hidden things answer 404 like missing ones.
 */
@Injectable()
export class ThreadAccessService {
  constructor(
    private readonly db: Db,
    private readonly boards: BoardsService,
    private readonly communities: CommunitiesService,
    private readonly policy: CommunityPolicy,
  ) {}

  /** The thread and the caller's role, read in one query; 404 unless the caller can see its board. */
  async thread(actor: Actor | null, threadId: string): Promise<ThreadAccess> {
    const [thread] = await this.db.query<ThreadRow & { viewer_role: Role | null }>(
      `SELECT ${THREAD_COLUMNS}, ${this.communities.membershipRoleSql('t.community_id', '$2')} AS viewer_role
         FROM threads t WHERE t.id = $1 AND t.deleted_at IS NULL`,
      [threadId, actor?.userId ?? null],
    );
    if (!thread) throw ThreadsErrors.threadNotFound();
    const access = await this.board(actor, thread.board_id, thread.viewer_role, ThreadsErrors.threadNotFound);
    // A thread whose first post is hidden or held for review: its author and moderators only.
    if (thread.hidden && !roleAtLeast(access.role, 'moderator') && thread.author_id !== actor?.userId) throw ThreadsErrors.threadNotFound();
    return { thread, access };
  }

  /** The board's access for a caller whose membership role was read with the row; `notFound` when it is hidden from them. */
  async board(actor: Actor | null, boardId: string, membershipRole: Role | null, notFound: () => Error): Promise<AccessibleBoard> {
    let access: AccessibleBoard;
    try {
      access = await this.boards.accessibleWithRole(boardId, this.communities.effectiveRole(actor, membershipRole));
    } catch {
      throw notFound();
    }
    await this.assertMayRead(actor, access);
    return access;
  }

  /**
   * Sanctions on reading (CommunityPolicy, answered from memory): a suspended member may not read
   * members-only boards (403 SUSPENDED), a banned one nothing of the community with their token (403 BANNED).
   */
  async assertMayRead(actor: Actor | null, access: AccessibleBoard): Promise<void> {
    if (!actor || actor.isPlatformAdmin || !access.role) return;
    await this.policy.assertMay(access.board.communityId, actor.userId, access.board.visibility === 'public' ? 'view' : 'read');
  }

  async moderator(actor: Actor, threadId: string): Promise<ThreadAccess> {
    const access = await this.thread(actor, threadId);
    await this.communities.requireRole(actor, access.thread.community_id, 'moderator');
    return access;
  }

  async post(actor: Actor | null, postId: string): Promise<{ post: PostRow; role: Role | null }> {
    const [post] = await this.db.query<PostRow & { viewer_role: Role | null }>(
      `SELECT ${POST_COLUMNS}, ${this.communities.membershipRoleSql('p.community_id', '$2')} AS viewer_role
         FROM posts p JOIN threads t ON t.id = p.thread_id
        WHERE p.id = $1 AND p.deleted_at IS NULL AND t.deleted_at IS NULL`,
      [postId, actor?.userId ?? null],
    );
    if (!post) throw ThreadsErrors.postNotFound();
    const { role } = await this.board(actor, post.board_id, post.viewer_role, ThreadsErrors.postNotFound);
    if (post.hidden && !roleAtLeast(role, 'moderator') && post.author_id !== actor?.userId) throw ThreadsErrors.postNotFound();
    return { post, role };
  }

}
