import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { DAILY_COUNTERS, Effects, PROFILE_COUNTERS } from './event-effects';

interface Column {
  name: string;
  type: string;
}

/** Bind parameters of one statement: each array is one `$n::type[]`. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
  /** `unnest($a::t1[], $b::t2[], ...) AS alias(c1, c2, ...)` for rows of the columns' values. */
  unnest(alias: string, columns: Column[], rows: unknown[][]): string {
    const arrays = columns.map((c, i) => this.add(rows.map((r) => r[i]), `${c.type}[]`));
    return `unnest(${arrays.join(', ')}) AS ${alias}(${columns.map((c) => c.name).join(', ')})`;
  }
}

const byKey = <T>(map: Map<string, T>): T[] => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);

/**
 * Per-member rows (profiles, active days) are written only for members not deleted before: an event
 * that reaches the consumer after their `user.deleted` (an outbox straggler, such as loyalty's points
 * for a reply made just before) must not bring a profile back, or the live tables would depend on the
 * order of delivery and differ from the rebuild's.
 */
const NOT_FORGOTTEN = 'NOT EXISTS (SELECT 1 FROM insights_forgotten_users f WHERE f.user_id = x.user_id)';

/** Block sizes (2^level days) of insights_activity_blocks, read by the dashboard's most engaged members. */
export const BLOCK_LEVELS = [3, 4, 5, 6] as const;

/**
 * The write side of insights: folds a batch's Effects into the tables. Everything the reaction and
 * post path touches (the seen event ids, profiles, active days and their blocks, day counters, SKU and
 * tag counts, the community's row) is ONE statement of data-modifying CTEs, so a batch costs one round
 * trip whatever its size; rows are sorted by key so concurrent instances lock in the same order.
 */
@Injectable()
export class ApplyRepository {
  constructor(private readonly db: Db) {}

  async knownQuestions(threadIds: string[]): Promise<string[]> {
    if (!threadIds.length) return [];
    const rows = await this.db.query<{ thread_id: string }>('SELECT thread_id FROM insights_questions WHERE thread_id = ANY($1::uuid[])', [threadIds]);
    return rows.map((r) => r.thread_id);
  }

  /**
   * Applies `fx`. With `claim` (the batch's event ids), the same statement first records the ids in
   * insights_seen_events and writes only if every one of them was new; otherwise it writes nothing
   * and the ids that were new are returned (the caller applies just those events, without a claim).
   * Returns null when `fx` was applied.
   */
  async apply(fx: Effects, claim?: string[]): Promise<Set<string> | null> {
    const fresh = await this.main(fx, claim);
    if (fresh) return fresh;
    await this.questions(fx);
    await this.support(fx);
    if (fx.forgetUsers.length) await this.forget(fx.forgetUsers);
    return null;
  }

  private async main(fx: Effects, claim?: string[]): Promise<Set<string> | null> {
    const p = new Params();
    const ctes: string[] = [];
    if (claim?.length) {
      ctes.push(`claimed AS (INSERT INTO insights_seen_events (event_id) SELECT unnest(${p.add(claim, 'bigint[]')}) ON CONFLICT DO NOTHING RETURNING event_id)`);
      ctes.push(`go AS (SELECT (SELECT count(*) FROM claimed) = ${p.add(claim.length, 'int')} AS ok)`);
    } else {
      ctes.push('go AS (SELECT true AS ok)');
    }
    const ok = '(SELECT ok FROM go)';
    if (fx.profiles.size) ctes.push(this.profiles(p, fx, ok));
    if (fx.activity.size) ctes.push(...this.activity(p, fx, ok));
    if (fx.daily.size || fx.activity.size) ctes.push(this.daily(p, fx, ok));
    if (fx.keys.size) ctes.push(this.keys(p, fx, ok));
    if (fx.profiles.size || fx.activity.size) ctes.push(this.communities(fx));
    const result = claim?.length ? 'SELECT event_id::text AS id, (SELECT ok FROM go) AS ok FROM claimed' : 'SELECT NULL::text AS id, true AS ok WHERE false';
    const rows = await this.db.query<{ id: string; ok: boolean }>(`WITH ${ctes.join(',\n')}\n${result}`, p.values);
    if (!claim?.length || rows[0]?.ok) return null;
    return new Set(rows.map((r) => r.id));
  }

