import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { AppError } from '../core/errors/app-error';
import { EventsService } from '../core/events/events.service';
import { CommunityPolicy, ScreenVerdict } from '../core/policy/community-policy';
import { Limiter, RateLimitService } from '../core/rate-limit/rate-limit.service';
import { CommunitiesService } from '../communities/communities.service';
import { UpdateThreadDto } from './dto/edits.dto';
import { ThreadView } from './dto/threads.dto';
import { PostVisibilityService } from './post-visibility.service';
import { ThreadAccessService } from './thread-access.service';
import { ThreadsErrors } from './threads.errors';
import { ThreadsService } from './threads.service';

export const EditErrors = {
  windowClosed: (minutes: number) =>
    new AppError(
      'EDIT_WINDOW_CLOSED',
      403,
      `Authors may edit for ${minutes} minute(s) after posting in this community; after that only a moderator can`,
      { editWindowMinutes: minutes },
    ),
  revisionsForbidden: () => new AppError('FORBIDDEN', 403, "Only the author or a moderator can see a post's revisions"),
};

/**
 * The community's edit window (editWindowMinutes, 0: always open) for an author below moderator:
 * 403 EDIT_WINDOW_CLOSED once that many minutes have passed since the post or thread was created.
 * Moderators and above are not subject to it (callers skip the check for them).
 */
export function assertWithinEditWindow(createdAt: Date, editWindowMinutes: number, now = Date.now()): void {
  if (editWindowMinutes === 0) return;
  if (now - new Date(createdAt).getTime() > editWindowMinutes * 60_000) throw EditErrors.windowClosed(editWindowMinutes);
}

/** The editable fields of a thread, as the event and the revision name them. */
interface ThreadFields {
  title: string;
  tags: string[];
  productSkus: string[];
}

type FieldChanges = { before: Partial<ThreadFields>; after: Partial<ThreadFields> };

/** The fields of `dto` that differ from `current` (null when nothing changes). Tag and SKU order counts. */
export function threadChanges(current: ThreadFields, dto: UpdateThreadDto): FieldChanges | null {
  const before: Partial<ThreadFields> = {};
  const after: Partial<ThreadFields> = {};
  if (dto.title != null && dto.title !== current.title) {
    before.title = current.title;
    after.title = dto.title;
  }
  const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (dto.tags != null && !sameList(dto.tags, current.tags)) {
    before.tags = current.tags;
    after.tags = dto.tags;
  }
  if (dto.productSkus != null && !sameList(dto.productSkus, current.productSkus)) {
    before.productSkus = current.productSkus;
    after.productSkus = dto.productSkus;
  }
  return Object.keys(after).length ? { before, after } : null;
}

interface LockedThread {
  title: string;
  tags: string[];
  product_skus: string[];
  first_post_id: string | null;
  deleted_at: Date | null;
}

/**
 * Editing a thread's title, tags and product SKUs (PATCH /threads/:threadId): its author within the
 * community's edit window, moderators and above at any time. The values replaced are kept in
 * thread_revisions and `thread.edited` (before/after of what changed) is recorded in the same
 * transaction; the search index follows through its triggers on threads, and the event names the thread
 * and board, so guest and shared pages drop on commit. A new title is screened like a new thread's.
 */
@Injectable()
export class ThreadEditsService {
  /** Thread edits per member and minute (staff and above exempt), like post edits. */
  static readonly EDITS_PER_MINUTE = 10;
  private readonly editsPerMember: Limiter;

  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly communities: CommunitiesService,
    private readonly access: ThreadAccessService,
    private readonly threads: ThreadsService,
    private readonly policy: CommunityPolicy,
    private readonly visibility: PostVisibilityService,
    rateLimits: RateLimitService,
  ) {
    this.editsPerMember = rateLimits.limiter({ name: 'thread-edits-user', points: ThreadEditsService.EDITS_PER_MINUTE, durationSeconds: 60 });
  }

  async editThread(actor: Actor, threadId: string, dto: UpdateThreadDto): Promise<ThreadView> {
    const { thread, access } = await this.access.thread(actor, threadId);
    const role = access.role;
    const moderator = roleAtLeast(role, 'moderator');
    if (thread.author_id !== actor.userId && !moderator) throw ThreadsErrors.notAuthor();
    if (!moderator) assertWithinEditWindow(thread.created_at, (await this.communities.getSettings(thread.community_id)).editWindowMinutes);
    await this.policy.assertMay(thread.community_id, actor.userId, 'post');
    const wanted = threadChanges({ title: thread.title, tags: thread.tags, productSkus: thread.product_skus }, dto);
    if (!wanted) return this.threads.getThread(actor, threadId);
    if (!roleAtLeast(role, 'staff')) await this.editsPerMember.consume(actor.userId, 'Too many edits, try again in a minute');
    // A new title is screened like a new thread's; one that would hold a new thread hides this one until reviewed.
    const screened: ScreenVerdict =
      wanted.after.title !== undefined
        ? await this.policy.screen(thread.community_id, actor.userId, 'thread', { title: wanted.after.title, body: '' })
        : { action: 'publish', matched: [] };
    await this.db.transaction(async () => {
      const [current] = await this.db.query<LockedThread>(
        'SELECT title, tags, product_skus, first_post_id, deleted_at FROM threads WHERE id = $1 FOR UPDATE',
        [threadId],
      );
      if (!current || current.deleted_at) throw ThreadsErrors.threadNotFound();
      // Against the row as locked: an edit that committed meanwhile is neither undone nor repeated.
      const changes = threadChanges({ title: current.title, tags: current.tags, productSkus: current.product_skus }, dto);
      if (!changes) return;
      const [rev] = await this.db.query<{ revision: number }>(
        `INSERT INTO thread_revisions (thread_id, revision, title, tags, product_skus, editor_id)
         VALUES ($1, (SELECT COALESCE(max(revision), 0) + 1 FROM thread_revisions WHERE thread_id = $1), $2, $3::text[], $4::text[], $5)
         RETURNING revision`,
        [threadId, current.title, current.tags, current.product_skus, actor.userId],
      );
      const next = { ...{ title: current.title, tags: current.tags, productSkus: current.product_skus }, ...changes.after };
      await this.db.query('UPDATE threads SET title = $2, tags = $3::text[], product_skus = $4::text[] WHERE id = $1', [
        threadId,
        next.title,
        next.tags,
        next.productSkus,
      ]);
      await this.events.record(
        'thread.edited',
        {
          communityId: thread.community_id,
          boardId: thread.board_id,
          threadId,
          authorId: thread.author_id,
          tags: next.tags,
          productSkus: next.productSkus,
          editedBy: actor.userId,
          revision: rev.revision,
          before: changes.before,
          after: changes.after,
        },
        thread.community_id,
      );
      if (current.first_post_id && screened.action !== 'publish') {
        if (screened.action === 'queue') await this.visibility.hide(current.first_post_id, null, `automod: ${screened.matched.join(', ')}`.slice(0, 200));
        // Held or flagged, the thread goes to the review queue as its first post (a thread already published is flagged, not queued again).
        const verdict: ScreenVerdict = { ...screened, action: 'flag' };
        await this.policy.screened(thread.community_id, { kind: 'thread', targetId: current.first_post_id, authorId: thread.author_id, verdict });
      }
    });
    return this.threads.getThread(actor, threadId);
  }
}
