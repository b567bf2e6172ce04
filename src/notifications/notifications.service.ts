import { Injectable } from '@nestjs/common';
import { Realtime } from '../chat/realtime';
import { Actor } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE } from '../core/pagination/pagination';
import { BoardsService } from '../boards/boards.service';
import { IdentityService } from '../identity/identity.service';
import { LivePostsService } from '../threads/live-posts.service';
import { LevelView, MarkReadResultView, NotificationPageView, PreferencesView, UpdatePreferencesDto } from './dto/notifications.dto';
import { DEFAULT_DIGEST_FREQUENCY, DELIVERIES, Delivery, deliveryOf, NOTIFICATION_TYPES, WatchLevel } from './notification-types';
import { NotificationsClock } from './notifications.clock';
import { NotificationsErrors } from './notifications.errors';
import { toNotificationView } from './notifications.mappers';
import { NotificationsRepository, PreferencesRow } from './notifications.repository';
import { UnsubscribeTokens } from './unsubscribe-tokens';

/** Newest first by last update. */
const LIST_CURSOR = cursorKind<[string, string]>('notifications:list', 'timestamp', 'uuid');

/** The caller's notifications, read state, levels and preferences; unsubscribe links. */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly db: Db,
    private readonly repo: NotificationsRepository,
    private readonly cursors: Cursors,
    private readonly identity: IdentityService,
    private readonly posts: LivePostsService,
    private readonly boards: BoardsService,
    private readonly realtime: Realtime,
    private readonly tokens: UnsubscribeTokens,
    private readonly clock: NotificationsClock,
  ) {}

  async list(actor: Actor, query: { unread?: boolean; limit?: number; cursor?: string }): Promise<NotificationPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(LIST_CURSOR, query.cursor);
    const rows = await this.repo.list(actor.userId, query.unread === true, after, limit + 1);
    const users = await this.identity.getUsers(rows.map((r) => r.actor_id).filter((id): id is string => Boolean(id)));
    const page = this.cursors.page(LIST_CURSOR, rows, limit, (r) => toNotificationView(r, users), (r) => [r.k!, r.id]);
    return { ...page, unreadCount: await this.repo.unreadCount(actor.userId) };
  }

  async markRead(actor: Actor, dto: { ids?: string[]; all?: true }): Promise<MarkReadResultView> {
    const ids = await this.repo.markRead(actor.userId, dto.all ? 'all' : (dto.ids ?? []), this.clock.now());
    const unreadCount = await this.repo.unreadCount(actor.userId);
    if (ids.length) this.realtime.toUser(actor.userId, 'notification:read', { ids, unreadCount });
    return { marked: ids.length, unreadCount };
  }

  /** A level on a thread the caller may read (404 otherwise). */
  async setThreadLevel(actor: Actor, threadId: string, level: WatchLevel): Promise<LevelView> {
    await this.posts.watchable(actor, threadId);
    await this.repo.setLevel(actor.userId, 'thread', threadId, level);
    return { targetType: 'thread', targetId: threadId, level };
  }

  /** A level on a board the caller may see (404 otherwise). */
  async setBoardLevel(actor: Actor, boardId: string, level: WatchLevel): Promise<LevelView> {
    await this.boards.getAccessible(actor, boardId);
    await this.repo.setLevel(actor.userId, 'board', boardId, level);
    return { targetType: 'board', targetId: boardId, level };
  }

  async preferences(actor: Actor): Promise<PreferencesView> {
    return toPreferencesView((await this.repo.preferences([actor.userId])).get(actor.userId) ?? null);
  }

  async updatePreferences(actor: Actor, dto: UpdatePreferencesDto): Promise<PreferencesView> {
    const types: Record<string, Delivery> = {};
    for (const [type, delivery] of Object.entries(dto.types ?? {})) {
      if (!(NOTIFICATION_TYPES as readonly string[]).includes(type)) throw NotificationsErrors.badPreference(`types.${type}`, 'not a notification type');
      if (!(DELIVERIES as readonly unknown[]).includes(delivery)) throw NotificationsErrors.badPreference(`types.${type}`, `must be one of ${DELIVERIES.join(', ')}`);
      types[type] = delivery;
    }
    return toPreferencesView(await this.repo.savePreferences(actor.userId, types, dto.digestFrequency));
  }

  /** The signed link from an email: stops that type's emails (it stays in the app), or the digest. No log-in. */
  async unsubscribe(token: string): Promise<{ stopped: string }> {
    const found = this.tokens.verify(token);
    if (!found) throw NotificationsErrors.badToken();
    await this.db.transaction(async () => {
      if (found.scope === 'digest') await this.repo.savePreferences(found.userId, {}, 'never');
      else await this.repo.savePreferences(found.userId, { [found.scope]: 'inapp' }, undefined);
    });
    return { stopped: found.scope };
  }

  checkToken(token: string): { stopped: string } {
    const found = this.tokens.verify(token);
    if (!found) throw NotificationsErrors.badToken();
    return { stopped: found.scope };
  }
}

function toPreferencesView(row: PreferencesRow | null): PreferencesView {
  return {
    types: Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, deliveryOf(row?.types ?? {}, t)])),
    digestFrequency: row?.digest_frequency ?? DEFAULT_DIGEST_FREQUENCY,
    lastDigestAt: row?.last_digest_at ? new Date(row.last_digest_at).toISOString() : null,
  };
}