  /** Profile counters and facts; returns (community, inserted) so new members count in segment C. */
  private profiles(p: Params, fx: Effects, ok: string): string {
    const columns: Column[] = [
      { name: 'community_id', type: 'uuid' },
      { name: 'user_id', type: 'uuid' },
      ...PROFILE_COUNTERS.map((name) => ({ name, type: 'int' })),
      { name: 'joined_at', type: 'timestamptz' },
      { name: 'role', type: 'text' },
      { name: 'role_event_id', type: 'bigint' },
      { name: 'tier', type: 'text' },
      { name: 'tier_event_id', type: 'bigint' },
      { name: 'first_active_at', type: 'timestamptz' },
      { name: 'last_active_at', type: 'timestamptz' },
    ];
    const rows = byKey(fx.profiles).map((d) => [
      d.communityId, d.userId, ...PROFILE_COUNTERS.map((c) => d.counters[c] ?? 0), d.joinedAt, d.role, d.roleEventId, d.tier, d.tierEventId, d.firstActiveAt, d.lastActiveAt,
    ]);
    const latest = (col: string, idCol: string) =>
      `${col} = CASE WHEN excluded.${idCol} IS NOT NULL AND (t.${idCol} IS NULL OR excluded.${idCol} > t.${idCol}) THEN excluded.${col} ELSE t.${col} END`;
    const list = columns.map((c) => c.name).join(', ');
    return `prof AS (INSERT INTO insights_profiles AS t (${list}) SELECT * FROM ${p.unnest('x', columns, rows)} WHERE ${ok} AND ${NOT_FORGOTTEN}
      ON CONFLICT (community_id, user_id) DO UPDATE SET
      ${PROFILE_COUNTERS.map((c) => `${c} = t.${c} + excluded.${c}`).join(', ')},
      joined_at = LEAST(t.joined_at, excluded.joined_at),
      ${latest('role', 'role_event_id')}, role_event_id = GREATEST(t.role_event_id, excluded.role_event_id),
      ${latest('tier', 'tier_event_id')}, tier_event_id = GREATEST(t.tier_event_id, excluded.tier_event_id),
      first_active_at = LEAST(t.first_active_at, excluded.first_active_at),
      last_active_at = GREATEST(t.last_active_at, excluded.last_active_at)
      RETURNING t.community_id, (t.xmax = 0) AS inserted)`;
  }

  /**
   * Active days (`act`: which rows are new, for DAU and the day counts of the blocks) and the same
   * contributions summed per block of 2^level days (`blocks`), from the same input rows.
   */
  private activity(p: Params, fx: Effects, ok: string): string[] {
    const columns: Column[] = [
      { name: 'community_id', type: 'uuid' },
      { name: 'user_id', type: 'uuid' },
      { name: 'day', type: 'date' },
      { name: 'actions', type: 'int' },
      { name: 'contribution', type: 'int' },
    ];
    const rows = byKey(fx.activity).map((a) => [a.communityId, a.userId, a.day, a.actions, a.contribution]);
    return [
      `ain AS (SELECT * FROM ${p.unnest('x', columns, rows)} WHERE ${ok} AND ${NOT_FORGOTTEN})`,
      `act AS (INSERT INTO insights_activity AS t (community_id, user_id, day, actions, contribution) SELECT * FROM ain
        ON CONFLICT (community_id, user_id, day) DO UPDATE SET actions = t.actions + excluded.actions, contribution = t.contribution + excluded.contribution
        RETURNING t.community_id, t.user_id, t.day, (t.xmax = 0) AS inserted)`,
      `blocks AS (INSERT INTO insights_activity_blocks AS t (community_id, level, block, user_id, contribution, days)
        SELECT ain.community_id, l.level, (ain.day - DATE '1970-01-01') >> l.level, ain.user_id, sum(ain.contribution), count(*) FILTER (WHERE act.inserted)
          FROM ain JOIN act ON act.community_id = ain.community_id AND act.user_id = ain.user_id AND act.day = ain.day
         CROSS JOIN unnest(${p.add(BLOCK_LEVELS, 'int[]')}) AS l(level)
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (community_id, level, block, user_id) DO UPDATE SET contribution = t.contribution + excluded.contribution, days = t.days + excluded.days)`,
    ];
  }

