import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { CommunityContext } from '../core/auth/actor';
import { Db } from '../core/database/db.service';
import { reportRange } from '../core/http/date-range.dto';
import { SupportService } from '../chat/support.service';
import { QaService } from '../qa/qa.service';
import { CsatGroupView, DashboardView, SeriesPointView } from './dto/insights.dto';
import { dayOf, KeyKind } from './event-effects';
import { InsightsClock } from './insights.clock';
import { addDays, InsightsRepository } from './insights.repository';
import { round } from './insights.mappers';

const HEAVY_TTL_MS = 60_000;

interface DailyRow {
  day: string;
  new_members: number;
  threads: number;
  replies: number;
  questions: number;
  staff_answers: number;
  chat_messages: number;
  support_requests: number;
  points_issued: number;
  points_redeemed: number;
  ratings: number;
  ratings_positive: number;
  dau: number;
  wau: number | null;
  mau: number | null;
}

/**
 * The community dashboard, from the daily aggregates (one row per day), the SKU/tag day counts,
 * the range's blocks of active days (most engaged, see InsightsRepository.mostEngaged), the segment
 * counters and the ratings: never the posts. Q&A and support
 * response times are asked of their modules, so they are the same numbers as their own reports.
 */
@Injectable()
export class DashboardService {
  /**
   * The two parts that read the most rows (the range's most engaged members, from its blocks of active
   * days, and today's WAU/MAU, from the last 30 days of active days), kept a minute per community and
   * days: dashboards are opened by many staff at once, and these figures are not needed to the second
   * (the counts, segments, Q&A and CSAT are always fresh).
   */
  private readonly heavy = new LRUCache<string, { value: unknown; at: number }>({ max: 2000 });

  constructor(
    private readonly db: Db,
    private readonly repo: InsightsRepository,
    private readonly qa: QaService,
    private readonly support: SupportService,
    private readonly clock: InsightsClock,
  ) {}

