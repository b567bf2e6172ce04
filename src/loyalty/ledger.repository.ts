import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';

export type EntryKind = 'earn' | 'reversal' | 'redemption' | 'adjustment' | 'expiry';
export type EntryStatus = 'pending' | 'approved' | 'cancelled';

export interface AccountRow {
  community_id: string;
  user_id: string;
  balance: number;
  pending: number;
  lifetime_earned: number;
  spent: number;
  expired: number;
  reversed: number;
  tier: string | null;
  last_activity_at: Date | null;
}

export interface EntryRow {
  id: string;
  seq: string;
  community_id: string;
  user_id: string;
  kind: EntryKind;
  rule: string;
  source_key: string;
  source_event_id: string | null;
  reason: string;
  points: number;
  requested_points: number | null;
  status: EntryStatus;
  reverses_entry_id: string | null;
  cause: string | null;
  thread_id: string | null;
  post_id: string | null;
  approve_at: Date | null;
  created_by: string | null;
  created_at: Date;
}

/** An earn entry of a batch (`insertEarnEntries`). */
export interface NewEarn {
  userId: string;
  rule: string;
  sourceKey: string;
  sourceEventId: string | null;
  reason: string;
  points: number;
  requestedPoints: number | null;
  status: 'pending' | 'approved';
  threadId: string | null;
  postId: string | null;
  approveAt: Date | null;
}

export interface NewEntry {
  communityId: string;
  userId: string;
  kind: EntryKind;
  rule: string;
  sourceKey: string;
  sourceEventId?: string | null;
  reason: string;
  points: number;
  requestedPoints?: number | null;
  status: EntryStatus;
  reversesEntryId?: string | null;
  cause?: string | null;
  threadId?: string | null;
  postId?: string | null;
  approveAt?: Date | null;
  createdBy?: string | null;
  createdAt: Date;
}

/** Changes to an account's figures (each defaults to 0). */
export interface AccountDelta {
  balance?: number;
  pending?: number;
  lifetime?: number;
  spent?: number;
  expired?: number;
  reversed?: number;
}

const ACCOUNT_COLUMNS = 'community_id, user_id, balance, pending, lifetime_earned, spent, expired, reversed, tier, last_activity_at';

/** The ledger's SQL: accounts (always locked before their entries change) and entries. */
@Injectable()
export class LedgerRepository {
  constructor(private readonly db: Db) {}

