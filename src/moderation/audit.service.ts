import { Injectable } from '@nestjs/common';
import { CommunityContext } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { DomainEvent, DomainEventMap, DomainEventType, EventConsumer } from '../core/events/event-types';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { IdentityService } from '../identity/identity.service';
import { AuditTargetType, auditInstant } from './dto/moderation.dto';
import { AuditEntryView } from './dto/views.dto';

/**
 * Newest first by (created_at, id): every filter then reads one index range (see migration
 * AuditFilters). The id breaks ties between the entries of one transaction.
 */
const LOG_CURSOR = cursorKind<[string, number]>('moderation:log:time', 'timestamp', 'number');

export interface AuditEntry {
  communityId: string;
  /** null: the system (auto-hide by reports). */
  actorId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
}

/** The filters of `list` (AuditLogQueryDto, validated): `from` and `to` are ISO 8601 instants. */
export interface AuditLogQuery {
  actor?: string;
  action?: string;
  target?: string;
  targetType?: AuditTargetType;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

/** Staff actions of other modules, read from their events (the outbox: reliable, once per event). */
const AUDITED: DomainEventType[] = [
  'member.role_changed',
  'settings.changed',
  'community.look_changed',
  'thread.pinned',
  'thread.locked',
  'thread.moved',
  'thread.closed_as_duplicate',
  'answer.official',
  'answer.accepted',
  'faq.changed',
  'post.deleted',
  'post.edited',
];

/**
 * The audit log: append-only (no route changes or removes an entry, and a trigger refuses UPDATE and
 * DELETE). Moderation's own actions write their entry in their own transaction (`record`); earlier
 * staff actions of other modules arrive as outbox events (`consumer`), each at most once (source_event_id).
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly db: Db,
    private readonly cursors: Cursors,
    private readonly identity: IdentityService,
  ) {}

  async record(entry: AuditEntry, sourceEventId: string | null = null): Promise<void> {
    await this.db.query(
      `INSERT INTO moderation_audit (community_id, actor_id, action, target_type, target_id, reason, before, after, source_event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9) ON CONFLICT (source_event_id) DO NOTHING`,
      [
        entry.communityId,
        entry.actorId,
        entry.action,
        entry.targetType ?? null,
        entry.targetId ?? null,
        entry.reason ?? null,
        entry.before === undefined ? null : JSON.stringify(entry.before),
        entry.after === undefined ? null : JSON.stringify(entry.after),
        sourceEventId,
      ],
    );
  }

  /**
   * A page of the log, newest first, keyset-paged on (created_at, id). Filters are ANDed; the date
   * bounds are [from, to) on created_at. A cursor holds only the position, so it may be used with
   * other filters than the ones it came from: it then means "older than that entry".
   */
  async list(community: CommunityContext, query: AuditLogQuery): Promise<Page<AuditEntryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(LOG_CURSOR, query.cursor);
    const params: unknown[] = [community.id, limit + 1];
    const where = ['community_id = $1'];
    if (after) where.push(`(created_at, id) < ($${params.push(after[0])}::timestamptz, $${params.push(after[1])}::bigint)`);
    if (query.actor) where.push(`actor_id = $${params.push(query.actor)}::uuid`);
    if (query.action) where.push(`action = $${params.push(query.action)}`);
    if (query.target) where.push(`target_id = $${params.push(query.target)}`);
    if (query.targetType) where.push(`target_type = $${params.push(query.targetType)}`);
    const from = auditInstant(query.from);
    const to = auditInstant(query.to);
    if (from) where.push(`created_at >= $${params.push(from.toISOString())}::timestamptz`);
    if (to) where.push(`created_at < $${params.push(to.toISOString())}::timestamptz`);
    const rows = await this.db.query<{
      id: string; actor_id: string | null; action: string; target_type: string | null; target_id: string | null;
      reason: string | null; before: unknown; after: unknown; created_at: Date; k: string;
    }>(`SELECT *, created_at::text AS k FROM moderation_audit WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2`, params);
    const users = await this.identity.getUsers(rows.flatMap((r) => (r.actor_id ? [r.actor_id] : [])));
    return this.cursors.page(
      LOG_CURSOR,
      rows,
      limit,
      (r) => ({
        id: String(r.id),
        actor: r.actor_id ? users.get(r.actor_id) ?? { id: r.actor_id, displayName: '(deleted)', avatarUrl: null } : null,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        reason: r.reason,
        before: r.before,
        after: r.after,
        createdAt: new Date(r.created_at).toISOString(),
      }),
      (r) => [r.k, Number(r.id)],
    );
  }

  /** The outbox consumer that logs other modules' staff actions. */
  consumer(extra: (event: DomainEvent) => Promise<void>): EventConsumer {
    return {
      name: 'moderation-audit',
      types: AUDITED,
      handle: async (event) => {
        const entry = auditOf(event);
        if (entry) await this.record(entry, event.id);
        await extra(event);
      },
    };
  }
}

