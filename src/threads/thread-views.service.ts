import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role, roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { UserView } from '../identity/dto/auth.dto';
import { Page } from '../core/pagination/pagination';
import { CommunitiesService } from '../communities/communities.service';
import { IdentityService } from '../identity/identity.service';
import { AttachmentsService } from './attachments.service';
import { PostView, ThreadView } from './dto/threads.dto';
import { postViewColumns, PostViewRow, THREAD_COLUMNS, ThreadRow } from './thread-rows';

export interface ViewerState {
  role: Role | null;
  reactions: Map<string, string[]>;
  votes: Map<string, number>;
}

const DELETED_USER: UserView = { id: '', displayName: '(deleted)', avatarUrl: null };

/**
 * The read model: thread and post views as clients see them, built from rows with their authors
 * (identity's cached user views), attachments and the viewer's own reactions and vote. No access
 * checks here: callers pass rows or ids the viewer may see (hidden posts are filtered by role).
 */
@Injectable()
export class ThreadViewsService {
  constructor(
    private readonly db: Db,
    private readonly identity: IdentityService,
    private readonly attachments: AttachmentsService,
    private readonly communities: CommunitiesService,
  ) {}

  /**
   * What a member's view of some posts adds to the shared one, in one statement: their role in the
   * community (for the access check), and their reactions and votes on those posts.
   */
  async viewerState(actor: Actor, communityId: string, postIds: string[]): Promise<ViewerState> {
    const [row] = await this.db.query<{ role: Role | null; reactions: string[]; votes: string[] }>(
      `SELECT ${this.communities.membershipRoleSql('$1::uuid', '$2')} AS role,
         ARRAY(SELECT r.post_id::text || ' ' || r.kind FROM post_reactions r
                WHERE r.post_id = ANY($3::uuid[]) AND r.user_id = $2::uuid ORDER BY r.kind) AS reactions,
         ARRAY(SELECT v.post_id::text || ' ' || v.value FROM post_votes v
                WHERE v.post_id = ANY($3::uuid[]) AND v.user_id = $2::uuid) AS votes`,
      [communityId, actor.userId, postIds],
    );
    const reactions = new Map<string, string[]>();
    for (const entry of row.reactions) {
      const [postId, kind] = entry.split(' ');
      const kinds = reactions.get(postId);
      if (kinds) kinds.push(kind);
      else reactions.set(postId, [kind]);
    }
    const votes = new Map(row.votes.map((entry) => entry.split(' ')).map(([postId, value]) => [postId, Number(value)]));
    return { role: row.role, reactions, votes };
  }

  /** The shared page (as a guest sees it) with the member's own reactions and votes. */
  withViewerState(page: Page<PostView>, state: ViewerState): Page<PostView> {
    return {
      items: page.items.map((p) => ({ ...p, myReactions: state.reactions.get(p.id) ?? [], myVote: state.votes.get(p.id) ?? 0 })),
      nextCursor: page.nextCursor,
    };
  }

  /** A member's page as a guest would see it: what the shared page cache holds. */
  withoutViewerState(page: Page<PostView>): Page<PostView> {
    return { items: page.items.map((p) => ({ ...p, myReactions: [], myVote: null })), nextCursor: page.nextCursor };
  }

