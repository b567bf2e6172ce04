import { Injectable, OnModuleInit } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { CommunitiesService } from '../communities/communities.service';
import { VerifiedBuyersService } from '../threads/verified-buyers.service';
import { AddressRefusedError, assertPublicHost, hostOf, urlProblem } from './address-policy';
import { PutStoreDto, StoreConnectionView, StoreMemberView } from './dto/store.dto';
import { newSecret } from './signing';
import { StoreErrors } from './store.errors';
import { ConnectionRow, StoreRepository } from './store.repository';
import { DEFAULT_WEBHOOK_EVENT_TYPES, isSendable } from './webhook-events';
import { WebhookSettings } from './webhook-settings';

export function toConnectionView(c: ConnectionRow, secrets?: { webhook: string; inbound: string; sso: string }): StoreConnectionView {
  const view: StoreConnectionView = {
    webhookUrl: c.webhook_url,
    events: c.events,
    enabled: !c.disabled_at,
    disabledAt: c.disabled_at ? new Date(c.disabled_at).toISOString() : null,
    disabledReason: c.disabled_reason,
    previousSecretsUntil: c.previous_until ? new Date(c.previous_until).toISOString() : null,
    createdAt: new Date(c.created_at).toISOString(),
    updatedAt: new Date(c.updated_at).toISOString(),
  };
  return secrets ? { ...view, webhookSecret: secrets.webhook, inboundSecret: secrets.inbound, ssoSecret: secrets.sso } : view;
}

/** The store connection (admin), the member's store view, and the buyer lookup threads ask. */
@Injectable()
export class StoreService implements OnModuleInit {
  constructor(
    private readonly db: Db,
    private readonly repo: StoreRepository,
    private readonly settings: WebhookSettings,
    private readonly communities: CommunitiesService,
    private readonly verifiedBuyers: VerifiedBuyersService,
  ) {}

  onModuleInit() {
    // New posts about SKUs their author bought carry the mark from the start (threads asks through this).
    this.verifiedBuyers.registerLookup({ boughtAny: async (communityId, userId, skus) => (await this.repo.paidSkus(communityId, userId, skus)).length > 0 });
  }

  async get(community: CommunityContext): Promise<StoreConnectionView> {
    const row = await this.repo.connection(community.id);
    if (!row) throw StoreErrors.notConnected();
    return toConnectionView(row);
  }

  /** Creates or updates the connection; the secrets appear only in the answer that created them. */
  async put(community: CommunityContext, dto: PutStoreDto): Promise<StoreConnectionView> {
    const events = dto.events ? [...new Set(dto.events)] : [...DEFAULT_WEBHOOK_EVENT_TYPES];
    const unknown = events.filter((e) => !isSendable(e));
    if (unknown.length) throw StoreErrors.unknownEvents(unknown);
    await this.assertUrlAllowed(dto.webhookUrl);
    const secrets = { webhook: newSecret(), inbound: newSecret(), sso: newSecret() };
    const { row, created } = await this.repo.upsertConnection(community.id, { webhookUrl: dto.webhookUrl, events: events.sort(), secrets }, this.settings.now());
    return toConnectionView(row, created ? secrets : undefined);
  }

  /** New secrets, shown once; the previous ones keep signing (webhooks) and verifying (inbound, SSO) for 24 h. */
  async rotate(community: CommunityContext): Promise<StoreConnectionView> {
    const secrets = { webhook: newSecret(), inbound: newSecret(), sso: newSecret() };
    const now = this.settings.now();
    const row = await this.repo.rotate(community.id, secrets, now, new Date(now.getTime() + this.settings.rotationOverlapMs));
    if (!row) throw StoreErrors.notConnected();
    return toConnectionView(row, secrets);
  }

  /** http(s) only, and (unless private networks are allowed) every address the host resolves to must be public. */
  async assertUrlAllowed(raw: string): Promise<void> {
    const problem = urlProblem(raw);
    if (problem) throw StoreErrors.badWebhookUrl(problem);
    const host = hostOf(new URL(raw));
    try {
      await assertPublicHost(host, this.settings.allowPrivateNetworks);
    } catch (err) {
      if (err instanceof AddressRefusedError) throw StoreErrors.privateAddress(err.address);
      throw StoreErrors.unresolvable(host);
    }
  }

  /**
   * A member as the store sees them: the store's tier badge and the SKUs they bought, for any member
   * of the community; the store customer id for staff and the member themselves.
   */
  async member(actor: Actor, community: CommunityContext, userId: string): Promise<StoreMemberView> {
    const membership = await this.communities.membership(community.id, userId);
    if (!membership) throw StoreErrors.memberNotFound();
    const link = await this.repo.member(community.id, userId);
    const skus = await this.repo.paidSkus(community.id, userId);
    const view: StoreMemberView = {
      userId,
      storeTier: link?.tier ?? null,
      storeTierChangedAt: link?.tier_changed_at ? new Date(link.tier_changed_at).toISOString() : null,
      linked: Boolean(link),
      verifiedBuyerSkus: skus,
    };
    if (actor.userId === userId || roleAtLeast(community.role, 'staff')) view.storeCustomerId = link?.customer_id ?? null;
    return view;
  }

  /** For the insights export (a read, no rights check): whether the community has a store connection. */
  async hasConnection(communityId: string): Promise<boolean> {
    return Boolean(await this.repo.connection(communityId));
  }

  /** For the insights export (a read, no rights check): the store customer ids of these members, where linked. */
  async customerIds(communityId: string, userIds: string[]): Promise<Map<string, string>> {
    if (!userIds.length) return new Map();
    const rows = await this.db.query<{ user_id: string; customer_id: string }>(
      'SELECT user_id, customer_id FROM store_customers WHERE community_id = $1 AND user_id = ANY($2::uuid[])',
      [communityId, userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.customer_id]));
  }
}
