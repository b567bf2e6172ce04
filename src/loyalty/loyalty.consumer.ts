import { Injectable, OnModuleInit } from '@nestjs/common';
import { DomainEvent, DomainEventMap, DomainEventType } from '../core/events/event-types';
import { EventsService } from '../core/events/events.service';
import { LedgerRepository } from './ledger.repository';
import { CreditInput, LedgerService, RemovalCause, startOfDay } from './ledger.service';
import { LoyaltyClock } from './loyalty.clock';
import { EARN_RULES, LoyaltyRules } from './loyalty-rules';
import { RulesService } from './rules.service';

type Handler<T extends DomainEventType> = (c: LoyaltyConsumer, event: DomainEvent<T>, rules: LoyaltyRules) => Promise<void>;
type HandlerTable = { [T in DomainEventType]?: Handler<T> };

const R = EARN_RULES;

/**
 * What each event type does to the ledger, keyed by type name: a source that lands later (the store's
 * orders, moderation's hides) plugs in as a row here. Content rules use content keys (`post:<id>`,
 * `day:<date>`, `<post>:<reactor>:<kind>`) so an event processed twice, or two events about the same
 * content (a queued post created then approved), pay once.
 */
const HANDLERS: HandlerTable = {
  'thread.created': async (c, e, rules) => {
    const d = e.data;
    const about = { threadId: d.threadId, postId: d.postId };
    await c.earn(e, d.authorId, R.threadCreated.rule, rules.threadCreated, `post:${d.postId}`, 'Thread started', about);
    if (d.boardKind === 'showcase' && d.hasImage) {
      await c.earn(e, d.authorId, R.showcasePhoto.rule, rules.showcasePhoto, `post:${d.postId}`, 'Showcase post with a photo', about);
    }
    await c.firstPostOfDay(e, d.authorId, rules, about);
  },
  'post.created': async (c, e, rules) => {
    const d = e.data;
    const about = { threadId: d.threadId, postId: d.postId };
    await c.earn(e, d.authorId, R.replyCreated.rule, rules.replyCreated, `post:${d.postId}`, 'Reply posted', about);
    await c.firstPostOfDay(e, d.authorId, rules, about);
  },
  'post.approved': async (c, e, rules) => {
    const d = e.data;
    const about = { threadId: d.threadId, postId: d.postId };
    const rule = d.isFirst ? R.threadCreated : R.replyCreated;
    await c.earn(e, d.authorId, rule.rule, d.isFirst ? rules.threadCreated : rules.replyCreated, `post:${d.postId}`, d.isFirst ? 'Thread started' : 'Reply posted', about);
    await c.firstPostOfDay(e, d.authorId, rules, about);
  },
  'reaction.added': async (c, e, rules) => {
    const d = e.data;
    if (d.userId === d.authorId) return; // nobody earns from their own reactions
    await c.earn(e, d.authorId, R.reactionReceived.rule, rules.reactionReceived, reactionKey(d), `Reaction "${d.kind}" received`, { threadId: d.threadId, postId: d.postId });
  },
  'reaction.removed': async (c, e) => {
    const d = e.data;
    // Only while pending: an approved reaction point stays (and the same reaction never pays twice).
    const entry = await c.repo.liveEntryByKey(e.data.communityId, d.authorId, R.reactionReceived.rule, reactionKey(d));
    if (entry?.status === 'pending') await c.ledger.remove(d.communityId, [entry], 'reaction_removed', e.id, 'Reaction removed');
  },
  'answer.accepted': async (c, e, rules) => {
    const d = e.data;
    if (d.previousPostId) await c.takeBack(e, R.answerAccepted.rule, d.previousPostId, 'answer_unaccepted', 'Another answer was accepted');
    // Nobody earns from their own accepted answer (the asker's, or a moderator accepting their own).
    if (d.authorId === d.askerId || d.authorId === d.acceptedBy) return;
    await c.earn(e, d.authorId, R.answerAccepted.rule, rules.answerAccepted, `post:${d.postId}`, 'Answer accepted', { threadId: d.threadId, postId: d.postId });
  },
  'answer.official': async (c, e, rules) => {
    const d = e.data;
    if (!d.official) return c.takeBack(e, R.answerOfficial.rule, d.postId, 'official_removed', 'No longer the official answer');
    await c.earn(e, d.authorId, R.answerOfficial.rule, rules.answerOfficial, `post:${d.postId}`, 'Official answer', { threadId: d.threadId, postId: d.postId });
  },
  'post.deleted': (c, e) => c.removeContent(e, 'deleted', e.data.isFirst ? 'Thread deleted' : 'Post deleted'),
  'post.hidden': (c, e) => c.removeContent(e, e.data.isFirst ? 'thread_hidden' : 'hidden', e.data.isFirst ? 'Thread hidden' : 'Post hidden'),
  'post.restored': (c, e) => c.ledger.restoreHidden(e.data.communityId, e.data.isFirst ? { threadId: e.data.threadId } : { postId: e.data.postId }, e.id),
  'order.paid': async (c, e, rules) => {
    const d = e.data;
    const points = Math.floor(Number(d.total) * rules.orderPointsPerUnit);
    if (!Number.isFinite(points) || points <= 0) return;
    await c.ledger.credit({
      communityId: d.communityId, userId: d.userId, rule: R.orderPointsPerUnit.rule, sourceKey: `order:${d.orderId}`, sourceEventId: e.id,
      points, reason: `Order ${d.orderId} (${d.total} ${d.currency})`, content: false, capped: false,
    });
  },
  'order.refunded': async (c, e) => {
    const d = e.data;
    const entry = await c.repo.liveEntryByKey(d.communityId, d.userId, R.orderPointsPerUnit.rule, `order:${d.orderId}`);
    if (entry) await c.ledger.remove(d.communityId, [entry], 'refunded', e.id, `Order ${d.orderId} refunded`);
  },
};

