import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bridge to the store (issue 16): one connection per community (URL, selected event types,
 * secrets), outbound deliveries with their attempts, inbound webhook ids (each takes effect once),
 * SSO nonces (each works once, kept until it expires), inbound events kept for customers not linked
 * yet, the link from a store customer to a member, and the store's orders with their SKUs (which make
 * verified buyers).
 */
export class Store1764150000000 implements MigrationInterface {
  name = 'Store1764150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE store_connections (
        community_id uuid PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
        webhook_url varchar(2000) NOT NULL,
        events text[] NOT NULL,
        webhook_secret varchar(100) NOT NULL,
        inbound_secret varchar(100) NOT NULL,
        sso_secret varchar(100) NOT NULL,
        previous_webhook_secret varchar(100),
        previous_inbound_secret varchar(100),
        previous_sso_secret varchar(100),
        previous_until timestamptz,
        disabled_at timestamptz,
        disabled_reason varchar(200),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE store_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        event_id bigint NOT NULL,
        webhook_id varchar(64) NOT NULL,
        type varchar(64) NOT NULL,
        body text NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        retry_step int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        lease_until timestamptz,
        lease_token uuid,
        last_status_code int,
        last_error varchar(500),
        created_at timestamptz NOT NULL,
        delivered_at timestamptz,
        failed_at timestamptz,
        UNIQUE (community_id, event_id),
        UNIQUE (webhook_id)
      )`);
    await q.query(`CREATE INDEX store_deliveries_due_idx ON store_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX store_deliveries_list_idx ON store_deliveries (community_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX store_deliveries_status_idx ON store_deliveries (community_id, status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX store_deliveries_prune_idx ON store_deliveries (delivered_at) WHERE status = 'delivered'`);

    await q.query(`
      CREATE TABLE store_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES store_deliveries(id) ON DELETE CASCADE,
        attempted_at timestamptz NOT NULL,
        status_code int,
        duration_ms int NOT NULL,
        response varchar(1024),
        error varchar(500)
      )`);
    await q.query(`CREATE INDEX store_delivery_attempts_delivery_idx ON store_delivery_attempts (delivery_id, id)`);

    await q.query(`
      CREATE TABLE store_inbound_events (
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        webhook_id varchar(200) NOT NULL,
        type varchar(64) NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (community_id, webhook_id)
      )`);
    await q.query(`CREATE INDEX store_inbound_events_age_idx ON store_inbound_events (received_at)`);

    await q.query(`
      CREATE TABLE store_sso_nonces (
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        nonce varchar(200) NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (community_id, nonce)
      )`);
    await q.query(`CREATE INDEX store_sso_nonces_expiry_idx ON store_sso_nonces (expires_at)`);

    await q.query(`
      CREATE TABLE store_customers (
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        customer_id varchar(200) NOT NULL,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        tier varchar(100),
        tier_changed_at timestamptz,
        linked_at timestamptz NOT NULL,
        PRIMARY KEY (community_id, customer_id),
        UNIQUE (community_id, user_id)
      )`);

    await q.query(`
      CREATE TABLE store_pending_events (
        id bigserial PRIMARY KEY,
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        customer_id varchar(200) NOT NULL,
        webhook_id varchar(200) NOT NULL,
        type varchar(64) NOT NULL,
        data jsonb NOT NULL,
        received_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX store_pending_events_customer_idx ON store_pending_events (community_id, customer_id, id)`);

    await q.query(`
      CREATE TABLE store_orders (
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        order_id varchar(200) NOT NULL,
        customer_id varchar(200) NOT NULL,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        total numeric(14, 2) NOT NULL,
        currency varchar(10) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('paid', 'refunded')),
        paid_at timestamptz NOT NULL,
        refunded_at timestamptz,
        PRIMARY KEY (community_id, order_id)
      )`);
    await q.query(`CREATE INDEX store_orders_member_idx ON store_orders (community_id, user_id) WHERE status = 'paid'`);

    await q.query(`
      CREATE TABLE store_order_items (
        community_id uuid NOT NULL,
        order_id varchar(200) NOT NULL,
        sku varchar(64) NOT NULL,
        quantity int NOT NULL,
        PRIMARY KEY (community_id, order_id, sku),
        FOREIGN KEY (community_id, order_id) REFERENCES store_orders(community_id, order_id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE store_order_items, store_orders, store_pending_events, store_customers, store_sso_nonces,
      store_inbound_events, store_delivery_attempts, store_deliveries, store_connections`);
  }
}
