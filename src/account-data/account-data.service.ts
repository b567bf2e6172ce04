import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { Actor } from '../core/auth/actor';
import { CommunitiesService } from '../communities/communities.service';
import { MessagesService } from '../chat/messages.service';
import { AccountDeletionService } from '../identity/account-deletion.service';
import { IdentityService } from '../identity/identity.service';
import { LoyaltyService } from '../loyalty/loyalty.service';
import { NotificationsService } from '../notifications/notifications.service';
import { ThreadsService } from '../threads/threads.service';

/** Rows fetched per query while streaming an export: the server holds one page of one list at a time. */
export const EXPORT_PAGE_SIZE = 200;

/** Where a list's previous page ended (the owning service's keyset). */
type Key = [string, string];
type Pager<K, T> = (after: K | null) => Promise<{ items: T[]; next: K | null }>;

/**
 * The member's own data: the export (everything they wrote, from each owning module's service, page by
 * page) and the deletion of their account (identity anonymises it; other modules forget the person
 * from the `user.deleted` event).
 */
@Injectable()
export class AccountDataService {
  constructor(
    private readonly identity: IdentityService,
    private readonly deletion: AccountDeletionService,
    private readonly communities: CommunitiesService,
    private readonly threads: ThreadsService,
    private readonly messages: MessagesService,
    private readonly loyalty: LoyaltyService,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * The export as a stream of JSON text: one object whose lists are written as their pages arrive
   * (never the whole document in memory). Not a snapshot: each page is its own query, so content
   * written during the export may or may not appear.
   */
  export(actor: Actor): Readable {
    return Readable.from(this.document(actor), { objectMode: false, highWaterMark: 64 * 1024 });
  }

  deleteAccount(actor: Actor, input: { password?: string; confirm?: string }): Promise<void> {
    return this.deletion.deleteAccount(actor, input);
  }

  private async *document(actor: Actor): AsyncGenerator<string> {
    const userId = actor.userId;
    const account = await this.identity.getMe(userId);
    yield `{"format":"hearth-export/1","exportedAt":${json(new Date().toISOString())},"account":${json(account)}`;
    yield `,"memberships":${json(await this.communities.myMemberships(userId))}`;
    yield* list('threads', (after: Key | null) => this.threads.threadsByAuthor(userId, after, EXPORT_PAGE_SIZE));
    yield* list('posts', (after: Key | null) => this.threads.postsByAuthor(userId, after, EXPORT_PAGE_SIZE));
    yield* list('reactions', (after: Key | null) => this.threads.reactionsByUser(userId, after, EXPORT_PAGE_SIZE));
    yield* list('votes', (after: Key | null) => this.threads.votesByUser(userId, after, EXPORT_PAGE_SIZE));
    yield* list('chatMessages', (after: Key | null) => this.messages.messagesByAuthor(userId, after, EXPORT_PAGE_SIZE));
    yield* list('loyaltyLedger', (after: number | null) => this.loyalty.entriesOfUser(userId, after, EXPORT_PAGE_SIZE));
    yield `,"notificationPreferences":${json(await this.notifications.preferences(actor))}}\n`;
  }
}

/** `,"name":[item,item,...]`, one page per chunk. */
async function* list<K, T>(name: string, page: Pager<K, T>): AsyncGenerator<string> {
  yield `,${json(name)}:[`;
  let after: K | null = null;
  let first = true;
  do {
    const { items, next }: { items: T[]; next: K | null } = await page(after);
    if (items.length) {
      yield (first ? '' : ',') + items.map(json).join(',');
      first = false;
    }
    after = next;
  } while (after !== null);
  yield ']';
}

function json(value: unknown): string {
  return JSON.stringify(value);
}