  /** Thread views by id, in the given order (for the Q&A queue). */
  async threadViews(ids: string[]): Promise<ThreadView[]> {
    if (!ids.length) return [];
    const rows = await this.db.query<ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM threads t WHERE t.id = ANY($1::uuid[])`, [ids]);
    const views = new Map((await this.threadViewsOf(rows)).map((v) => [v.id, v]));
    return ids.map((id) => views.get(id)).filter((v): v is ThreadView => Boolean(v));
  }

  /** Posts with their threads, in the given order, leaving out deleted ones (for the FAQ). */
  async postsWithThreads(actor: Actor | null, role: Role | null, postIds: string[]): Promise<Array<{ thread: ThreadView; post: PostView }>> {
    const posts = await this.postsByIds(actor, postIds, role);
    const threads = new Map((await this.threadViews([...new Set(posts.map((p) => p.threadId))])).map((t) => [t.id, t]));
    return posts.filter((p) => threads.has(p.threadId)).map((post) => ({ thread: threads.get(post.threadId)!, post }));
  }

  async threadViewsOf(rows: ThreadRow[]): Promise<ThreadView[]> {
    if (!rows.length) return [];
    const users = await this.identity.getUsers(rows.flatMap((r) => [r.author_id, r.last_poster_id ?? r.author_id]));
    return rows.map((r) => toThreadView(r, users));
  }

  async postsByIds(actor: Actor | null, ids: string[], role: Role | null): Promise<PostView[]> {
    if (!ids.length) return [];
    const rows = await this.db.query<PostViewRow>(
      `SELECT ${postViewColumns('$2')} FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = ANY($1::uuid[]) AND p.deleted_at IS NULL`,
      [ids, actor?.userId ?? null],
    );
    const visible = rows.filter((r) => !r.hidden || roleAtLeast(role, 'moderator') || r.author_id === actor?.userId);
    const views = new Map((await this.postViewsOf(actor, visible)).map((v) => [v.id, v]));
    return ids.map((id) => views.get(id)).filter((v): v is PostView => Boolean(v));
  }

  async postViewsOf(actor: Actor | null, rows: PostViewRow[]): Promise<PostView[]> {
    if (!rows.length) return [];
    const users = await this.identity.getUsers(rows.map((r) => r.author_id));
    return rows.map((r) => ({
      id: r.id,
      threadId: r.thread_id,
      postNumber: r.post_number,
      author: users.get(r.author_id) ?? { ...DELETED_USER, id: r.author_id },
      authorRole: r.author_role,
      body: r.body,
      html: r.html,
      replyToPostId: r.reply_to_post_id,
      reactions: Object.fromEntries(Object.entries(r.reactions ?? {}).filter(([, n]) => n > 0)),
      myReactions: r.my_reactions ?? [],
      score: r.score,
      myVote: actor ? Number(r.my_vote ?? 0) : null,
      isAccepted: r.thread_accepted_post_id === r.id,
      isOfficial: r.thread_official_post_id === r.id,
      isStaffAnswer: roleAtLeast(r.author_role, 'staff') && r.post_number > 1,
      verifiedBuyer: r.verified_buyer,
      hidden: r.hidden,
      ...(r.queued ? { queued: true } : {}),
      isFaq: r.faq_at !== null,
      attachments: r.attachments_json.map((a) => this.attachments.view(a)),
      createdAt: new Date(r.created_at).toISOString(),
      editedAt: r.edited_at ? new Date(r.edited_at).toISOString() : null,
    }));
  }
}

function toThreadView(r: ThreadRow, users: Map<string, UserView>): ThreadView {
  return {
    id: r.id,
    boardId: r.board_id,
    communityId: r.community_id,
    kind: r.kind,
    title: r.title,
    author: users.get(r.author_id) ?? { ...DELETED_USER, id: r.author_id },
    tags: r.tags,
    productSkus: r.product_skus,
    pinned: r.pinned,
    locked: r.locked,
    replyCount: r.reply_count,
    lastPostAt: new Date(r.last_post_at).toISOString(),
    lastPoster: r.last_poster_id ? users.get(r.last_poster_id) ?? null : null,
    score: r.score,
    reactionCount: r.reaction_count,
    acceptedPostId: r.accepted_post_id,
    officialPostId: r.official_post_id,
    firstStaffAnswerAt: r.first_staff_answer_at ? new Date(r.first_staff_answer_at).toISOString() : null,
    duplicateOfThreadId: r.duplicate_of_thread_id,
    ...(r.hidden ? { hidden: true } : {}),
    createdAt: new Date(r.created_at).toISOString(),
  };
}
