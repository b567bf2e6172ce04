import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { LOGGER } from '../core/logging/logger';
import { CommunitiesService } from '../communities/communities.service';
import { LivePostsService } from '../threads/live-posts.service';
import { DigestRepository } from './digest.repository';
import { EmailQueueRepository } from './email-queue.repository';
import { EmailSender } from './email-sender';
import { DigestCommunity, renderDigest } from './email-templates';
import { deliveryOf, DIGEST_PERIOD_MS, NotificationType } from './notification-types';
import { NotificationsClock } from './notifications.clock';
import { NotificationsRepository } from './notifications.repository';

const RETENTION_MS = 90 * 86_400_000;
const TOP_THREADS = 5;
const RECIPIENTS_PER_PASS = 200;

/**
 * Every NOTIFICATION_DIGEST_INTERVAL_SECONDS: digests for members who are due one, and the prune of
 * notifications older than 90 days. Each digest is built in one transaction that locks the member's
 * preferences row (SKIP LOCKED, so instances never build the same one), marks the notifications it
 * carries and queues the email, which the sender then sends like any other.
 */
@Injectable()
export class DigestScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: Db,
    private readonly digests: DigestRepository,
    private readonly notifications: NotificationsRepository,
    private readonly queue: EmailQueueRepository,
    private readonly posts: LivePostsService,
    private readonly communities: CommunitiesService,
    private readonly sender: EmailSender,
    private readonly clock: NotificationsClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.runOnce().catch((err) => this.logger.error({ err }, 'notification digest pass failed')), this.config.notificationDigestIntervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass: prune, then queue the digests that are due; returns how many digests it queued. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    const now = this.clock.now();
    await this.prune(now);
    let queued = 0;
    for (const userId of await this.digests.dueRecipients(now, RECIPIENTS_PER_PASS)) {
      if (await this.db.transaction(() => this.digestFor(userId, now))) queued++;
    }
    return queued;
  }

  private async prune(now: Date) {
    const before = new Date(now.getTime() - RETENTION_MS);
    while ((await this.notifications.prune(before, 1000)) === 1000) {
      /* in slices, so no statement holds many rows */
    }
    await this.queue.pruneSettled(before);
  }

  private async digestFor(userId: string, now: Date): Promise<boolean> {
    const prefs = await this.digests.lockRecipient(userId);
    if (!prefs || prefs.digest_frequency === 'never') return false;
    const period = DIGEST_PERIOD_MS[prefs.digest_frequency];
    if (prefs.last_digest_at && new Date(prefs.last_digest_at).getTime() > now.getTime() - period) return false;
    const waiting = await this.digests.waiting(userId);
    if (!waiting.length) return false;
    // Every waiting notification is now "seen by a digest"; those of types the member keeps in-app only are just not listed.
    await this.digests.markDigested(userId, waiting.map((n) => n.id), now);
    const items = waiting.filter((n) => ['email', 'digest'].includes(deliveryOf(prefs.types as never, n.type as NotificationType)));
    if (!items.length) return false;
    // Threads carry the database's wall-clock times, not this module's (movable) clock: the last period by the wall clock.
    const since = new Date(Date.now() - period);
    const names = new Map((await this.communities.myMemberships(userId)).map((m) => [m.community.id, m.community.name]));
    const communities: DigestCommunity[] = [];
    for (const communityId of new Set(items.map((n) => n.community_id))) {
      communities.push({ name: names.get(communityId) ?? 'your community', threads: await this.posts.topNewThreads(communityId, since, TOP_THREADS) });
    }
    const email = renderDigest(items, communities, this.config.publicUrl, this.sender.unsubscribeUrl(userId, 'digest'), prefs.digest_frequency);
    await this.queue.queueDigest(userId, email, now);
    return true;
  }
}
