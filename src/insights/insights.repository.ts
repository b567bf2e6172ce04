import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { BLOCK_LEVELS } from './apply.repository';

export interface ProfileRow {
  community_id: string;
  user_id: string;
  role: string | null;
  joined_at: Date | null;
  threads: number;
  replies: number;
  questions: number;
  answers: number;
  accepted_answers: number;
  official_answers: number;
  reactions_given: number;
  reactions_received: number;
  votes_cast: number;
  chat_messages: number;
  support_requests: number;
  posts_removed: number;
  points_earned: number;
  points_reversed: number;
  points_redeemed: number;
  tier: string | null;
  orders: number;
  refunds: number;
  ratings: number;
  first_active_at: Date | null;
  last_active_at: Date | null;
  segment: string;
  churn_risk: boolean;
  churn_reason: string | null;
  segment_computed_at: Date | null;
}

export interface ActivityStats {
  user_id: string;
  d7: number;
  d30: number;
  d90: number;
  c30: number;
}

export interface SegmentChange {
  user_id: string;
  old_segment: string;
  segment: string;
  old_churn: boolean;
  churn_risk: boolean;
  churn_reason: string | null;
  d30: number;
  dbefore: number;
  last_active_at: Date | null;
}

const PROFILE_COLUMNS = `p.community_id, p.user_id, p.role, p.joined_at, p.threads, p.replies, p.questions, p.answers, p.accepted_answers,
  p.official_answers, p.reactions_given, p.reactions_received, p.votes_cast, p.chat_messages, p.support_requests, p.posts_removed,
  p.points_earned, p.points_reversed, p.points_redeemed, p.tier, p.orders, p.refunds, p.ratings, p.first_active_at, p.last_active_at,
  p.segment, p.churn_risk, p.churn_reason, p.segment_computed_at`;

/** Reads of the profile tables, and the segment job's set-based update. Days are UTC dates as 'YYYY-MM-DD'. */
@Injectable()
export class InsightsRepository {
  constructor(private readonly db: Db) {}

