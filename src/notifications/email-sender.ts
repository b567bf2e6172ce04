import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Realtime, SocketRooms } from '../chat/realtime';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { LOGGER } from '../core/logging/logger';
import { Mailer } from '../core/mail/mailer';
import { IdentityService } from '../identity/identity.service';
import { EmailQueueRepository, EmailOutcome, EmailRow } from './email-queue.repository';
import { renderImmediate } from './email-templates';
import { deliveryOf, NotificationType } from './notification-types';
import { NotificationsClock } from './notifications.clock';
import { NotificationsRepository } from './notifications.repository';
import { UnsubscribeScope, UnsubscribeTokens } from './unsubscribe-tokens';

/** At most this many immediate emails per recipient per hour; the rest wait for the digest. */
export const IMMEDIATE_EMAILS_PER_HOUR = 20;
const BATCH = 20;
const MAX_ATTEMPTS = 8;
const HOUR_MS = 3_600_000;

/**
 * Sends queued emails outside any transaction. Each pass claims due rows with a lease, sends them
 * one by one and marks each sent right after its SMTP server accepted it. Delivery is at least once:
 * a sender that dies between the SMTP server's acceptance and that mark (one message at most) leaves
 * the row leased, and after the lease (NOTIFICATION_EMAIL_LEASE_SECONDS) another sender sends it again.
 * Rows it had claimed but not started are sent once, by whoever takes them after the lease.
 */
@Injectable()
export class EmailSender implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = true;
  /** Set by stop(): the pass in progress returns before its next email. */
  private aborted = false;

  constructor(
    private readonly queue: EmailQueueRepository,
    private readonly notifications: NotificationsRepository,
    private readonly mailer: Mailer,
    private readonly realtime: Realtime,
    private readonly identity: IdentityService,
    private readonly tokens: UnsubscribeTokens,
    private readonly clock: NotificationsClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.start();
  }

  async onApplicationShutdown() {
    await this.stop();
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.runOnce().catch((err) => this.logger.error({ err }, 'notification email pass failed')), this.config.notificationSenderIntervalMs);
    this.timer.unref();
  }

  /** Stops taking rows: the email being sent finishes and is marked; the rest of the batch stays leased. */
  async stop() {
    this.stopped = true;
    this.aborted = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** One pass (never two at once in this process); returns how many emails it sent. Runs even when stopped (tests drive it). */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    let sent = 0;
    this.aborted = false;
    for (;;) {
      const now = this.clock.now();
      const rows = await this.queue.claim(now, new Date(now.getTime() + this.config.notificationEmailLeaseSeconds * 1000), BATCH);
      for (const row of rows) {
        // stop() between two emails: the rest of the batch keeps its lease, as if this process had died here.
        if (this.aborted) return sent;
        if ((await this.process(row)) === 'sent') sent++;
      }
      if (rows.length < BATCH) return sent;
    }
  }

  private async process(row: EmailRow): Promise<EmailOutcome | 'retry'> {
    try {
      const decision = row.kind === 'immediate' ? await this.prepareImmediate(row) : { subject: row.subject!, text: row.text_body!, html: row.html_body!, scope: 'digest' as const };
      if ('drop' in decision) {
        await this.queue.finish(row, decision.drop === 'rate_limited' ? 'deferred' : 'dropped', decision.drop, this.clock.now());
        return decision.drop === 'rate_limited' ? 'deferred' : 'dropped';
      }
      const me = await this.identity.getMe(row.recipient_id);
      const unsubscribeUrl = this.unsubscribeUrl(row.recipient_id, decision.scope);
      await this.mailer.send({
        to: me.email,
        subject: decision.subject,
        text: decision.text,
        html: decision.html,
        headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
      await this.queue.finish(row, 'sent', null, this.clock.now());
      return 'sent';
    } catch (err) {
      const failed = row.attempts >= MAX_ATTEMPTS;
      this.logger.warn({ err, emailId: row.id, attempts: row.attempts, failed }, 'notification email failed');
      if (failed) await this.queue.finish(row, 'failed', String((err as Error)?.message ?? err).slice(0, 40), this.clock.now()).catch(() => undefined);
      else await this.queue.retryLater(row, String((err as Error)?.message ?? err), new Date(this.clock.now().getTime() + 30_000 * 2 ** row.attempts)).catch(() => undefined);
      return 'retry';
    }
  }

  /** Whether the immediate email still makes sense now, and its content (rendered now: a collapsed notification shows its total). */
  private async prepareImmediate(row: EmailRow): Promise<{ drop: string } | { subject: string; text: string; html: string; scope: UnsubscribeScope }> {
    const n = await this.notifications.byId(row.notification_id!);
    if (!n) return { drop: 'gone' };
    if (n.read_at) return { drop: 'read' };
    const prefs = (await this.notifications.preferences([row.recipient_id])).get(row.recipient_id);
    if (deliveryOf(prefs?.types ?? {}, n.type as NotificationType) !== 'email') return { drop: 'preference' };
    if (await this.connected(row.recipient_id)) return { drop: 'connected' };
    const now = this.clock.now();
    if ((await this.queue.sentSince(row.recipient_id, new Date(now.getTime() - HOUR_MS))) >= IMMEDIATE_EMAILS_PER_HOUR) return { drop: 'rate_limited' };
    const scope = n.type as NotificationType;
    return { ...renderImmediate(n, this.config.publicUrl, this.unsubscribeUrl(row.recipient_id, scope)), scope };
  }

  /** Has the recipient a socket connected, on any instance? */
  private async connected(userId: string): Promise<boolean> {
    const io = this.realtime.io;
    if (!io) return false;
    try {
      return (await io.in(SocketRooms.user(userId)).fetchSockets()).length > 0;
    } catch (err) {
      this.logger.warn({ err }, 'could not ask for connected sockets; sending');
      return false;
    }
  }

  unsubscribeUrl(userId: string, scope: UnsubscribeScope): string {
    return `${this.config.publicUrl}/api/v1/notifications/unsubscribe?token=${encodeURIComponent(this.tokens.sign(userId, scope))}`;
  }
}