export const LOYALTY_EVENT_TYPES = [...(Object.keys(HANDLERS) as DomainEventType[]), 'user.deleted'] as DomainEventType[];

/** Event types whose handlers only earn (through `earn`), so a batch of them can be credited at once. */
const EARN_ONLY = new Set<DomainEventType>(['thread.created', 'post.created', 'post.approved', 'reaction.added']);

function reactionKey(d: DomainEventMap['reaction.added']): string {
  return `${d.postId}:${d.userId}:${d.kind}`;
}

/** The outbox consumer `loyalty`: runs inside the dispatcher's transaction, all writes through Db. */
@Injectable()
export class LoyaltyConsumer implements OnModuleInit {
  constructor(
    private readonly events: EventsService,
    readonly ledger: LedgerService,
    readonly repo: LedgerRepository,
    private readonly rules: RulesService,
    private readonly clock: LoyaltyClock,
  ) {}

  onModuleInit() {
    this.events.register({ name: 'loyalty', types: LOYALTY_EVENT_TYPES, handle: (event) => this.handle(event), handleBatch: (events) => this.handleBatch(events) });
  }

  /**
   * A batch: the events that only earn (new content, reactions) have their handlers run against a
   * view of this consumer whose `earn` collects instead of writing, and what they collected is
   * credited in one go (`creditMany`); any other event is handled on its own, in order, after what
   * came before it was credited. If anything throws, the dispatcher goes one event at a time.
   */
  async handleBatch(events: DomainEvent[]): Promise<void> {
    const credits: CreditInput[] = [];
    const collecting: LoyaltyConsumer = Object.create(this, {
      earn: { value: async (...args: Parameters<LoyaltyConsumer['earn']>) => void credits.push(this.creditOf(...args)) },
    });
    for (const event of events) {
      if (EARN_ONLY.has(event.type)) {
        await this.run(collecting, event);
        continue;
      }
      await this.ledger.creditMany(credits.splice(0));
      await this.handle(event);
    }
    await this.ledger.creditMany(credits.splice(0));
  }

  handle(event: DomainEvent): Promise<void> {
    return this.run(this, event);
  }

  private async run(c: LoyaltyConsumer, event: DomainEvent): Promise<void> {
    // The one event about a person rather than a community: forget them in every community.
    if (event.type === 'user.deleted') return this.ledger.closeAccounts((event.data as DomainEventMap['user.deleted']).userId, event.id);
    const handler = HANDLERS[event.type] as Handler<DomainEventType> | undefined;
    const communityId = (event.data as { communityId?: string }).communityId ?? event.communityId;
    if (!handler || !communityId) return;
    await handler(c, event, await this.rules.get(communityId));
  }

  async earn(e: DomainEvent, userId: string, rule: string, points: number, sourceKey: string, reason: string, about: { threadId: string; postId: string }) {
    await this.ledger.credit(this.creditOf(e, userId, rule, points, sourceKey, reason, about));
  }

  private creditOf(e: DomainEvent, userId: string, rule: string, points: number, sourceKey: string, reason: string, about: { threadId: string; postId: string }): CreditInput {
    const communityId = (e.data as { communityId: string }).communityId;
    return { communityId, userId, rule, sourceKey, sourceEventId: e.id, points, reason, ...about, content: true, capped: rule !== R.answerAccepted.rule };
  }

  /** The member's first post (thread or reply) of the day (UTC, by the loyalty clock). */
  async firstPostOfDay(e: DomainEvent, userId: string, rules: LoyaltyRules, about: { threadId: string; postId: string }) {
    const day = startOfDay(this.clock.now()).toISOString().slice(0, 10);
    await this.earn(e, userId, R.firstPostOfDay.rule, rules.firstPostOfDay, `day:${day}`, `First post of ${day}`, about);
  }

  async takeBack(e: DomainEvent, rule: string, postId: string, cause: RemovalCause, reason: string) {
    const communityId = (e.data as { communityId: string }).communityId;
    const entries = (await this.repo.liveEarnEntries(communityId, { postId })).filter((x) => x.rule === rule);
    await this.ledger.remove(communityId, entries, cause, e.id, reason);
  }

  async removeContent(e: DomainEvent<'post.deleted' | 'post.hidden'>, cause: RemovalCause, reason: string) {
    const d = e.data;
    const entries = await this.repo.liveEarnEntries(d.communityId, d.isFirst ? { threadId: d.threadId } : { postId: d.postId });
    await this.ledger.remove(d.communityId, entries, cause, e.id, reason);
  }
}
