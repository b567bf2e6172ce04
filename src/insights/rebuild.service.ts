import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { DomainEvent, DomainEventType } from '../core/events/event-types';
import { ApplyRepository } from './apply.repository';
import { effectsOf, INSIGHTS_EVENT_TYPES, repliedThreads } from './event-effects';

const BATCH = 2000;
const DERIVED = 'insights_profiles, insights_activity, insights_activity_blocks, insights_daily, insights_daily_keys, insights_communities, insights_questions, insights_support, insights_seen_events, insights_forgotten_users';

/**
 * Applies events in id order: the consumer's batch (with `claim`: recorded as seen in the same
 * statement, see ApplyRepository.apply; if some were seen before, only the others are applied) and
 * the rebuild's loop (no claim).
 */
export async function applyEvents(repo: ApplyRepository, events: DomainEvent[], claim = false): Promise<void> {
  if (!events.length) return;
  const known = await repo.knownQuestions(repliedThreads(events));
  const fresh = await repo.apply(effectsOf(events, known), claim ? events.map((e) => e.id) : undefined);
  const rest = fresh ? events.filter((e) => fresh.has(e.id)) : [];
  if (rest.length) await repo.apply(effectsOf(rest, known));
}

/**
 * Recomputes every derived insights table from the events table (the events stay forever; outbox
 * deliveries may be pruned). One transaction: the TRUNCATE's lock holds the live consumer back
 * until the rebuilt tables commit, so none of its batches is lost or counted twice (its seen ids are
 * rebuilt too). Segments, churn flags and the daily segment snapshots are the daily job's
 * judgements, not event sums: they are kept across the rebuild, so it sends no spurious changes.
 */
@Injectable()
export class RebuildService {
  constructor(
    private readonly db: Db,
    private readonly repo: ApplyRepository,
  ) {}

  async rebuild(onProgress: (done: number, total: number) => void = () => undefined): Promise<{ events: number }> {
    return this.db.transaction(async () => {
      await this.db.query(`CREATE TEMP TABLE insights_keep_profiles ON COMMIT DROP AS
        SELECT community_id, user_id, segment, churn_risk, churn_reason, segment_computed_at FROM insights_profiles`);
      await this.db.query(`CREATE TEMP TABLE insights_keep_daily ON COMMIT DROP AS
        SELECT community_id, day, segment_a, segment_b, segment_c FROM insights_daily WHERE segment_a IS NOT NULL`);
      await this.db.query(`CREATE TEMP TABLE insights_keep_communities ON COMMIT DROP AS
        SELECT community_id, core_threshold, segments_day FROM insights_communities`);
      await this.db.query(`TRUNCATE ${DERIVED}`);
      const types = INSIGHTS_EVENT_TYPES as string[];
      const [{ total, max }] = await this.db.query<{ total: number; max: string | null }>(
        'SELECT count(*)::int AS total, max(id)::text AS max FROM events WHERE type = ANY($1::text[])',
        [types],
      );
      let done = 0;
      let after = '0';
      onProgress(0, total);
      while (max !== null) {
        const rows = await this.db.query<{ id: string; type: string; community_id: string | null; data: unknown; created_at: Date }>(
          `SELECT e.id::text AS id, e.type, e.community_id, e.data, e.created_at FROM events e
            WHERE e.id > $1::bigint AND e.id <= $2::bigint AND e.type = ANY($3::text[]) ORDER BY e.id LIMIT ${BATCH}`,
          [after, max, types],
        );
        if (!rows.length) break;
        const events = rows.map((r) => ({ id: r.id, type: r.type as DomainEventType, communityId: r.community_id, data: r.data, createdAt: new Date(r.created_at) }) as DomainEvent);
        await this.db.query('INSERT INTO insights_seen_events (event_id) SELECT unnest($1::bigint[])', [events.map((e) => e.id)]);
        await applyEvents(this.repo, events);
        done += rows.length;
        after = rows[rows.length - 1].id;
        onProgress(done, total);
      }
      await this.db.query(`UPDATE insights_profiles p SET segment = k.segment, churn_risk = k.churn_risk, churn_reason = k.churn_reason, segment_computed_at = k.segment_computed_at
                             FROM insights_keep_profiles k WHERE p.community_id = k.community_id AND p.user_id = k.user_id`);
      await this.db.query(`INSERT INTO insights_daily AS t (community_id, day, segment_a, segment_b, segment_c) SELECT * FROM insights_keep_daily
                           ON CONFLICT (community_id, day) DO UPDATE SET segment_a = excluded.segment_a, segment_b = excluded.segment_b, segment_c = excluded.segment_c`);
      await this.db.query(`INSERT INTO insights_communities AS t (community_id, core_threshold, segments_day) SELECT * FROM insights_keep_communities
                           ON CONFLICT (community_id) DO UPDATE SET core_threshold = excluded.core_threshold, segments_day = excluded.segments_day`);
      // The segments were put back after the replay counted every member in C: count them again.
      await this.db.query(`UPDATE insights_communities c SET members_a = n.a, members_b = n.b, members_c = n.c
                             FROM (SELECT k.community_id, count(p.user_id) FILTER (WHERE p.segment = 'A')::int AS a, count(p.user_id) FILTER (WHERE p.segment = 'B')::int AS b,
                                          count(p.user_id) FILTER (WHERE p.segment = 'C')::int AS c
                                     FROM insights_communities k LEFT JOIN insights_profiles p ON p.community_id = k.community_id GROUP BY 1) n
                            WHERE c.community_id = n.community_id`);
      return { events: done };
    });
  }
}
