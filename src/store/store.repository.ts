import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';

export interface ConnectionRow {
  community_id: string;
  webhook_url: string;
  events: string[];
  webhook_secret: string;
  inbound_secret: string;
  sso_secret: string;
  previous_webhook_secret: string | null;
  previous_inbound_secret: string | null;
  previous_sso_secret: string | null;
  previous_until: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface OrderRow {
  order_id: string;
  user_id: string;
  customer_id: string;
  total: string;
  currency: string;
  status: 'paid' | 'refunded';
}

export interface PendingEventRow {
  id: string;
  webhook_id: string;
  type: string;
  data: Record<string, unknown>;
}

/** SQL of the store connection, customer links, orders, inbound ids, pending events and SSO nonces. */
@Injectable()
export class StoreRepository {
  constructor(private readonly db: Db) {}

  async connection(communityId: string): Promise<ConnectionRow | null> {
    const [row] = await this.db.query<ConnectionRow>('SELECT * FROM store_connections WHERE community_id = $1', [communityId]);
    return row ?? null;
  }

  /** Creates the connection (with its secrets) or updates URL and events (re-enabling it); says which. */
  async upsertConnection(
    communityId: string,
    input: { webhookUrl: string; events: string[]; secrets: { webhook: string; inbound: string; sso: string } },
    now: Date,
  ): Promise<{ row: ConnectionRow; created: boolean }> {
    const [row] = await this.db.query<ConnectionRow & { created: boolean }>(
      `INSERT INTO store_connections (community_id, webhook_url, events, webhook_secret, inbound_secret, sso_secret, created_at, updated_at)
       VALUES ($1, $2, $3::text[], $4, $5, $6, $7, $7)
       ON CONFLICT (community_id) DO UPDATE SET webhook_url = EXCLUDED.webhook_url, events = EXCLUDED.events, updated_at = EXCLUDED.updated_at,
              disabled_at = NULL, disabled_reason = NULL
       RETURNING *, (xmax = 0) AS created`,
      [communityId, input.webhookUrl, input.events, input.secrets.webhook, input.secrets.inbound, input.secrets.sso, now],
    );
    const { created, ...connection } = row;
    return { row: connection, created };
  }

  /** New secrets; the current ones become the previous ones until `until`. */
  async rotate(communityId: string, secrets: { webhook: string; inbound: string; sso: string }, now: Date, until: Date): Promise<ConnectionRow | null> {
    const [row] = await this.db.query<ConnectionRow>(
      `UPDATE store_connections SET previous_webhook_secret = webhook_secret, previous_inbound_secret = inbound_secret,
              previous_sso_secret = sso_secret, previous_until = $5, webhook_secret = $2, inbound_secret = $3, sso_secret = $4, updated_at = $6
        WHERE community_id = $1 RETURNING *`,
      [communityId, secrets.webhook, secrets.inbound, secrets.sso, until, now],
    );
    return row ?? null;
  }

  /** The customer linked to a member, for webhook data. */
  /** The connections of these communities (those that have one), by community id. */
  async connections(communityIds: string[]): Promise<Map<string, ConnectionRow>> {
    const rows = await this.db.query<ConnectionRow>('SELECT * FROM store_connections WHERE community_id = ANY($1::uuid[])', [communityIds]);
    return new Map(rows.map((r) => [r.community_id, r]));
  }

  /** Store customer ids of (community, member) pairs that are linked, keyed `community:user`. */
  async customersOfUsers(pairs: Array<{ communityId: string; userId: string }>): Promise<Map<string, string>> {
    if (!pairs.length) return new Map();
    const rows = await this.db.query<{ community_id: string; user_id: string; customer_id: string }>(
      `SELECT c.community_id, c.user_id, c.customer_id FROM store_customers c
         JOIN unnest($1::uuid[], $2::uuid[]) AS p(community_id, user_id) ON c.community_id = p.community_id AND c.user_id = p.user_id`,
      [pairs.map((p) => p.communityId), pairs.map((p) => p.userId)],
    );
    return new Map(rows.map((r) => [`${r.community_id}:${r.user_id}`, r.customer_id]));
  }

  /** A deleted account: its store customer ids are unlinked in every community (the store bridge forgets the person). */
  async unlinkUser(userId: string): Promise<void> {
    await this.db.query('DELETE FROM store_customers WHERE user_id = $1', [userId]);
  }

  async customerOfUser(communityId: string, userId: string): Promise<string | null> {
    const [row] = await this.db.query<{ customer_id: string }>('SELECT customer_id FROM store_customers WHERE community_id = $1 AND user_id = $2', [communityId, userId]);
    return row?.customer_id ?? null;
  }

  async userOfCustomer(communityId: string, customerId: string): Promise<string | null> {
    const [row] = await this.db.query<{ user_id: string }>('SELECT user_id FROM store_customers WHERE community_id = $1 AND customer_id = $2', [communityId, customerId]);
    return row?.user_id ?? null;
  }

  /** Links a customer to a member; false when either is already linked to someone else. */
  async link(communityId: string, customerId: string, userId: string, now: Date): Promise<boolean> {
    const [row] = await this.db.query<{ customer_id: string }>(
      `INSERT INTO store_customers (community_id, customer_id, user_id, linked_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING customer_id`,
      [communityId, customerId, userId, now],
    );
    return Boolean(row);
  }

