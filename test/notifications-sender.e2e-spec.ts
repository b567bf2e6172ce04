import { createBoard, createCast, createThread, Cast } from './support/content';
import { describeIfPostgres, startApp, TestApp } from './support/app';
import { createMember, eventually, TestUser } from './support/factories';
import { handleOf, notificationsSettled } from './support/notifications';
import { ACCOUNT_EMAIL_SUBJECTS, startSmtp, TestSmtp } from './support/smtp';
import { Db } from '../src/core/database/db.service';
import { EmailSender } from '../src/notifications/email-sender';
import { NotificationsClock } from '../src/notifications/notifications.clock';

const LEASE_SECONDS = 30;

/** Queues one mention email to each of `count` new members; returns them. */
async function queueMentions(t: TestApp, cast: Cast, boardId: string, count: number): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (let i = 0; i < count; i++) users.push(await createMember(t.http, cast.admin.accessToken, cast.slug));
  await createThread(t.http, cast.member.accessToken, boardId, { title: 'Calling everyone', body: users.map((u) => `@${handleOf(u)}`).join(' ') });
  await notificationsSettled(t);
  return users;
}

function expectEachExactlyOnce(smtp: TestSmtp, users: TestUser[]) {
  const counts = new Map<string, number>();
  for (const m of smtp.received) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  expect(users.map((u) => counts.get(u.email) ?? 0)).toEqual(users.map(() => 1));
  expect(smtp.received).toHaveLength(users.length);
}

/** A sender that stops in the middle of its batch (as a process that dies): nothing lost, nothing sent twice. */
describe('notifications: a sender dying mid-batch', () => {
  let t: TestApp;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtp({ ignoreSubjects: ACCOUNT_EMAIL_SUBJECTS });
    t = await startApp({ env: { SMTP_URL: smtp.url, NOTIFICATION_EMAIL_DELAY_SECONDS: '0', NOTIFICATION_EMAIL_LEASE_SECONDS: String(LEASE_SECONDS) } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('leaves the rest of its batch leased; after the lease another pass sends each remaining email once', async () => {
    const sender = t.app.get(EmailSender);
    const clock = t.app.get(NotificationsClock);
    await sender.stop();
    const cast = await createCast(t.http);
    const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
    const users = await queueMentions(t, cast, board.id, 10);

    smtp.onMessage = () => {
      if (smtp.received.length === 4) void sender.stop(); // dies after its 4th email
    };
    expect(await sender.runOnce()).toBe(4);
    smtp.onMessage = null;
    expect(smtp.received).toHaveLength(4);
    const leased = await t.app.get(Db).query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_emails WHERE status = 'pending' AND lease_until IS NOT NULL`);
    expect(leased[0].n).toBe(6);

    expect(await sender.runOnce()).toBe(0); // still leased to the dead sender
    clock.advance((LEASE_SECONDS + 1) * 1000);
    expect(await sender.runOnce()).toBe(6);
    expectEachExactlyOnce(smtp, users);
  });
});

describeIfPostgres('notifications: two instances, one closed mid-batch', () => {
  let a: TestApp;
  let b: TestApp;
  let smtp: TestSmtp;
  let bClosed = false;

  beforeAll(async () => {
    smtp = await startSmtp({ ignoreSubjects: ACCOUNT_EMAIL_SUBJECTS });
    const env = { SMTP_URL: smtp.url, NOTIFICATION_EMAIL_DELAY_SECONDS: '0', NOTIFICATION_EMAIL_LEASE_SECONDS: String(LEASE_SECONDS), NOTIFICATION_SENDER_INTERVAL_MS: '100' };
    a = await startApp({ env });
    b = await startApp({ env, databaseUrl: a.databaseUrl! });
  }, 60_000);
  afterAll(async () => {
    if (!bClosed) await b?.close();
    await a?.close();
    await smtp?.close();
  });

  it('every email arrives exactly once when the instance sending them is shut down mid-batch', async () => {
    // b (sharing a's database) sends; a stands by and takes over after the lease.
    const senderA = a.app.get(EmailSender);
    await senderA.stop();
    const cast = await createCast(a.http);
    const board = await createBoard(a.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
    smtp.delayMs = 50;
    let closing: Promise<void> | null = null;
    smtp.onMessage = () => {
      if (smtp.received.length === 3 && !closing) closing = b.close();
    };
    const users = await queueMentions(a, cast, board.id, 12);
    await eventually(() => closing !== null, 20_000);
    await closing;
    bClosed = true;
    smtp.onMessage = null;
    const sentByB = smtp.received.length;
    expect(sentByB).toBeGreaterThanOrEqual(3);
    expect(sentByB).toBeLessThan(12);

    a.app.get(NotificationsClock).advance((LEASE_SECONDS + 1) * 1000);
    senderA.start();
    await eventually(() => smtp.received.length >= 12, 20_000);
    await senderA.stop();
    expectEachExactlyOnce(smtp, users);
  }, 60_000);
});