  /**
   * Creates the accounts that do not exist yet and locks them all (FOR UPDATE), in user id order so
   * two writers never lock the same pair in opposite orders. Must run inside a transaction.
   */
  async lockAccounts(communityId: string, userIds: string[], initialTier: string, now: Date): Promise<Map<string, AccountRow>> {
    const ids = [...new Set(userIds)].sort();
    if (!ids.length) return new Map();
    const lock = (list: string[]) =>
      this.db.query<AccountRow>(
        `SELECT ${ACCOUNT_COLUMNS} FROM loyalty_accounts WHERE community_id = $1 AND user_id = ANY($2::uuid[]) ORDER BY user_id FOR UPDATE`,
        [communityId, list],
      );
    // Usually one round trip: the accounts exist. New ones are inserted, then locked too.
    const found = new Map((await lock(ids)).map((r) => [r.user_id, r]));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) {
      await this.db.query(
        `INSERT INTO loyalty_accounts (community_id, user_id, tier, last_activity_at, created_at)
         SELECT $1, u, $3, $4, $4 FROM unnest($2::uuid[]) AS u ORDER BY u
         ON CONFLICT (community_id, user_id) DO NOTHING`,
        [communityId, missing, initialTier, now],
      );
      for (const r of await lock(missing)) found.set(r.user_id, r);
    }
    return found;
  }

  /** Locks those of the given accounts nobody else holds (the sweep: busy accounts are done next time). */
  async lockAccountsIfFree(keys: { community_id: string; user_id: string }[]): Promise<AccountRow[]> {
    if (!keys.length) return [];
    return this.db.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM loyalty_accounts
        WHERE (community_id, user_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
        ORDER BY community_id, user_id FOR UPDATE SKIP LOCKED`,
      [keys.map((k) => k.community_id), keys.map((k) => k.user_id)],
    );
  }

  async getAccount(communityId: string, userId: string): Promise<AccountRow | null> {
    const [row] = await this.db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM loyalty_accounts WHERE community_id = $1 AND user_id = $2`, [communityId, userId]);
    return row ?? null;
  }

  /** Applies a delta (the CHECKs refuse a negative balance or a broken identity); returns the new row. */
  async applyDelta(communityId: string, userId: string, d: AccountDelta, activityAt: Date | null = null): Promise<AccountRow> {
    const [row] = await this.db.query<AccountRow>(
      `UPDATE loyalty_accounts
          SET balance = balance + $3, pending = pending + $4, lifetime_earned = lifetime_earned + $5,
              spent = spent + $6, expired = expired + $7, reversed = reversed + $8,
              last_activity_at = COALESCE($9, last_activity_at)
        WHERE community_id = $1 AND user_id = $2
        RETURNING ${ACCOUNT_COLUMNS}`,
      [communityId, userId, d.balance ?? 0, d.pending ?? 0, d.lifetime ?? 0, d.spent ?? 0, d.expired ?? 0, d.reversed ?? 0, activityAt],
    );
    return row;
  }

  /** Debits `points` only if the balance covers them (null otherwise): the balance can never go below zero. */
  async debit(communityId: string, userId: string, points: number, bucket: 'spent' | 'expired', activityAt: Date | null): Promise<AccountRow | null> {
    const [row] = await this.db.query<AccountRow>(
      `UPDATE loyalty_accounts SET balance = balance - $3, ${bucket} = ${bucket} + $3, last_activity_at = COALESCE($4, last_activity_at)
        WHERE community_id = $1 AND user_id = $2 AND balance >= $3
        RETURNING ${ACCOUNT_COLUMNS}`,
      [communityId, userId, points, activityAt],
    );
    return row ?? null;
  }

  async setTier(communityId: string, userId: string, tier: string): Promise<void> {
    await this.db.query('UPDATE loyalty_accounts SET tier = $3 WHERE community_id = $1 AND user_id = $2', [communityId, userId, tier]);
  }

  /** Inserts an entry; null when its (community, member, rule, source) or the entry it reverses was already taken. */
  async insertEntry(e: NewEntry): Promise<EntryRow | null> {
    const [row] = await this.db.query<EntryRow>(
      `INSERT INTO loyalty_entries (community_id, user_id, kind, rule, source_key, source_event_id, reason, points, requested_points,
                                    status, reverses_entry_id, cause, thread_id, post_id, approve_at, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       ON CONFLICT DO NOTHING
       RETURNING *`,
      [
        e.communityId, e.userId, e.kind, e.rule, e.sourceKey, e.sourceEventId ?? null, e.reason.slice(0, 500), e.points, e.requestedPoints ?? null,
        e.status, e.reversesEntryId ?? null, e.cause ?? null, e.threadId ?? null, e.postId ?? null, e.approveAt ?? null, e.createdBy ?? null, e.createdAt,
      ],
    );
    return row ?? null;
  }

  /** Points of `rules` each member earned since `since` (cancelled entries excepted): what counts against the daily cap. */
  async earnedSince(communityId: string, userIds: string[], since: Date, rules: readonly string[]): Promise<Map<string, number>> {
    if (!userIds.length) return new Map();
    const rows = await this.db.query<{ user_id: string; points: number }>(
      `SELECT user_id, COALESCE(sum(points), 0)::int AS points FROM loyalty_entries
        WHERE community_id = $1 AND user_id = ANY($2::uuid[]) AND kind = 'earn' AND created_at >= $3 AND status <> 'cancelled' AND rule = ANY($4::text[])
        GROUP BY user_id`,
      [communityId, userIds, since, [...rules]],
    );
    return new Map(rows.map((r) => [r.user_id, Number(r.points)]));
  }

  /** The communities where the member has a loyalty account. */
  async communitiesOfMember(userId: string): Promise<string[]> {
    const rows = await this.db.query<{ community_id: string }>('SELECT community_id FROM loyalty_accounts WHERE user_id = $1', [userId]);
    return rows.map((r) => r.community_id);
  }

  /** The member's earn entries still pending (not yet cancelled or reversed). */
  async pendingEarnEntries(communityId: string, userId: string): Promise<EntryRow[]> {
    return this.db.query<EntryRow>(
      `SELECT e.* FROM loyalty_entries e
        WHERE e.community_id = $1 AND e.user_id = $2 AND e.kind = 'earn' AND e.status = 'pending'
          AND NOT EXISTS (SELECT 1 FROM loyalty_entries r WHERE r.reverses_entry_id = e.id)
        ORDER BY e.seq`,
      [communityId, userId],
    );
  }

  /** Which of these (member, rule, source) have an entry already (each pays once), as `user rule source` strings. */
  async paidSources(communityId: string, sources: Array<{ userId: string; rule: string; sourceKey: string }>): Promise<Set<string>> {
    if (!sources.length) return new Set();
    const rows = await this.db.query<{ user_id: string; rule: string; source_key: string }>(
      `SELECT e.user_id, e.rule, e.source_key FROM loyalty_entries e
         JOIN unnest($2::uuid[], $3::text[], $4::text[]) AS x(u, r, k) ON e.user_id = x.u AND e.rule = x.r AND e.source_key = x.k
        WHERE e.community_id = $1`,
      [communityId, sources.map((s) => s.userId), sources.map((s) => s.rule), sources.map((s) => s.sourceKey)],
    );
    return new Set(rows.map((r) => `${r.user_id} ${r.rule} ${r.source_key}`));
  }

  /** Earn entries in one statement, in order; an entry whose source already paid is skipped (not returned). */
  async insertEarnEntries(communityId: string, rows: NewEarn[], now: Date): Promise<EntryRow[]> {
    if (!rows.length) return [];
    const col = <T>(f: (r: NewEarn) => T) => rows.map(f);
    return this.db.query<EntryRow>(
      `INSERT INTO loyalty_entries (community_id, user_id, kind, rule, source_key, source_event_id, reason, points, requested_points,
                                    status, thread_id, post_id, approve_at, created_at)
       SELECT $1, x.u, 'earn', x.r, x.k, x.ev, x.rs, x.p, x.rp, x.st, x.t, x.po, x.ap, $2
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::int[], $9::int[], $10::text[], $11::uuid[], $12::uuid[], $13::timestamptz[])
              WITH ORDINALITY AS x(u, r, k, ev, rs, p, rp, st, t, po, ap, n)
        ORDER BY x.n
       ON CONFLICT DO NOTHING
       RETURNING *`,
      [
        communityId, now,
        col((r) => r.userId), col((r) => r.rule), col((r) => r.sourceKey), col((r) => r.sourceEventId), col((r) => r.reason.slice(0, 500)),
        col((r) => r.points), col((r) => r.requestedPoints), col((r) => r.status), col((r) => r.threadId), col((r) => r.postId),
        col((r) => r.approveAt?.toISOString() ?? null),
      ],
    );
  }

  /** Adds each member's earnings to their account, in one statement; the accounts after. */
  async addEarnings(communityId: string, deltas: Array<{ userId: string; balance: number; pending: number; lifetime: number }>, activityAt: Date): Promise<AccountRow[]> {
    if (!deltas.length) return [];
    return this.db.query<AccountRow>(
      `UPDATE loyalty_accounts a
          SET balance = a.balance + x.b, pending = a.pending + x.p, lifetime_earned = a.lifetime_earned + x.l, last_activity_at = $3
         FROM unnest($2::uuid[], $4::int[], $5::int[], $6::int[]) AS x(u, b, p, l)
        WHERE a.community_id = $1 AND a.user_id = x.u
        RETURNING a.${ACCOUNT_COLUMNS.split(', ').join(', a.')}`,
      [communityId, deltas.map((d) => d.userId), activityAt, deltas.map((d) => d.balance), deltas.map((d) => d.pending), deltas.map((d) => d.lifetime)],
    );
  }

  /**
   * An earn entry and its account update in one statement (the consumer's hot path): with a cap, the
   * points are cut to what is left of it since `capSince` (content points of `cappedRules`, cancelled
   * ones excepted); nothing is written when nothing is left or the source already paid. The caller
   * holds the account lock, so the sum is read after any concurrent earn committed.
   */
  async creditEntry(e: {
    communityId: string; userId: string; rule: string; sourceKey: string; sourceEventId: string | null; reason: string; points: number;
    pending: boolean; approveAt: Date | null; threadId: string | null; postId: string | null; now: Date;
    cap: { limit: number; since: Date; rules: readonly string[] } | null;
  }): Promise<{ entry: EntryRow; account: AccountRow } | null> {
    const [row] = await this.db.query<{ entry: EntryRow; account: AccountRow }>(
      `WITH amount AS (
         SELECT CASE WHEN $13::int IS NULL THEN $7::int ELSE LEAST($7::int, $13::int - (
           SELECT COALESCE(sum(points), 0)::int FROM loyalty_entries
            WHERE community_id = $1 AND user_id = $2 AND kind = 'earn' AND created_at >= $14 AND status <> 'cancelled' AND rule = ANY($15::text[]))) END AS p
       ), e AS (
         INSERT INTO loyalty_entries (community_id, user_id, kind, rule, source_key, source_event_id, reason, points, requested_points, status, thread_id, post_id, approve_at, created_at)
         SELECT $1, $2, 'earn', $3, $4, $5, CASE WHEN a.p < $7 THEN left($6 || ' (daily cap reached: ' || a.p || ' of ' || $7 || ')', 500) ELSE $6 END,
                a.p, CASE WHEN a.p < $7 THEN $7::int END, CASE WHEN $8::boolean THEN 'pending' ELSE 'approved' END, $9, $10, $11, $12
           FROM amount a WHERE a.p > 0
         ON CONFLICT DO NOTHING
         RETURNING *
       ), acc AS (
         UPDATE loyalty_accounts a
            SET balance = a.balance + CASE WHEN $8::boolean THEN 0 ELSE e.points END,
                pending = a.pending + CASE WHEN $8::boolean THEN e.points ELSE 0 END,
                lifetime_earned = a.lifetime_earned + e.points, last_activity_at = $12
           FROM e WHERE a.community_id = e.community_id AND a.user_id = e.user_id
         RETURNING a.${ACCOUNT_COLUMNS.split(', ').join(', a.')}
       )
       SELECT row_to_json(e.*) AS entry, (SELECT row_to_json(acc.*) FROM acc) AS account FROM e`,
      [
        e.communityId, e.userId, e.rule, e.sourceKey, e.sourceEventId, e.reason.slice(0, 500), e.points, e.pending, e.threadId, e.postId, e.approveAt, e.now,
        e.cap?.limit ?? null, e.cap?.since ?? null, e.cap?.rules ?? [],
      ],
    );
    return row ?? null;
  }

  /** Earn entries still standing (pending or approved, not reversed) about a post, or about a whole thread. */
  async liveEarnEntries(communityId: string, about: { postId?: string; threadId?: string }): Promise<EntryRow[]> {
    const column = about.threadId ? 'thread_id' : 'post_id';
    return this.db.query<EntryRow>(
      `SELECT e.* FROM loyalty_entries e
        WHERE e.community_id = $1 AND e.${column} = $2 AND e.kind = 'earn' AND e.status <> 'cancelled'
          AND NOT EXISTS (SELECT 1 FROM loyalty_entries r WHERE r.reverses_entry_id = e.id)
        ORDER BY e.seq`,
      [communityId, about.threadId ?? about.postId],
    );
  }

  /** The standing earn entry of one rule and source, if any. */
  async liveEntryByKey(communityId: string, userId: string, rule: string, sourceKey: string): Promise<EntryRow | null> {
    const [row] = await this.db.query<EntryRow>(
      `SELECT e.* FROM loyalty_entries e
        WHERE e.community_id = $1 AND e.user_id = $2 AND e.rule = $3 AND e.source_key = $4 AND e.kind = 'earn' AND e.status <> 'cancelled'
          AND NOT EXISTS (SELECT 1 FROM loyalty_entries r WHERE r.reverses_entry_id = e.id)`,
      [communityId, userId, rule, sourceKey],
    );
    return row ?? null;
  }

  /** Reversal records left by hiding this post (or thread) whose points have not been earned again yet. */
  async hiddenReversals(communityId: string, about: { postId?: string; threadId?: string }, cause: 'hidden' | 'thread_hidden'): Promise<(EntryRow & { original_points: number })[]> {
    const column = about.threadId ? 'thread_id' : 'post_id';
    return this.db.query<EntryRow & { original_points: number }>(
      `SELECT r.*, o.points AS original_points FROM loyalty_entries r JOIN loyalty_entries o ON o.id = r.reverses_entry_id
        WHERE r.community_id = $1 AND r.${column} = $2 AND r.kind = 'reversal' AND r.cause = $3
          AND NOT EXISTS (SELECT 1 FROM loyalty_entries x WHERE x.community_id = r.community_id AND x.user_id = r.user_id
                             AND x.rule = r.rule AND x.source_key = 'restore:' || r.id::text)
        ORDER BY r.seq`,
      [communityId, about.threadId ?? about.postId, cause],
    );
  }

  /** pending -> cancelled, only if still pending; returns the entry when it changed. */
  async cancelIfPending(id: string): Promise<EntryRow | null> {
    const [row] = await this.db.query<EntryRow>(`UPDATE loyalty_entries SET status = 'cancelled' WHERE id = $1 AND status = 'pending' RETURNING *`, [id]);
    return row ?? null;
  }

  /** pending -> approved for a member's entries whose window has passed. */
  async approveDue(communityId: string, userId: string, now: Date): Promise<EntryRow[]> {
    return this.db.query<EntryRow>(
      `UPDATE loyalty_entries SET status = 'approved'
        WHERE community_id = $1 AND user_id = $2 AND status = 'pending' AND approve_at <= $3
        RETURNING *`,
      [communityId, userId, now],
    );
  }

  async hasDue(communityId: string, userId: string, now: Date): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM loyalty_entries WHERE community_id = $1 AND user_id = $2 AND status = 'pending' AND approve_at <= $3 LIMIT 1`,
      [communityId, userId, now],
    );
    return rows.length > 0;
  }

  /** Accounts with entries past their window (for the sweep). */
  async dueAccounts(now: Date, limit: number): Promise<{ community_id: string; user_id: string }[]> {
    return this.db.query(
      `SELECT DISTINCT community_id, user_id FROM (
         SELECT community_id, user_id FROM loyalty_entries WHERE status = 'pending' AND approve_at <= $1 ORDER BY approve_at LIMIT $2
       ) due`,
      [now, limit],
    );
  }

  /** Accounts with a balance and no activity since `before`, in communities where expiry is on. */
  async inactiveAccounts(communityId: string, before: Date, limit: number): Promise<{ community_id: string; user_id: string }[]> {
    return this.db.query(
      `SELECT community_id, user_id FROM loyalty_accounts WHERE community_id = $1 AND balance > 0 AND last_activity_at < $2 LIMIT $3`,
      [communityId, before, limit],
    );
  }
}
