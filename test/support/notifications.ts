import { Db } from '../../src/core/database/db.service';
import { DomainEventMap, DomainEventType } from '../../src/core/events/event-types';
import { EventsService } from '../../src/core/events/events.service';
import { TestApp } from './app';
import { eventually, TestUser } from './factories';

/** Waits until the notifications consumer has handled every event recorded so far (so an absence means something). */
export async function notificationsSettled(t: TestApp): Promise<void> {
  const db = t.app.get(Db);
  await eventually(async () => {
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'notifications' AND status = 'pending'`);
    return row.n === 0;
  });
}

/** The user's notifications (first page, newest first) and unread count, after the consumer caught up. */
export async function inbox(t: TestApp, user: TestUser, query = ''): Promise<{ items: any[]; unreadCount: number }> {
  await notificationsSettled(t);
  const res = await t.http.get(`/api/v1/notifications${query}`, { token: user.accessToken });
  if (res.status !== 200) throw new Error(`notifications: ${res.status} ${res.text}`);
  return res.body;
}

/** Records an event as its producing module would (for modules whose routes are not what the test is about). */
export async function recordEvent<T extends DomainEventType>(t: TestApp, type: T, data: DomainEventMap[T], communityId: string): Promise<void> {
  const db = t.app.get(Db);
  await db.transaction(() => t.app.get(EventsService).record(type, data, communityId));
}

/** The handle @mentions resolve to today: the display name without whitespace. */
export function handleOf(user: TestUser): string {
  return user.displayName.split(' ').join('').toLowerCase();
}
