import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Realtime } from '../chat/realtime';
import { Role, ROLES } from '../core/auth/roles';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { AppError } from '../core/errors/app-error';
import { DomainEvent } from '../core/events/event-types';
import { EventsService } from '../core/events/events.service';
import { CommunitiesService } from '../communities/communities.service';
import { IdentityService } from '../identity/identity.service';
import { LivePostsService, ThreadFacts } from '../threads/live-posts.service';
import { EmailQueueRepository } from './email-queue.repository';
import { excerptOf } from './email-templates';
import { Draft, RULE_TYPES, RuleContext, ruleFor } from './notification-rules';
import { deliveryOf } from './notification-types';
import { NotificationsClock } from './notifications.clock';
import { toNotificationView } from './notifications.mappers';
import { NotificationRow, NotificationsRepository } from './notifications.repository';

const STAFF_PAGE = 100;

/**
 * The outbox consumer: for each event type in the rule table, the rule says who hears about it and
 * how; this class applies what every rule shares (never the actor, only who may still read the
 * thread, nobody who muted it or turned the type off, one notification per person per event),
 * writes the notifications and queues their emails in the event's transaction, and sends
 * `notification:new` after the commit.
 */
@Injectable()
export class NotificationsConsumer implements OnModuleInit {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly repo: NotificationsRepository,
    private readonly queue: EmailQueueRepository,
    private readonly posts: LivePostsService,
    private readonly communities: CommunitiesService,
    private readonly identity: IdentityService,
    private readonly realtime: Realtime,
    private readonly clock: NotificationsClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit() {
    this.events.register({ name: 'notifications', types: RULE_TYPES, handle: (event) => this.handle(event) });
  }

  async handle(event: DomainEvent): Promise<void> {
    const rule = ruleFor(event.type);
    if (!rule) return;
    const now = this.clock.now();
    const drafts = await rule(this.context(now), event as never);
    const notified = new Set<string>();
    const written: NotificationRow[] = [];
    for (const draft of drafts) {
      const recipients = await this.recipients(draft, notified);
      for (const [recipientId, delivery] of recipients) {
        notified.add(recipientId);
        const row = await this.repo.upsert({
          recipientId, type: draft.type, communityId: draft.communityId, actorId: draft.actorId, threadId: draft.threadId ?? null,
          postId: draft.postId ?? null, roomId: draft.roomId ?? null, title: cut(fill(draft.title, 1, draft.amount ?? 0), 300),
          titleMany: cut(draft.titleMany ?? draft.title, 280), excerpt: excerptOf(draft.excerpt ?? '', 280), url: draft.url, amount: draft.amount ?? 0,
          collapseKey: draft.collapseKey ?? null, sourceEventId: event.id, at: now,
        });
        written.push(row);
        if (delivery === 'email') {
          await this.queue.queueImmediate(row.id, recipientId, new Date(now.getTime() + this.config.notificationEmailDelaySeconds * 1000), now);
        }
      }
    }
    if (!written.length) return;
    const users = await this.identity.getUsers(written.map((r) => r.actor_id).filter((id): id is string => Boolean(id)));
    const views = written.map((r) => ({ to: r.recipient_id, view: toNotificationView(r, users) }));
    this.db.afterCommit(() => views.forEach(({ to, view }) => this.realtime.toUser(to, 'notification:new', view)));
  }

  /** The draft's recipients that get it, with how (their preference for the type). */
  private async recipients(draft: Draft, notified: Set<string>): Promise<Map<string, ReturnType<typeof deliveryOf>>> {
    const candidates = [...new Set(draft.recipients)].filter((id) => id !== draft.actorId && !notified.has(id));
    const out = new Map<string, ReturnType<typeof deliveryOf>>();
    if (!candidates.length) return out;
    const prefs = await this.repo.preferences(candidates);
    const levels = draft.threadId && draft.boardId ? await this.repo.effectiveLevels(candidates, draft.threadId, draft.boardId) : new Map();
    for (const id of candidates) {
      const delivery = deliveryOf(prefs.get(id)?.types ?? {}, draft.type);
      if (delivery === 'off' || levels.get(id) === 'muted') continue;
      if (draft.threadId && !(await this.mayRead(id, draft.threadId))) continue;
      out.set(id, delivery);
    }
    return out;
  }

  private async mayRead(userId: string, threadId: string): Promise<boolean> {
    const me = await this.identity.getMe(userId).catch(() => null);
    return me ? this.posts.canRead({ userId, isPlatformAdmin: me.isPlatformAdmin }, threadId) : false;
  }

  private context(now: Date): RuleContext {
    const threads = new Map<string, Promise<ThreadFacts | null>>();
    const posts = (id: string) => this.posts.postFacts([id]).then((m) => m.get(id) ?? null);
    return {
      now,
      thread: (threadId) => {
        let t = threads.get(threadId);
        if (!t) threads.set(threadId, (t = this.posts.threadFacts(threadId)));
        return t;
      },
      postBody: async (postId) => (await posts(postId))?.body ?? '',
      postAuthor: async (postId) => (await posts(postId))?.authorId ?? null,
      mentioned: (postId) => this.posts.mentionedUserIds(postId),
      staff: (communityId, minimum) => this.staff(communityId, minimum),
      threadWatchers: (threadId, boardId) => this.repo.threadWatchers(threadId, boardId),
      boardWatchers: (boardId) => this.repo.boardWatchers(boardId),
      autoWatch: (userId, threadId, boardId) => this.repo.autoWatch(userId, threadId, boardId),
      forgetThread: (threadId) => this.repo.deleteForThread(threadId),
      forgetPost: (postId) => this.repo.deleteForPost(postId),
      communitySlug: (communityId) => this.communities.getById(communityId).then((c) => c.slug, (err) => (err instanceof AppError ? null : Promise.reject(err))),
    };
  }

  /** Members holding at least `minimum` (paged through the communities module's member list). */
  private async staff(communityId: string, minimum: Role): Promise<string[]> {
    const ids: string[] = [];
    for (const role of ROLES.slice(ROLES.indexOf(minimum))) {
      let cursor: string | undefined;
      do {
        const page = await this.communities.listMembers({ id: communityId, slug: '', role: null }, { role, limit: STAFF_PAGE, cursor });
        ids.push(...page.items.map((m) => m.user.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    return ids;
  }
}

function fill(title: string, count: number, amount: number): string {
  return title.split('{count}').join(String(count)).split('{amount}').join(String(amount));
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