  async dashboard(community: CommunityContext, query: { from?: string; to?: string; granularity?: 'day' | 'week' }): Promise<DashboardView> {
    const { from, to } = reportRange(query);
    const granularity = query.granularity ?? 'day';
    const fromDay = dayOf(from);
    const toDay = dayOf(new Date(to.getTime() - 1));
    const today = dayOf(this.clock.now());
    const id = community.id;
    await this.repo.rollup(id, addDays(today, -1));
    const [days, before, liveActive, topProducts, topTags, pointsByRule, mostEngaged, csat, segments, qa, support] = await Promise.all([
      this.db.query<DailyRow>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, new_members, threads, replies, questions, staff_answers, chat_messages, support_requests,
                points_issued, points_redeemed, ratings, ratings_positive, dau, wau, mau
           FROM insights_daily WHERE community_id = $1 AND day >= $2::date AND day <= $3::date ORDER BY day`,
        [id, fromDay, toDay],
      ),
      this.db.query<{ n: number }>('SELECT coalesce(sum(new_members), 0)::int AS n FROM insights_daily WHERE community_id = $1 AND day < $2::date', [id, fromDay]),
      toDay >= today ? this.cached(`active|${id}|${today}`, () => this.liveActive(id, today)) : Promise.resolve(null),
      this.top(id, 'sku', fromDay, toDay),
      this.top(id, 'tag', fromDay, toDay),
      this.top(id, 'points_rule', fromDay, toDay),
      this.cached(`engaged|${id}|${fromDay}|${toDay}`, () => this.repo.mostEngaged(id, fromDay, toDay)),
      this.csat(id, from, to),
      this.segments(id, fromDay, toDay, today),
      this.qa.responseTimesWithTarget(community, { from: from.toISOString(), to: to.toISOString() }),
      this.support.responseTimes(community, { from: from.toISOString(), to: to.toISOString() }).catch(() => null),
    ]);
    const byDay = new Map(days.map((d) => [d.day, d]));
    if (liveActive) {
      const row = byDay.get(today);
      if (row) Object.assign(row, liveActive);
    }
    const series: SeriesPointView[] = [];
    let members = before[0].n;
    const step = granularity === 'week' ? 7 : 1;
    for (let start = fromDay; start <= toDay; start = addDays(start, step)) {
      const bucket: DailyRow[] = [];
      let last = start;
      for (let i = 0; i < step && addDays(start, i) <= toDay; i++) {
        last = addDays(start, i);
        const row = byDay.get(last);
        bucket.push(row ?? ({ day: last } as DailyRow));
      }
      const sum = (k: keyof DailyRow) => bucket.reduce((acc, r) => acc + (Number(r[k]) || 0), 0);
      members += sum('new_members');
      const end = byDay.get(last) ?? (last === today && liveActive ? ({ ...liveActive } as DailyRow) : null);
      const dau = round(sum('dau') / bucket.length, 2);
      const mau = end?.mau ?? null;
      const ratings = sum('ratings');
      series.push({
        start,
        members,
        newMembers: sum('new_members'),
        dau,
        wau: end?.wau ?? null,
        mau,
        stickiness: mau ? round(dau / mau) : null,
        threads: sum('threads'),
        replies: sum('replies'),
        questions: sum('questions'),
        staffAnswers: sum('staff_answers'),
        chatMessages: sum('chat_messages'),
        supportRequests: sum('support_requests'),
        pointsIssued: sum('points_issued'),
        pointsRedeemed: sum('points_redeemed'),
        ratings,
        csat: ratings ? round(sum('ratings_positive') / ratings) : null,
      });
    }
    const total = (k: keyof SeriesPointView) => series.reduce((acc, p) => acc + (Number(p[k]) || 0), 0);
    const lastPoint = series[series.length - 1];
    const dayCount = days.length ? Math.max(1, Math.round((Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`)) / 86_400_000) + 1) : 1;
    const avgDau = round(days.reduce((acc, d) => acc + d.dau, 0) / dayCount, 2);
    const endMau = lastPoint?.mau ?? null;
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      granularity,
      series,
      totals: {
        members: lastPoint?.members ?? members,
        newMembers: total('newMembers'),
        dau: avgDau,
        wau: lastPoint?.wau ?? null,
        mau: endMau,
        stickiness: endMau ? round(avgDau / endMau) : null,
        threads: total('threads'),
        replies: total('replies'),
        questions: total('questions'),
        chatMessages: total('chatMessages'),
        pointsIssued: total('pointsIssued'),
        pointsRedeemed: total('pointsRedeemed'),
      },
      qa: qa as unknown as Record<string, unknown>,
      support: support as unknown as Record<string, unknown> | null,
      topProducts,
      topTags,
      pointsByRule,
      mostEngaged: mostEngaged.map((m) => ({ userId: m.user_id, contribution: m.contribution, activeDays: m.days })),
      segments,
      csat,
    };
  }

  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.heavy.get(key);
    if (hit && Date.now() - hit.at < HEAVY_TTL_MS) return hit.value as T;
    const value = await load();
    this.heavy.set(key, { value, at: Date.now() });
    return value;
  }

  /** Today's WAU and MAU (not rolled up yet: the day is not over). */
  private async liveActive(communityId: string, today: string): Promise<{ wau: number; mau: number }> {
    const [row] = await this.db.query<{ wau: number; mau: number }>(
      `SELECT count(DISTINCT user_id) FILTER (WHERE day > $2::date - 7)::int AS wau, count(DISTINCT user_id)::int AS mau
         FROM insights_activity WHERE community_id = $1 AND day > $2::date - 30 AND day <= $2::date`,
      [communityId, today],
    );
    return row;
  }

  private async top(communityId: string, kind: KeyKind, fromDay: string, toDay: string) {
    const rows = await this.db.query<{ key: string; n: number }>(
      `SELECT key, sum(n)::int AS n FROM insights_daily_keys WHERE community_id = $1 AND kind = $2 AND day >= $3::date AND day <= $4::date
        GROUP BY key ORDER BY 2 DESC, key LIMIT 10`,
      [communityId, kind, fromDay, toDay],
    );
    return rows.map((r) => ({ key: r.key, count: r.n }));
  }

  /** Segment counts at the range end (now, when the range reaches today) against the previous period's end. */
  private async segments(communityId: string, fromDay: string, toDay: string, today: string) {
    const snapshot = async (day: string) => {
      const [row] = await this.db.query<{ a: number; b: number; c: number }>(
        `SELECT segment_a AS a, segment_b AS b, segment_c AS c FROM insights_daily
          WHERE community_id = $1 AND day <= $2::date AND segment_a IS NOT NULL ORDER BY day DESC LIMIT 1`,
        [communityId, day],
      );
      return row ? { A: row.a, B: row.b, C: row.c } : null;
    };
    const current = toDay >= today ? await this.repo.segmentCounts(communityId) : ((await snapshot(toDay)) ?? { A: 0, B: 0, C: 0 });
    const previous = await snapshot(addDays(fromDay, -1));
    const out: Record<string, { count: number; previous: number | null; change: number | null }> = {};
    for (const s of ['A', 'B', 'C'] as const) {
      out[s] = { count: current[s], previous: previous?.[s] ?? null, change: previous ? current[s] - previous[s] : null };
    }
    return out;
  }

  /** CSAT (share of 4 and 5) over the range, overall and per board, product and staff member who answered. */
  private async csat(communityId: string, from: Date, to: Date) {
    const group = async (keySql: string, from_: string): Promise<CsatGroupView[]> => {
      const rows = await this.db.query<{ key: string; n: number; positive: number }>(
        `SELECT ${keySql} AS key, count(*)::int AS n, count(*) FILTER (WHERE score >= 4)::int AS positive
           FROM ${from_} WHERE r.community_id = $1 AND r.created_at >= $2 AND r.created_at < $3 AND ${keySql} IS NOT NULL
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 50`,
        [communityId, from, to],
      );
      return rows.map((r) => ({ key: String(r.key), ratings: r.n, csat: round(r.positive / r.n) }));
    };
    const [overall, byBoard, byProduct, byStaff] = await Promise.all([
      this.db.query<{ n: number; positive: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE score >= 4)::int AS positive FROM insights_ratings r
          WHERE r.community_id = $1 AND r.created_at >= $2 AND r.created_at < $3`,
        [communityId, from, to],
      ),
      group('r.board_id::text', 'insights_ratings r'),
      group('sku', 'insights_ratings r CROSS JOIN LATERAL unnest(r.product_skus) AS sku'),
      group('r.staff_id::text', 'insights_ratings r'),
    ]);
    const o = overall[0];
    return { ratings: o.n, csat: o.n ? round(o.positive / o.n) : null, byBoard, byProduct, byStaff };
  }
}
