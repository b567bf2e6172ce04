import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRow {
  id: string;
  community_id: string;
  event_id: string;
  webhook_id: string;
  type: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  retry_step: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  created_key: string;
  delivered_at: Date | null;
  failed_at: Date | null;
}

export interface AttemptRow {
  delivery_id: string;
  attempted_at: Date;
  status_code: number | null;
  duration_ms: number;
  response: string | null;
  error: string | null;
}

/** A delivery claimed for sending, with what the attempt needs from its connection. */
export interface ClaimedDelivery {
  id: string;
  community_id: string;
  webhook_id: string;
  body: string;
  retry_step: number;
  lease_token: string;
  webhook_url: string;
  webhook_secret: string;
  previous_webhook_secret: string | null;
  previous_until: Date | null;
}

/** One attempt's result, to be recorded with `settle`. */
export interface Settlement {
  claimed: ClaimedDelivery;
  attempt: { at: Date; statusCode: number | null; durationMs: number; response: string; error: string | null };
  outcome: { status: DeliveryStatus; retryStep: number; nextAttemptAt: Date | null; disableConnection: string | null };
}

const DELIVERY_COLUMNS = `d.id, d.community_id, d.event_id, d.webhook_id, d.type, d.body, d.status, d.attempts, d.retry_step, d.next_attempt_at,
  d.last_status_code, d.last_error, d.created_at, d.created_at::text AS created_key, d.delivered_at, d.failed_at`;

/** SQL of the outbound deliveries and their attempts. */
@Injectable()
export class DeliveriesRepository {
  constructor(private readonly db: Db) {}

  /** In the outbox consumer's transaction; a second call for the same event does nothing. */
  /** New deliveries (one statement however many); an event already queued for its community is skipped. */
  async insert(ds: Array<{ communityId: string; eventId: string; type: string; body: string; createdAt: Date; now: Date }>): Promise<void> {
    if (!ds.length) return;
    await this.db.query(
      `INSERT INTO store_deliveries (community_id, event_id, webhook_id, type, body, next_attempt_at, created_at)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::varchar[], $4::varchar[], $5::text[], $6::timestamptz[], $7::timestamptz[])
       ON CONFLICT (community_id, event_id) DO NOTHING`,
      [
        ds.map((d) => d.communityId),
        ds.map((d) => d.eventId),
        ds.map(() => `msg_${randomBytes(16).toString('hex')}`),
        ds.map((d) => d.type),
        ds.map((d) => d.body),
        ds.map((d) => d.now.toISOString()),
        ds.map((d) => d.createdAt.toISOString()),
      ],
    );
  }

  /**
   * Leases up to `limit` due deliveries of enabled connections, at most `room(communityId)` per
   * community, skipping communities in `busy` (at their cap) and rows another instance holds
   * (SKIP LOCKED) or leased (an unexpired lease). Candidates are taken community by community (the
   * oldest due of each, up to `perCommunity`), so one community's backlog never fills the claim and
   * starves the others. One short transaction; the sending happens after it.
   */
  async claim(now: Date, leaseMs: number, limit: number, busy: string[], room: (communityId: string) => number, perCommunity: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    return this.db.transaction(async () => {
      const candidates = await this.db.query<{ id: string; community_id: string }>(
        `SELECT x.id, x.community_id FROM store_connections c
           CROSS JOIN LATERAL (
             SELECT d.id, d.community_id, d.next_attempt_at FROM store_deliveries d
              WHERE d.community_id = c.community_id AND d.status = 'pending' AND d.next_attempt_at <= $1
                AND (d.lease_until IS NULL OR d.lease_until < $1)
              ORDER BY d.next_attempt_at
              LIMIT $4
              FOR UPDATE OF d SKIP LOCKED
           ) x
          WHERE c.disabled_at IS NULL AND NOT (c.community_id = ANY($2::uuid[]))
          ORDER BY x.next_attempt_at
          LIMIT $3`,
        [now, busy, limit * 4, perCommunity],
      );
      const taken = new Map<string, number>();
      const ids: string[] = [];
      for (const c of candidates) {
        if (ids.length >= limit) break;
        const n = taken.get(c.community_id) ?? 0;
        if (n >= room(c.community_id)) continue;
        taken.set(c.community_id, n + 1);
        ids.push(c.id);
      }
      if (!ids.length) return [];
      const token = randomUUID();
      return this.db.query<ClaimedDelivery>(
        `UPDATE store_deliveries d SET lease_until = $2, lease_token = $3
           FROM store_connections c
          WHERE d.id = ANY($1::uuid[]) AND c.community_id = d.community_id
          RETURNING d.id, d.community_id, d.webhook_id, d.body, d.retry_step, d.lease_token,
                    c.webhook_url, c.webhook_secret, c.previous_webhook_secret, c.previous_until`,
        [ids, new Date(now.getTime() + leaseMs), token],
      );
    });
  }

