import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BoardsService } from '../boards/boards.service';
import { CommunitiesService } from '../communities/communities.service';
import { Role, roleAtLeast } from '../core/auth/roles';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { PostView, ThreadView } from '../threads/dto/threads.dto';
import { PostsService } from '../threads/posts.service';
import { ThreadsService } from '../threads/threads.service';
import { mayAccept } from '../qa/qa.service';
import { FieldErrors, threadPath, titleSlug } from './forms';
import { sendPage } from './send-page';
import { Views } from './views';
import { WebSessionService } from './web-session.service';
import { BOARD_KIND_LABELS } from './board-kinds';

/** Up to 100 posts a page (the API's largest page); "Newer posts" follows the cursor. */
const POSTS_PER_PAGE = 100;
const threadIds = new IdParamPipe('Thread');

export const ROLE_LABELS: Record<string, string> = { staff: 'Staff', moderator: 'Moderator', admin: 'Admin' };
export const REACTION_LABELS: Record<string, string> = { like: 'Like', helpful: 'Helpful', love: 'Love', insightful: 'Insightful' };

export interface ReplyFormState {
  body: string;
  errors: FieldErrors;
  message?: string;
}

/** The moderators' thread tools after a refused action (web/staff/thread-tools.controller.ts): the errors by field and what was typed. */
export interface ThreadToolsState {
  errors: FieldErrors;
  values: Record<string, string>;
  message?: string;
}

/** What the viewer may do to the replies: rendered on each post, and read by thread.js (data-can-*) for replies that arrive live. */
export interface ViewerCan {
  accept: boolean;
  react: boolean;
}

/**
 * The buttons to show, decided on the server from the role the page already read. Accepting mirrors
 * QaService.accept (the asker while a member, or a moderator and up, on a question), which still
 * decides on every POST: a button shown wrongly only leads to a refusal.
 */
export function viewerCan(thread: Pick<ThreadView, 'kind' | 'author'>, userId: string | null, role: Role | null): ViewerCan {
  const member = Boolean(userId) && roleAtLeast(role, 'member');
  return { accept: Boolean(userId) && thread.kind === 'qa' && mayAccept(thread.author?.id === userId, role), react: member };
}

/** The thread page, shown by GET and again by a reply that failed (with the member's text and the errors). */
@Injectable()
export class ThreadPages {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly boards: BoardsService,
    private readonly threads: ThreadsService,
    private readonly posts: PostsService,
  ) {}

  async show(request: FastifyRequest, reply: FastifyReply, rawThreadId: string, givenSlug: string | null, replyForm?: ReplyFormState, status = 200, tools?: ThreadToolsState) {
    const threadId = threadIds.transform(rawThreadId);
    const viewer = await this.sessions.viewer(request, reply);
    const thread = await this.threads.getThread(viewer.actor, threadId);
    const canonicalPath = threadPath(thread);
    const query = request.query as Record<string, unknown>;
    const cursor = typeof query.cursor === 'string' ? query.cursor : undefined;
    if (!replyForm && givenSlug !== titleSlug(thread.title)) {
      return reply.redirect(cursor ? `${canonicalPath}?cursor=${encodeURIComponent(cursor)}` : canonicalPath, 301);
    }
    const { board, role } = await this.boards.getAccessible(viewer.actor, thread.boardId);
    const community = await this.communities.getById(thread.communityId);
    const page = await this.posts.listPosts(viewer.actor, thread.id, { limit: POSTS_PER_PAGE, cursor });
    const firstPost: PostView | undefined = thread.firstPost ?? page.items.find((p) => p.postNumber === 1);
    const canReply = Boolean(viewer.actor) && roleAtLeast(role, 'member') && (!thread.locked || roleAtLeast(role, 'moderator'));
    const can = viewerCan(thread, viewer.actor?.userId ?? null, role);
    const description = (firstPost?.body ?? thread.title).slice(0, 200);
    // Moderators get the thread tools (lock, pin, move, close as duplicate): the boards to move to.
    const modBoards = viewer.actor && roleAtLeast(role, 'moderator') ? (await this.boards.listVisible(community.slug, viewer.actor, { limit: 100 })).items : null;
    const html = this.views.page(
      'thread',
      {
        title: `${thread.title} · ${community.name}`,
        canonicalPath,
        description,
        community,
        noindex: Boolean(cursor),
        scripts: ['socket.io.min.js', 'thread.js', ...(canReply ? ['photos.js'] : [])],
        bodyData: { threadId: thread.id, communitySlug: community.slug },
      },
      viewer,
      {
        community,
        board,
        kindLabel: BOARD_KIND_LABELS[board.kind] ?? board.kind,
        thread,
        posts: page.items,
        nextUrl: page.nextCursor ? `${canonicalPath}?cursor=${encodeURIComponent(page.nextCursor)}` : null,
        role,
        canReply,
        isMember: Boolean(role),
        can,
        replyForm: replyForm ?? { body: '', errors: {} },
        roleLabels: ROLE_LABELS,
        reactionLabels: REACTION_LABELS,
        loginUrl: `/login?next=${encodeURIComponent(canonicalPath)}`,
        canonicalPath,
        modTools: modBoards ? { boards: modBoards.filter((b) => b.id !== board.id), state: tools ?? { errors: {}, values: {} } } : null,
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}