function data<T extends DomainEventType>(event: DomainEvent, _type: T): DomainEventMap[T] {
  return event.data as DomainEventMap[T];
}

/** The audit entry of a staff action event, or null (an author deleting their own post is no staff action). */
export function auditOf(event: DomainEvent): AuditEntry | null {
  switch (event.type) {
    case 'member.role_changed': {
      const d = data(event, 'member.role_changed');
      return { communityId: d.communityId, actorId: d.changedBy, action: 'member.role_changed', targetType: 'user', targetId: d.userId, before: { role: d.previousRole }, after: { role: d.role } };
    }
    case 'settings.changed': {
      const d = data(event, 'settings.changed');
      return { communityId: d.communityId, actorId: d.by, action: 'settings.changed', targetType: 'community', targetId: d.communityId, before: d.before, after: d.after };
    }
    case 'community.look_changed': {
      const d = data(event, 'community.look_changed');
      return { communityId: d.communityId, actorId: d.by, action: 'community.look_changed', targetType: 'community', targetId: d.communityId, before: d.before, after: d.after };
    }
    case 'thread.pinned': {
      const d = data(event, 'thread.pinned');
      return { communityId: d.communityId, actorId: d.by, action: d.pinned ? 'thread.pinned' : 'thread.unpinned', targetType: 'thread', targetId: d.threadId };
    }
    case 'thread.locked': {
      const d = data(event, 'thread.locked');
      return { communityId: d.communityId, actorId: d.by, action: d.locked ? 'thread.locked' : 'thread.unlocked', targetType: 'thread', targetId: d.threadId };
    }
    case 'thread.moved': {
      const d = data(event, 'thread.moved');
      return { communityId: d.communityId, actorId: d.movedBy, action: 'thread.moved', targetType: 'thread', targetId: d.threadId, before: { boardId: d.fromBoardId }, after: { boardId: d.boardId } };
    }
    case 'thread.closed_as_duplicate': {
      const d = data(event, 'thread.closed_as_duplicate');
      return { communityId: d.communityId, actorId: d.by, action: 'thread.closed_as_duplicate', targetType: 'thread', targetId: d.threadId, after: { duplicateOfThreadId: d.duplicateOfThreadId } };
    }
    case 'answer.official': {
      const d = data(event, 'answer.official');
      return { communityId: d.communityId, actorId: d.markedBy, action: d.official ? 'answer.official' : 'answer.unofficial', targetType: 'post', targetId: d.postId };
    }
    case 'answer.accepted': {
      const d = data(event, 'answer.accepted');
      if (d.acceptedBy === d.askerId) return null;
      return { communityId: d.communityId, actorId: d.acceptedBy, action: 'answer.accepted', targetType: 'post', targetId: d.postId, before: { postId: d.previousPostId }, after: { postId: d.postId } };
    }
    case 'faq.changed': {
      const d = data(event, 'faq.changed');
      return { communityId: d.communityId, actorId: d.by, action: d.inFaq ? 'faq.added' : 'faq.removed', targetType: 'post', targetId: d.postId };
    }
    case 'post.deleted': {
      const d = data(event, 'post.deleted');
      if (d.deletedBy === d.authorId) return null;
      return { communityId: d.communityId, actorId: d.deletedBy, action: d.isFirst ? 'thread.deleted' : 'post.deleted', targetType: 'post', targetId: d.postId, after: { threadId: d.threadId } };
    }
    case 'post.edited': {
      const d = data(event, 'post.edited');
      if (d.editedBy === d.authorId) return null;
      return { communityId: d.communityId, actorId: d.editedBy, action: 'post.edited', targetType: 'post', targetId: d.postId, after: { revision: d.revision } };
    }
    default:
      return null;
  }
}