  /**
   * Records attempts and the deliveries' new states, in one transaction of two statements however many
   * there are; each only if this instance still holds its lease (a lease that expired and was taken by
   * another instance is theirs to settle).
   */
  async settle(settlements: Settlement[]): Promise<void> {
    if (!settlements.length) return;
    const col = <T>(f: (s: Settlement) => T) => settlements.map(f);
    await this.db.transaction(async () => {
      const settled = await this.db.query<{ id: string }>(
        `UPDATE store_deliveries d SET status = s.status, attempts = d.attempts + 1, retry_step = s.retry_step,
                next_attempt_at = COALESCE(s.next_at, d.next_attempt_at), lease_until = NULL, lease_token = NULL,
                last_status_code = s.code, last_error = s.error,
                delivered_at = CASE WHEN s.status = 'delivered' THEN s.at ELSE d.delivered_at END,
                failed_at = CASE WHEN s.status = 'failed' THEN s.at ELSE NULL END
           FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::int[], $5::timestamptz[], $6::int[], $7::varchar[], $8::timestamptz[])
                AS s(id, token, status, retry_step, next_at, code, error, at)
          WHERE d.id = s.id AND d.lease_token = s.token
          RETURNING d.id`,
        [
          col((s) => s.claimed.id),
          col((s) => s.claimed.lease_token),
          col((s) => s.outcome.status),
          col((s) => s.outcome.retryStep),
          col((s) => s.outcome.nextAttemptAt?.toISOString() ?? null),
          col((s) => s.attempt.statusCode),
          col((s) => s.attempt.error),
          col((s) => s.attempt.at.toISOString()),
        ],
      );
      await this.db.query(
        `INSERT INTO store_delivery_attempts (delivery_id, attempted_at, status_code, duration_ms, response, error)
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::int[], $5::varchar[], $6::varchar[])`,
        [
          col((s) => s.claimed.id),
          col((s) => s.attempt.at.toISOString()),
          col((s) => s.attempt.statusCode),
          col((s) => s.attempt.durationMs),
          col((s) => s.attempt.response.slice(0, 1024)),
          col((s) => s.attempt.error?.slice(0, 500) ?? null),
        ],
      );
      const ours = new Set(settled.map((r) => r.id));
      for (const s of settlements) {
        if (!s.outcome.disableConnection || !ours.has(s.claimed.id)) continue;
        await this.db.query(`UPDATE store_connections SET disabled_at = $2, disabled_reason = $3 WHERE community_id = $1 AND disabled_at IS NULL`, [
          s.claimed.community_id,
          s.attempt.at,
          s.outcome.disableConnection,
        ]);
      }
    });
  }

  async list(communityId: string, q: { status?: DeliveryStatus; type?: string; limit: number; after: [string, string] | null }): Promise<DeliveryRow[]> {
    const params: unknown[] = [communityId, q.limit + 1];
    let where = 'd.community_id = $1';
    if (q.status) {
      params.push(q.status);
      where += ` AND d.status = $${params.length}`;
    }
    if (q.type) {
      params.push(q.type);
      where += ` AND d.type = $${params.length}`;
    }
    if (q.after) {
      params.push(q.after[0], q.after[1]);
      where += ` AND (d.created_at, d.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    return this.db.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM store_deliveries d WHERE ${where} ORDER BY d.created_at DESC, d.id DESC LIMIT $2`, params);
  }

  /** The latest attempts (at most `perDelivery`) of some deliveries, oldest first. */
  async attempts(deliveryIds: string[], perDelivery = 20): Promise<Map<string, AttemptRow[]>> {
    const out = new Map<string, AttemptRow[]>();
    if (!deliveryIds.length) return out;
    const rows = await this.db.query<AttemptRow>(
      `SELECT delivery_id, attempted_at, status_code, duration_ms, response, error FROM (
         SELECT a.*, row_number() OVER (PARTITION BY a.delivery_id ORDER BY a.id DESC) AS n
           FROM store_delivery_attempts a WHERE a.delivery_id = ANY($1::uuid[])) x
        WHERE n <= $2 ORDER BY delivery_id, id`,
      [deliveryIds, perDelivery],
    );
    for (const r of rows) out.set(r.delivery_id, [...(out.get(r.delivery_id) ?? []), r]);
    return out;
  }

  async get(id: string): Promise<DeliveryRow | null> {
    const [row] = await this.db.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM store_deliveries d WHERE d.id = $1`, [id]);
    return row ?? null;
  }

  /** Due again now, with a fresh retry schedule; the webhook id and body stay. */
  async requeue(id: string, now: Date): Promise<DeliveryRow | null> {
    const [row] = await this.db.query<DeliveryRow>(
      `UPDATE store_deliveries d SET status = 'pending', retry_step = 0, next_attempt_at = $2, failed_at = NULL
        WHERE d.id = $1 RETURNING ${DELIVERY_COLUMNS}`,
      [id, now],
    );
    return row ?? null;
  }

  async requeueFailed(communityId: string, since: Date, now: Date): Promise<number> {
    const { affected } = await this.db.execute(
      `UPDATE store_deliveries SET status = 'pending', retry_step = 0, next_attempt_at = $3, failed_at = NULL
        WHERE community_id = $1 AND status = 'failed' AND created_at >= $2`,
      [communityId, since, now],
    );
    return affected;
  }

  /** Deletes delivered deliveries older than `before` (their attempts go with them), a batch at a time. */
  async pruneDelivered(before: Date, batch = 1000): Promise<number> {
    const { affected } = await this.db.execute(
      `DELETE FROM store_deliveries WHERE id IN (
         SELECT id FROM store_deliveries WHERE status = 'delivered' AND delivered_at < $1 LIMIT $2)`,
      [before, batch],
    );
    return affected;
  }
}
