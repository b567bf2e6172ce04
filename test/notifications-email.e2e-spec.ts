import { createBoard, createCast, createThread, reply, Cast } from './support/content';
import { startApp, TestApp } from './support/app';
import { createMember, eventually, TestUser } from './support/factories';
import { expectProblem } from './support/http';
import { captureLogs } from './support/logs';
import { handleOf, inbox, notificationsSettled } from './support/notifications';
import { ACCOUNT_EMAIL_SUBJECTS, startSmtp, TestSmtp } from './support/smtp';
import { connectSocket } from './support/sockets';
import { Db } from '../src/core/database/db.service';
import { DigestScheduler } from '../src/notifications/digest.scheduler';
import { EmailSender } from '../src/notifications/email-sender';
import { NotificationsClock } from '../src/notifications/notifications.clock';

const DAY = 86_400_000;

/** Emails through a real local SMTP server: delay, drops, unsubscribe without log-in, the hourly cap, digests, the prune. */
describe('notifications: email', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let cast: Cast;
  let board: { id: string };
  let sender: EmailSender;
  let digests: DigestScheduler;
  let clock: NotificationsClock;

  beforeAll(async () => {
    smtp = await startSmtp({ ignoreSubjects: ACCOUNT_EMAIL_SUBJECTS });
    t = await startApp({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://community.example.com' } });
    sender = t.app.get(EmailSender);
    digests = t.app.get(DigestScheduler);
    clock = t.app.get(NotificationsClock);
    await sender.stop(); // the test drives the sender
    cast = await createCast(t.http);
    board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const mention = async (who: TestUser, title: string) => {
    const thread = await createThread(t.http, cast.member.accessToken, board.id, { title, body: `@${handleOf(who)} please look` });
    await notificationsSettled(t);
    return thread;
  };
  const mailsTo = (user: TestUser) => smtp.received.filter((m) => m.to.includes(user.email));

  it('sends a mention after NOTIFICATION_EMAIL_DELAY_SECONDS, with List-Unsubscribe headers; the link works without logging in', async () => {
    const user = await createMember(t.http, cast.admin.accessToken, cast.slug);
    await mention(user, 'Mail me');
    expect(await sender.runOnce()).toBe(0); // not yet due (60 s)
    clock.advance(61_000);
    expect(await sender.runOnce()).toBe(1);
    const [mail] = mailsTo(user);
    expect(mail).toEqual(expect.objectContaining({ to: [user.email], subject: 'You were mentioned in “Mail me”' }));
    expect(mail.text).toContain('please look');
    expect(mail.text).toContain('https://community.example.com/t/');
    expect(mail.html).toContain('<blockquote');
    expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(mail.unsubscribeUrl).toMatch(/^https:\/\/community\.example\.com\/api\/v1\/notifications\/unsubscribe\?token=/);
    expect(mail.text).toContain(mail.unsubscribeUrl);
    expect(await sender.runOnce()).toBe(0); // never twice

    const path = mail.unsubscribeUrl!.slice('https://community.example.com'.length);
    const page = await t.http.get(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('<form method="post"');
    const tampered = path.slice(0, -2) + (path.endsWith('AA') ? 'BB' : 'AA');
    expectProblem(await t.http.post(tampered, undefined, { rawBody: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'INVALID_UNSUBSCRIBE_TOKEN');
    const done = await t.http.post(path, undefined, { rawBody: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ stopped: 'mention' });
    const prefs = await t.http.get('/api/v1/me/notification-preferences', { token: user.accessToken });
    expect(prefs.body.types.mention).toBe('inapp');

    await mention(user, 'Mail me again');
    clock.advance(61_000);
    await sender.runOnce();
    expect(mailsTo(user)).toHaveLength(1);
    expect((await inbox(t, user)).items.filter((n) => n.type === 'mention')).toHaveLength(2); // still in the app
  });

  it('form bodies are taken by the unsubscribe route only', async () => {
    const res = await t.http.post('/api/v1/notifications/read', undefined, { rawBody: 'all=true', headers: { 'content-type': 'application/x-www-form-urlencoded' }, token: cast.member.accessToken });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('drops the email when the notification was read or the recipient is connected meanwhile', async () => {
    const reader = await createMember(t.http, cast.admin.accessToken, cast.slug);
    await mention(reader, 'Read in time');
    await t.http.post('/api/v1/notifications/read', { all: true }, { token: reader.accessToken });
    const online = await createMember(t.http, cast.admin.accessToken, cast.slug);
    const socket = await connectSocket(t.baseUrl, online.accessToken);
    try {
      await mention(online, 'Seen live');
      clock.advance(61_000);
      await sender.runOnce();
    } finally {
      socket.close();
    }
    expect(mailsTo(reader)).toEqual([]);
    expect(mailsTo(online)).toEqual([]);
    const rows = await t.app.get(Db).query<{ reason: string }>(
      `SELECT reason FROM notification_emails WHERE recipient_id = ANY($1::uuid[]) ORDER BY reason`, [[reader.id, online.id]],
    );
    expect(rows.map((r) => r.reason)).toEqual(['connected', 'read']);
  });

  it('at most 20 immediate emails per recipient per hour; the rest wait for the digest', async () => {
    const busy = await createMember(t.http, cast.admin.accessToken, cast.slug);
    for (let i = 0; i < 22; i++) await mention(busy, `Busy ${i}`);
    clock.advance(61_000);
    await sender.runOnce();
    expect(mailsTo(busy)).toHaveLength(20);
    // The two left over go into the digest (a week later, the default frequency).
    clock.advance(7 * DAY);
    await digests.runOnce();
    await sender.runOnce();
    const digest = mailsTo(busy).filter((m) => m.subject.includes('digest'));
    expect(digest).toHaveLength(1);
    expect(digest[0].subject).toBe('Your weekly digest: 2 unread notifications');
  });

  it('the digest: unread notifications since the last one and top new threads, once per period, with its own unsubscribe', async () => {
    const reader = await createMember(t.http, cast.admin.accessToken, cast.slug);
    await t.http.put('/api/v1/me/notification-preferences', { digestFrequency: 'daily' }, { token: reader.accessToken });
    const mine = await createThread(t.http, reader.accessToken, board.id, { title: 'My kettle' });
    await reply(t.http, cast.member.accessToken, mine.id, 'a');
    await reply(t.http, cast.member2.accessToken, mine.id, 'b');
    const other = await createThread(t.http, reader.accessToken, board.id, { title: 'Read already' });
    await reply(t.http, cast.member.accessToken, other.id, 'c');
    const hot = await createThread(t.http, cast.member2.accessToken, board.id, { title: 'Hot new topic' });
    for (let i = 0; i < 3; i++) await reply(t.http, cast.member.accessToken, hot.id, `hot ${i}`);
    const list = await inbox(t, reader);
    const read = list.items.find((n) => n.threadId === other.id);
    await t.http.post('/api/v1/notifications/read', { ids: [read.id] }, { token: reader.accessToken });

    await digests.runOnce();
    await sender.runOnce();
    expect(mailsTo(reader)).toEqual([]); // a day has not passed
    clock.advance(DAY + 1000);
    expect(await digests.runOnce()).toBeGreaterThanOrEqual(1);
    await sender.runOnce();
    const [digest] = mailsTo(reader);
    expect(digest.subject).toBe('Your daily digest: 1 unread notification');
    expect(digest.text).toContain('2 new replies in “My kettle”');
    expect(digest.text).toContain('Top new threads in');
    const [notificationsPart, topPart] = digest.text.split('Top new threads in');
    expect(notificationsPart).not.toContain('Read already');
    expect(topPart).toContain('Read already'); // a read notification's thread may still be a top thread
    expect(digest.text.indexOf('Hot new topic')).toBeGreaterThan(digest.text.indexOf('Top new threads in'));
    expect(digest.unsubscribeUrl).toContain('/api/v1/notifications/unsubscribe?token=');

    await digests.runOnce();
    await sender.runOnce();
    expect(mailsTo(reader)).toHaveLength(1); // nothing new: no second digest
    const prefs = await t.http.get('/api/v1/me/notification-preferences', { token: reader.accessToken });
    expect(prefs.body.lastDigestAt).toEqual(expect.any(String));

    const path = digest.unsubscribeUrl!.slice('https://community.example.com'.length);
    expect((await t.http.post(path, undefined, { rawBody: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).body).toEqual({ stopped: 'digest' });
    expect((await t.http.get('/api/v1/me/notification-preferences', { token: reader.accessToken })).body.digestFrequency).toBe('never');
  });

  it('prunes notifications older than 90 days', async () => {
    const old = await createMember(t.http, cast.admin.accessToken, cast.slug);
    await mention(old, 'Ancient');
    expect((await inbox(t, old)).items).toHaveLength(1);
    clock.advance(91 * DAY);
    await digests.runOnce();
    await sender.runOnce();
    expect((await inbox(t, old)).items).toHaveLength(0);
  });
});

describe('notifications: email without SMTP_URL', () => {
  it('logs the email as one JSON line and counts it as sent', async () => {
    const logs = captureLogs();
    const t = await startApp({ env: { LOG_LEVEL: 'info', NOTIFICATION_EMAIL_DELAY_SECONDS: '0' }, options: { logDestination: logs.sink } });
    try {
      await t.app.get(EmailSender).stop();
      const cast = await createCast(t.http);
      const board = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'talk' });
      await createThread(t.http, cast.member.accessToken, board.id, { title: 'Logged', body: `@${handleOf(cast.staff)}` });
      await notificationsSettled(t);
      expect(await t.app.get(EmailSender).runOnce()).toBe(1);
      const line = await eventually(() => logs.lines.find((l) => l.includes('You were mentioned in “Logged”')));
      const parsed = JSON.parse(line!);
      expect(parsed.mail).toEqual(expect.objectContaining({ to: cast.staff.email, subject: 'You were mentioned in “Logged”' }));
      expect(parsed.mail.headers['List-Unsubscribe']).toContain('/api/v1/notifications/unsubscribe?token=');
    } finally {
      await t.close();
    }
  }, 60_000);
});