  async profile(communityId: string, userId: string): Promise<ProfileRow | null> {
    const [row] = await this.db.query<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM insights_profiles p WHERE p.community_id = $1 AND p.user_id = $2`, [communityId, userId]);
    return row ?? null;
  }

  /** Active days in the last 7/30/90 days (today included) and the 30-day contribution of these members. */
  async activityStats(communityId: string, userIds: string[], today: string): Promise<Map<string, ActivityStats>> {
    if (!userIds.length) return new Map();
    const rows = await this.db.query<ActivityStats>(
      `SELECT user_id, count(*) FILTER (WHERE day > $3::date - 7)::int AS d7, count(*) FILTER (WHERE day > $3::date - 30)::int AS d30,
              count(*)::int AS d90, coalesce(sum(contribution) FILTER (WHERE day > $3::date - 30), 0)::int AS c30
         FROM insights_activity WHERE community_id = $1 AND user_id = ANY($2::uuid[]) AND day > $3::date - 90 AND day <= $3::date
        GROUP BY user_id`,
      [communityId, userIds, today],
    );
    return new Map(rows.map((r) => [r.user_id, r]));
  }

  /** Active days in the `quietDays` before today and in the 30 days before those (the churn rule). */
  async churnStats(communityId: string, userId: string, today: string, quietDays: number): Promise<{ dq: number; dbefore: number }> {
    const [row] = await this.db.query<{ dq: number; dbefore: number }>(
      `SELECT count(*) FILTER (WHERE day > $3::date - $4::int)::int AS dq, count(*) FILTER (WHERE day <= $3::date - $4::int)::int AS dbefore
         FROM insights_activity WHERE community_id = $1 AND user_id = $2 AND day > $3::date - $4::int - 30 AND day <= $3::date`,
      [communityId, userId, today, quietDays],
    );
    return row;
  }

  async community(communityId: string): Promise<{ core_threshold: number | null; rolled_until: string | null; dirty_from: string | null } | null> {
    const [row] = await this.db.query<{ core_threshold: number | null; rolled_until: string | null; dirty_from: string | null }>(
      `SELECT core_threshold, to_char(rolled_until, 'YYYY-MM-DD') AS rolled_until, to_char(dirty_from, 'YYYY-MM-DD') AS dirty_from
         FROM insights_communities WHERE community_id = $1`,
      [communityId],
    );
    return row ?? null;
  }

  async communityIds(): Promise<string[]> {
    return (await this.db.query<{ community_id: string }>('SELECT community_id FROM insights_communities ORDER BY community_id')).map((r) => r.community_id);
  }

  /** Claims the community's segment run for `day`: true for exactly one caller (any number of instances). */
  async claimSegmentsDay(communityId: string, day: string, force: boolean): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO insights_communities AS t (community_id, segments_day) VALUES ($1, $2::date)
       ON CONFLICT (community_id) DO UPDATE SET segments_day = excluded.segments_day
       WHERE $3::boolean OR t.segments_day IS NULL OR t.segments_day < excluded.segments_day
       RETURNING community_id`,
      [communityId, day, force],
    );
    return rows.length > 0;
  }

  /**
   * The 30-day contribution a member needs to be in the top 10% of the community's members (at least
   * the ceil(10%)-th largest positive contribution), or null when nobody contributed.
   */
  async coreThreshold(communityId: string, today: string): Promise<number | null> {
    const [row] = await this.db.query<{ threshold: number | null }>(
      `WITH c AS (SELECT user_id, sum(contribution)::int AS c30 FROM insights_activity
                   WHERE community_id = $1 AND day > $2::date - 30 AND day <= $2::date GROUP BY user_id HAVING sum(contribution) > 0),
            k AS (SELECT greatest(1, ceil(count(*) * 0.1))::int AS k FROM insights_profiles WHERE community_id = $1)
       SELECT coalesce((SELECT c30 FROM c ORDER BY c30 DESC OFFSET (SELECT k - 1 FROM k) LIMIT 1), (SELECT min(c30) FROM c)) AS threshold`,
      [communityId, today],
    );
    const threshold = row?.threshold ?? null;
    await this.db.query('UPDATE insights_communities SET core_threshold = $2 WHERE community_id = $1', [communityId, threshold]);
    return threshold;
  }

  /** Sets every member's segment and churn risk (and the segment counters); returns the members whose segment or risk changed. */
  async updateSegments(communityId: string, today: string, coreDays: number, quietDays: number, threshold: number | null, now: Date): Promise<SegmentChange[]> {
    return this.db.query<SegmentChange>(
      `WITH a AS (
         SELECT user_id,
                count(*) FILTER (WHERE day > $2::date - 30)::int AS d30,
                count(*) FILTER (WHERE day > $2::date - $4::int)::int AS dq,
                count(*) FILTER (WHERE day <= $2::date - $4::int AND day > $2::date - $4::int - 30)::int AS dbefore,
                coalesce(sum(contribution) FILTER (WHERE day > $2::date - 30), 0)::int AS c30
           FROM insights_activity WHERE community_id = $1 AND day > $2::date - greatest(30, $4::int + 30) AND day <= $2::date
          GROUP BY user_id),
       n AS (
         SELECT p.user_id, p.segment AS old_segment, p.churn_risk AS old_churn,
                coalesce(a.d30, 0) AS d30, coalesce(a.dbefore, 0) AS dbefore,
                CASE WHEN coalesce(a.d30, 0) >= $3::int OR ($5::int IS NOT NULL AND coalesce(a.c30, 0) >= $5::int AND a.c30 > 0) THEN 'A'
                     WHEN coalesce(a.d30, 0) > 0 THEN 'B' ELSE 'C' END AS segment,
                (coalesce(a.dq, 0) = 0 AND coalesce(a.dbefore, 0) >= 3) AS churn
           FROM insights_profiles p LEFT JOIN a ON a.user_id = p.user_id
          WHERE p.community_id = $1),
       u AS (
         UPDATE insights_profiles p
            SET segment = n.segment, churn_risk = n.churn, segment_computed_at = $6,
                churn_reason = CASE WHEN n.churn THEN 'active on ' || n.dbefore || ' of the 30 days before the last ' || $4::int || ' days, and on none since' END
           FROM n
          WHERE p.community_id = $1 AND p.user_id = n.user_id AND (p.segment <> n.segment OR p.churn_risk <> n.churn)
         RETURNING p.user_id, n.old_segment, p.segment, n.old_churn, p.churn_risk, p.churn_reason, n.d30, n.dbefore, p.last_active_at),
       moved AS (
         UPDATE insights_communities c
            SET members_a = c.members_a + m.a, members_b = c.members_b + m.b, members_c = c.members_c + m.c
           FROM (SELECT (count(*) FILTER (WHERE segment = 'A') - count(*) FILTER (WHERE old_segment = 'A'))::int AS a,
                        (count(*) FILTER (WHERE segment = 'B') - count(*) FILTER (WHERE old_segment = 'B'))::int AS b,
                        (count(*) FILTER (WHERE segment = 'C') - count(*) FILTER (WHERE old_segment = 'C'))::int AS c FROM u) m
          WHERE c.community_id = $1)
       SELECT * FROM u`,
      [communityId, today, coreDays, quietDays, threshold, now],
    );
  }

  /**
   * The 10 members with the most contribution from `fromDay` to `toDay` (then most active days, then
   * user id): exactly the sums over the range's active days, read from its blocks and single days.
   */
  async mostEngaged(communityId: string, fromDay: string, toDay: string): Promise<Array<{ user_id: string; contribution: number; days: number }>> {
    const { blocks, days } = rangePieces(fromDay, toDay);
    return this.db.query<{ user_id: string; contribution: number; days: number }>(
      `SELECT user_id, sum(contribution)::int AS contribution, sum(days)::int AS days FROM (
         SELECT b.user_id, b.contribution, b.days FROM unnest($2::int[], $3::int[]) AS q(level, block)
           JOIN insights_activity_blocks b ON b.community_id = $1 AND b.level = q.level AND b.block = q.block
         UNION ALL
         SELECT a.user_id, a.contribution, 1 FROM insights_activity a WHERE a.community_id = $1 AND a.day = ANY($4::date[])) x
        GROUP BY user_id ORDER BY 2 DESC, 3 DESC, user_id LIMIT 10`,
      [communityId, blocks.map((b) => b.level), blocks.map((b) => b.block), days],
    );
  }

  /** The community's members per segment: counters kept with the profiles (see ApplyRepository, updateSegments). */
  async segmentCounts(communityId: string): Promise<{ A: number; B: number; C: number }> {
    const [row] = await this.db.query<{ a: number; b: number; c: number }>(
      'SELECT members_a AS a, members_b AS b, members_c AS c FROM insights_communities WHERE community_id = $1',
      [communityId],
    );
    return { A: row?.a ?? 0, B: row?.b ?? 0, C: row?.c ?? 0 };
  }

  async snapshotSegments(communityId: string, day: string, counts: { A: number; B: number; C: number }) {
    await this.db.query(
      `INSERT INTO insights_daily AS t (community_id, day, segment_a, segment_b, segment_c) VALUES ($1, $2::date, $3, $4, $5)
       ON CONFLICT (community_id, day) DO UPDATE SET segment_a = excluded.segment_a, segment_b = excluded.segment_b, segment_c = excluded.segment_c`,
      [communityId, day, counts.A, counts.B, counts.C],
    );
  }

  /**
   * WAU and MAU (distinct members active in the 7 / 30 days ending that day) for the days from the
   * first one an event changed up to `until`, stored on insights_daily; the dashboard reads them.
   */
  async rollup(communityId: string, until: string): Promise<number> {
    const c = await this.community(communityId);
    if (!c) return 0;
    const start = [c.dirty_from, c.rolled_until ? addDays(c.rolled_until, 1) : null].filter((d): d is string => Boolean(d)).sort()[0];
    if (!start || start > until) return 0;
    const rows = await this.db.query(
      `INSERT INTO insights_daily AS t (community_id, day, wau, mau)
       SELECT $1, d::date,
              (SELECT count(DISTINCT user_id) FROM insights_activity a WHERE a.community_id = $1 AND a.day > d::date - 7 AND a.day <= d::date),
              (SELECT count(DISTINCT user_id) FROM insights_activity a WHERE a.community_id = $1 AND a.day > d::date - 30 AND a.day <= d::date)
         FROM generate_series($2::date, $3::date, interval '1 day') AS d
       ON CONFLICT (community_id, day) DO UPDATE SET wau = excluded.wau, mau = excluded.mau
       RETURNING day`,
      [communityId, start, until],
    );
    await this.db.query(
      `UPDATE insights_communities SET rolled_until = GREATEST(rolled_until, $2::date),
              dirty_from = CASE WHEN dirty_from = $3::date AND dirty_from <= $2::date THEN NULL ELSE dirty_from END
        WHERE community_id = $1`,
      [communityId, until, c.dirty_from],
    );
    return rows.length;
  }
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' day, and back. */
const dayNumber = (day: string) => Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
const dayOfNumber = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);

/**
 * The days from `fromDay` to `toDay` (inclusive) as aligned blocks of insights_activity_blocks (2^level
 * days, level 3..6, block = day number >> level) and single days (insights_activity): greedily the
 * largest aligned block that starts at the next day and ends within the range. Every day is in exactly
 * one piece; a 90-day range is at most 7 single days at each end and a few blocks.
 */
export function rangePieces(fromDay: string, toDay: string): { blocks: Array<{ level: number; block: number }>; days: string[] } {
  const blocks: Array<{ level: number; block: number }> = [];
  const days: string[] = [];
  const last = dayNumber(toDay);
  for (let cur = dayNumber(fromDay); cur <= last; ) {
    let level = BLOCK_LEVELS[BLOCK_LEVELS.length - 1];
    while (level >= BLOCK_LEVELS[0] && (cur % 2 ** level !== 0 || cur + 2 ** level - 1 > last)) level--;
    if (level < BLOCK_LEVELS[0]) {
      days.push(dayOfNumber(cur));
      cur += 1;
    } else {
      blocks.push({ level, block: cur >> level });
      cur += 2 ** level;
    }
  }
  return { blocks, days };
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
