import { Inject, Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';
import { CommunitiesService } from '../communities/communities.service';
import { ReusablePhotosService } from '../threads/reusable-photos.service';
import { AttemptRow, DeliveriesRepository, DeliveryRow } from './deliveries.repository';
import { DeliveriesQueryDto, DeliveryView, ReusablePhotosQueryDto, ReusablePhotoView } from './dto/store.dto';
import { StoreErrors } from './store.errors';
import { WebhookSender } from './webhook-sender';
import { WebhookSettings } from './webhook-settings';

/** Newest first: creation time (PostgreSQL's text, to the microsecond), then id. */
const DELIVERIES_CURSOR = cursorKind<[string, string]>('store-deliveries', 'timestamp', 'uuid');

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toDeliveryView(d: DeliveryRow, attempts: AttemptRow[]): DeliveryView {
  return {
    id: d.id,
    eventId: String(d.event_id),
    webhookId: d.webhook_id,
    type: d.type,
    status: d.status,
    attemptCount: d.attempts,
    attempts: attempts.map((a) => ({
      at: new Date(a.attempted_at).toISOString(),
      statusCode: a.status_code,
      durationMs: a.duration_ms,
      response: a.response ?? '',
      error: a.error,
    })),
    nextAttemptAt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
    createdAt: new Date(d.created_at).toISOString(),
    deliveredAt: iso(d.delivered_at),
    failedAt: iso(d.failed_at),
    payload: JSON.parse(d.body) as Record<string, unknown>,
  };
}

/** The delivery log and replays (admin), and the reusable photos list. */
@Injectable()
export class DeliveriesService {
  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly cursors: Cursors,
    private readonly communities: CommunitiesService,
    private readonly sender: WebhookSender,
    private readonly settings: WebhookSettings,
    private readonly photos: ReusablePhotosService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(community: CommunityContext, query: DeliveriesQueryDto): Promise<Page<DeliveryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(DELIVERIES_CURSOR, query.cursor);
    const rows = await this.repo.list(community.id, { status: query.status, type: query.type, limit, after });
    const attempts = await this.repo.attempts(rows.slice(0, limit).map((r) => r.id));
    return this.cursors.page(DELIVERIES_CURSOR, rows, limit, (r) => toDeliveryView(r, attempts.get(r.id) ?? []), (r) => [r.created_key, r.id]);
  }

  /** Sends one again (same webhook-id, same body, a fresh signature), with a fresh retry schedule. */
  async retry(actor: Actor, deliveryId: string): Promise<DeliveryView> {
    const current = await this.repo.get(deliveryId);
    if (!current) throw StoreErrors.deliveryNotFound();
    try {
      await this.communities.requireRole(actor, current.community_id, 'admin');
    } catch {
      throw StoreErrors.deliveryNotFound(); // another community's delivery does not exist for this caller
    }
    const row = await this.repo.requeue(deliveryId, this.settings.now());
    if (!row) throw StoreErrors.deliveryNotFound();
    this.sender.wake();
    return toDeliveryView(row, (await this.repo.attempts([row.id])).get(row.id) ?? []);
  }

  async retryFailed(community: CommunityContext, since: string): Promise<{ replayed: number }> {
    const replayed = await this.repo.requeueFailed(community.id, new Date(since), this.settings.now());
    if (replayed) this.sender.wake();
    return { replayed };
  }

  async reusablePhotos(community: CommunityContext, query: ReusablePhotosQueryDto): Promise<Page<ReusablePhotoView>> {
    const page = await this.photos.list(community.id, query);
    return { items: page.items.map((p) => ({ ...p, threadUrl: `${this.config.publicUrl}/api/v1/threads/${p.threadId}` })), nextCursor: page.nextCursor };
  }
}