  /** Day counters, and DAU from the newly inserted active days (exactly once per member and day). */
  private daily(p: Params, fx: Effects, ok: string): string {
    const counters = [...DAILY_COUNTERS, 'dau'];
    const parts: string[] = [];
    if (fx.daily.size) {
      const columns: Column[] = [{ name: 'community_id', type: 'uuid' }, { name: 'day', type: 'date' }, ...DAILY_COUNTERS.map((name) => ({ name, type: 'int' }))];
      const rows = byKey(fx.daily).map((d) => [d.communityId, d.day, ...DAILY_COUNTERS.map((c) => d.counters[c] ?? 0)]);
      parts.push(`SELECT *, 0 AS dau FROM ${p.unnest('x', columns, rows)} WHERE ${ok}`);
    }
    if (fx.activity.size) parts.push(`SELECT community_id, day, ${DAILY_COUNTERS.map((c) => `0 AS ${c}`).join(', ')}, 1 AS dau FROM act WHERE inserted`);
    return `daily AS (INSERT INTO insights_daily AS t (community_id, day, ${counters.join(', ')})
      SELECT community_id, day, ${counters.map((c) => `sum(${c})`).join(', ')} FROM (${parts.join(' UNION ALL ')}) u GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (community_id, day) DO UPDATE SET ${counters.map((c) => `${c} = t.${c} + excluded.${c}`).join(', ')})`;
  }

  private keys(p: Params, fx: Effects, ok: string): string {
    const columns: Column[] = [
      { name: 'community_id', type: 'uuid' },
      { name: 'kind', type: 'text' },
      { name: 'day', type: 'date' },
      { name: 'key', type: 'text' },
      { name: 'n', type: 'int' },
    ];
    const rows = byKey(fx.keys).map((k) => [k.communityId, k.kind, k.day, k.key, k.n]);
    return `keys AS (INSERT INTO insights_daily_keys AS t (community_id, kind, day, key, n) SELECT * FROM ${p.unnest('x', columns, rows)} WHERE ${ok}
      ON CONFLICT (community_id, kind, day, key) DO UPDATE SET n = t.n + excluded.n)`;
  }

  /**
   * The community's row: known to the daily job, the earliest day whose WAU/MAU must be rolled up
   * again, and its new members in segment C. Written only when something of that changes, so most
   * batches take no lock on it (the daily job and the dashboard's roll-up update it too).
   */
  private communities(fx: Effects): string {
    const parts: string[] = [];
    if (fx.profiles.size) parts.push('SELECT community_id, NULL::date AS day, CASE WHEN inserted THEN 1 ELSE 0 END AS joined FROM prof');
    if (fx.activity.size) parts.push('SELECT community_id, day, 0 FROM act WHERE inserted');
    return `comm AS (INSERT INTO insights_communities AS t (community_id, dirty_from, members_c)
      SELECT u.community_id, min(u.day), sum(u.joined) FROM (${parts.join(' UNION ALL ')}) u GROUP BY 1
      HAVING sum(u.joined) > 0 OR NOT EXISTS (SELECT 1 FROM insights_communities e WHERE e.community_id = u.community_id AND (min(u.day) IS NULL OR e.dirty_from <= min(u.day)))
       ORDER BY 1
      ON CONFLICT (community_id) DO UPDATE SET dirty_from = LEAST(t.dirty_from, excluded.dirty_from), members_c = t.members_c + excluded.members_c)`;
  }