  async setTier(communityId: string, customerId: string, tier: string, now: Date): Promise<void> {
    await this.db.query('UPDATE store_customers SET tier = $3, tier_changed_at = $4 WHERE community_id = $1 AND customer_id = $2', [communityId, customerId, tier, now]);
  }

  async member(communityId: string, userId: string): Promise<{ customer_id: string; tier: string | null; tier_changed_at: Date | null } | null> {
    const [row] = await this.db.query<{ customer_id: string; tier: string | null; tier_changed_at: Date | null }>(
      'SELECT customer_id, tier, tier_changed_at FROM store_customers WHERE community_id = $1 AND user_id = $2',
      [communityId, userId],
    );
    return row ?? null;
  }

  /** Each webhook id takes effect once: false when it was seen before. In the effect's transaction. */
  async claimInboundId(communityId: string, webhookId: string, type: string, now: Date): Promise<boolean> {
    const [row] = await this.db.query<{ webhook_id: string }>(
      `INSERT INTO store_inbound_events (community_id, webhook_id, type, received_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING webhook_id`,
      [communityId, webhookId, type, now],
    );
    return Boolean(row);
  }

  /** A nonce works once: false when it was used before (kept until it expires). */
  async claimNonce(communityId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const [row] = await this.db.query<{ nonce: string }>(
      `INSERT INTO store_sso_nonces (community_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING nonce`,
      [communityId, nonce, expiresAt],
    );
    return Boolean(row);
  }

  async keepPending(communityId: string, customerId: string, webhookId: string, type: string, data: object, now: Date): Promise<void> {
    await this.db.query(
      'INSERT INTO store_pending_events (community_id, customer_id, webhook_id, type, data, received_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6)',
      [communityId, customerId, webhookId, type, JSON.stringify(data), now],
    );
  }

  /** Takes (deletes and returns) a customer's kept events, oldest first. */
  async takePending(communityId: string, customerId: string): Promise<PendingEventRow[]> {
    const rows = await this.db.query<PendingEventRow>(
      `DELETE FROM store_pending_events WHERE community_id = $1 AND customer_id = $2 RETURNING id, webhook_id, type, data`,
      [communityId, customerId],
    );
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Records a paid order and its items; false when the order was already known. */
  async insertOrder(
    communityId: string,
    o: { orderId: string; customerId: string; userId: string; total: number; currency: string; items: Array<{ sku: string; quantity: number }> },
    now: Date,
  ): Promise<boolean> {
    const [row] = await this.db.query<{ order_id: string }>(
      `INSERT INTO store_orders (community_id, order_id, customer_id, user_id, total, currency, status, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'paid', $7) ON CONFLICT DO NOTHING RETURNING order_id`,
      [communityId, o.orderId, o.customerId, o.userId, o.total, o.currency, now],
    );
    if (!row) return false;
    const items = new Map<string, number>();
    for (const i of o.items) items.set(i.sku, (items.get(i.sku) ?? 0) + i.quantity);
    await this.db.query(
      `INSERT INTO store_order_items (community_id, order_id, sku, quantity) SELECT $1, $2, s, q FROM unnest($3::text[], $4::int[]) AS x(s, q)`,
      [communityId, o.orderId, [...items.keys()], [...items.values()]],
    );
    return true;
  }

  async orderForUpdate(communityId: string, orderId: string): Promise<(OrderRow & { skus: string[] }) | null> {
    const [row] = await this.db.query<OrderRow & { skus: string[] }>(
      `SELECT o.order_id, o.user_id, o.customer_id, o.total::text AS total, o.currency, o.status,
              ARRAY(SELECT i.sku FROM store_order_items i WHERE i.community_id = o.community_id AND i.order_id = o.order_id) AS skus
         FROM store_orders o WHERE o.community_id = $1 AND o.order_id = $2 FOR UPDATE`,
      [communityId, orderId],
    );
    return row ?? null;
  }

  async markRefunded(communityId: string, orderId: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE store_orders SET status = 'refunded', refunded_at = $3 WHERE community_id = $1 AND order_id = $2`, [communityId, orderId, now]);
  }

  /** The SKUs a member holds through paid orders (of `skus` only, when given). */
  async paidSkus(communityId: string, userId: string, skus?: string[]): Promise<string[]> {
    const rows = await this.db.query<{ sku: string }>(
      `SELECT DISTINCT i.sku FROM store_orders o JOIN store_order_items i ON i.community_id = o.community_id AND i.order_id = o.order_id
        WHERE o.community_id = $1 AND o.user_id = $2 AND o.status = 'paid' AND ($3::text[] IS NULL OR i.sku = ANY($3::text[]))
        ORDER BY i.sku`,
      [communityId, userId, skus ?? null],
    );
    return rows.map((r) => r.sku);
  }

  /** Drops used nonces past their expiry and inbound ids older than `inboundBefore`. */
  async pruneInbound(now: Date, inboundBefore: Date): Promise<void> {
    await this.db.query('DELETE FROM store_sso_nonces WHERE expires_at < $1', [now]);
    await this.db.query('DELETE FROM store_inbound_events WHERE received_at < $1', [inboundBefore]);
  }
}