  private async questions(fx: Effects) {
    const q = fx.newQuestions;
    if (q.length) {
      await this.db.query(
        `INSERT INTO insights_questions (thread_id, community_id, board_id, asker_id, product_skus, asked_at)
         SELECT x.t, x.c, x.b, x.a, ARRAY(SELECT jsonb_array_elements_text(x.s)), x.at
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::jsonb[], $6::timestamptz[]) AS x(t, c, b, a, s, at)
         ON CONFLICT (thread_id) DO NOTHING`,
        [q.map((x) => x.threadId), q.map((x) => x.communityId), q.map((x) => x.boardId), q.map((x) => x.askerId), q.map((x) => JSON.stringify(x.productSkus)), q.map((x) => x.askedAt)],
      );
    }
    const first = new Map<string, { staffId: string; answeredAt: Date }>();
    for (const a of fx.staffAnswers) {
      const seen = first.get(a.threadId);
      if (!seen || a.answeredAt < seen.answeredAt) first.set(a.threadId, a);
    }
    if (first.size) {
      const list = [...first.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      await this.db.query(
        `UPDATE insights_questions q SET answered_at = x.at, staff_id = x.s
           FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS x(t, s, at)
          WHERE q.thread_id = x.t AND (q.answered_at IS NULL OR x.at < q.answered_at)`,
        [list.map(([t]) => t), list.map(([, a]) => a.staffId), list.map(([, a]) => a.answeredAt)],
      );
    }
    if (fx.deletedQuestions.length) {
      await this.db.query('UPDATE insights_questions SET deleted = true WHERE thread_id = ANY($1::uuid[])', [fx.deletedQuestions]);
    }
  }

  private async support(fx: Effects) {
    if (!fx.support.length) return;
    const rooms = new Map<string, (typeof fx.support)[number]>();
    for (const s of fx.support) {
      const r = rooms.get(s.roomId);
      rooms.set(s.roomId, r ? { ...r, staffId: s.staffId ?? r.staffId, closedAt: s.closedAt ?? r.closedAt } : { ...s });
    }
    const list = byKey(rooms);
    await this.db.query(
      `INSERT INTO insights_support AS t (room_id, community_id, customer_id, staff_id, closed_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[])
       ON CONFLICT (room_id) DO UPDATE SET staff_id = COALESCE(excluded.staff_id, t.staff_id), closed_at = COALESCE(excluded.closed_at, t.closed_at)`,
      [list.map((s) => s.roomId), list.map((s) => s.communityId), list.map((s) => s.customerId), list.map((s) => s.staffId), list.map((s) => s.closedAt)],
    );
  }

  /** user.deleted: the person's profile and activity go; aggregates (counts without names) stay, rating comments are dropped. */
  private async forget(userIds: string[]) {
    await this.db.query('INSERT INTO insights_forgotten_users (user_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING', [userIds]);
    // Active days and blocks through the member's profiles (their keys' (community, user) prefix), then the profiles.
    await this.db.query(
      `DELETE FROM insights_activity a USING insights_profiles p
        WHERE p.user_id = ANY($1::uuid[]) AND a.community_id = p.community_id AND a.user_id = p.user_id`,
      [userIds],
    );
    await this.db.query(
      `DELETE FROM insights_activity_blocks b USING insights_profiles p
        WHERE p.user_id = ANY($1::uuid[]) AND b.community_id = p.community_id AND b.user_id = p.user_id`,
      [userIds],
    );
    await this.db.query(
      `WITH d AS (DELETE FROM insights_profiles WHERE user_id = ANY($1::uuid[]) RETURNING community_id, segment),
            n AS (SELECT community_id, count(*) FILTER (WHERE segment = 'A')::int AS a, count(*) FILTER (WHERE segment = 'B')::int AS b,
                         count(*) FILTER (WHERE segment = 'C')::int AS c FROM d GROUP BY 1)
       UPDATE insights_communities t SET members_a = t.members_a - n.a, members_b = t.members_b - n.b, members_c = t.members_c - n.c
         FROM n WHERE t.community_id = n.community_id`,
      [userIds],
    );
    await this.db.query('UPDATE insights_ratings SET comment = NULL WHERE user_id = ANY($1::uuid[]) AND comment IS NOT NULL', [userIds]);
  }
}
