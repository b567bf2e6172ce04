import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';
import { ItemType } from './dto/moderation.dto';

export interface ItemRow {
  id: string;
  community_id: string;
  type: ItemType;
  target_type: 'post' | 'user' | 'message';
  target_id: string;
  target_author_id: string | null;
  status: 'pending' | 'approved' | 'rejected' | 'ignored';
  score: number;
  automod: string[];
  version: number;
  created_at: Date;
  resolved_at: Date | null;
  resolution: string | null;
  note: string | null;
}

export interface ReportRow {
  id: string;
  community_id: string;
  item_id: string;
  reporter_id: string;
  target_type: string;
  target_id: string;
  reason: string;
  note: string | null;
  weight: number;
  status: string;
  created_at: Date;
}

/** SQL of review items (one per target) and the reports behind them. */
@Injectable()
export class ReviewRepository {
  constructor(private readonly db: Db) {}

  /**
   * The target's item, created or joined (a unique index on the target: concurrent reports meet here and
   * the row stays locked for the caller's transaction). A resolved item opens again; every change bumps
   * the version, so a moderator resolving what they saw before gets 409.
   */
  async upsertItem(input: { communityId: string; type: ItemType; targetType: string; targetId: string; authorId: string | null; automod?: string[] }): Promise<ItemRow> {
    const [row] = await this.db.query<ItemRow>(
      `INSERT INTO review_items AS i (community_id, type, target_type, target_id, target_author_id, automod)
       VALUES ($1, $2, $3, $4, $5, $6::text[])
       ON CONFLICT (target_type, target_id) DO UPDATE SET
         type = CASE WHEN i.status = 'pending' AND i.type = 'queued_post' THEN i.type ELSE EXCLUDED.type END,
         automod = CASE WHEN i.status = 'pending' THEN ARRAY(SELECT DISTINCT unnest(i.automod || EXCLUDED.automod)) ELSE EXCLUDED.automod END,
         score = CASE WHEN i.status = 'pending' THEN i.score ELSE 0 END,
         status = 'pending', resolved_at = NULL, resolved_by = NULL, resolution = NULL, note = NULL,
         version = i.version + 1, updated_at = now()
       RETURNING *`,
      [input.communityId, input.type, input.targetType, input.targetId, input.authorId, input.automod ?? []],
    );
    return row;
  }

  async item(id: string): Promise<ItemRow | null> {
    const [row] = await this.db.query<ItemRow>('SELECT * FROM review_items WHERE id = $1', [id]);
    return row ?? null;
  }

  async openReportOf(itemTarget: { targetType: string; targetId: string }, reporterId: string): Promise<ReportRow | null> {
    const [row] = await this.db.query<ReportRow>(
      `SELECT r.* FROM reports r JOIN review_items i ON i.id = r.item_id
        WHERE i.target_type = $1 AND i.target_id = $2 AND r.reporter_id = $3 AND r.status = 'open'`,
      [itemTarget.targetType, itemTarget.targetId, reporterId],
    );
    return row ?? null;
  }

  /** Inserts the report unless the reporter has an open one on the item (then null). */
  async insertReport(r: Omit<ReportRow, 'id' | 'status' | 'created_at'>): Promise<ReportRow | null> {
    const [row] = await this.db.query<ReportRow>(
      `INSERT INTO reports (community_id, item_id, reporter_id, target_type, target_id, reason, note, weight)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (item_id, reporter_id) WHERE status = 'open' DO NOTHING RETURNING *`,
      [r.community_id, r.item_id, r.reporter_id, r.target_type, r.target_id, r.reason, r.note, r.weight],
    );
    return row ?? null;
  }

  /** Recomputes the item's score from its open reports; returns it with the number of distinct reporters. */
  async rescore(itemId: string): Promise<{ score: number; reporters: number }> {
    const [row] = await this.db.query<{ score: number; reporters: number }>(
      `UPDATE review_items i SET score = s.score FROM (
         SELECT COALESCE(sum(weight), 0)::float8 AS score, count(DISTINCT reporter_id)::int AS reporters FROM reports WHERE item_id = $1 AND status = 'open') s
        WHERE i.id = $1 RETURNING s.score, s.reporters`,
      [itemId],
    );
    return row;
  }

  /** Marks a pending item resolved if it is still at `version` (when given): null when it changed meanwhile. */
  async resolve(itemId: string, status: string, resolution: string, by: string, note: string | null, version: number | undefined, at: Date): Promise<ItemRow | null> {
    const [row] = await this.db.query<ItemRow>(
      `UPDATE review_items SET status = $2, resolution = $3, resolved_by = $4, note = $5, resolved_at = $7, version = version + 1, updated_at = now()
        WHERE id = $1 AND status = 'pending' AND ($6::int IS NULL OR version = $6::int) RETURNING *`,
      [itemId, status, resolution, by, note, version ?? null, at],
    );
    return row ?? null;
  }

  async closeReports(itemId: string, status: 'upheld' | 'dismissed' | 'ignored', at: Date): Promise<void> {
    await this.db.query(`UPDATE reports SET status = $2, resolved_at = $3 WHERE item_id = $1 AND status = 'open'`, [itemId, status, at]);
  }

  /** A target gone elsewhere (its post deleted): its pending item is ignored, with its reports. */
  async ignoreTarget(targetType: string, targetId: string, at: Date): Promise<void> {
    const [item] = await this.db.query<{ id: string }>(
      `UPDATE review_items SET status = 'ignored', resolution = 'target_deleted', resolved_at = $3, version = version + 1, updated_at = now()
        WHERE target_type = $1 AND target_id = $2 AND status = 'pending' RETURNING id`,
      [targetType, targetId, at],
    );
    if (item) await this.closeReports(item.id, 'ignored', at);
  }

  async page(communityId: string, statuses: string[], type: string | undefined, after: [number, string, string] | null, limit: number): Promise<Array<ItemRow & { k: string }>> {
    const params: unknown[] = [communityId, statuses, limit];
    const where = ['community_id = $1', 'status = ANY($2::text[])'];
    if (type) where.push(`type = $${params.push(type)}`);
    if (after) {
      params.push(after[0], after[1], after[2]);
      where.push(`(-score, created_at, id) > (-$${params.length - 2}::float8, $${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    return this.db.query<ItemRow & { k: string }>(
      `SELECT *, created_at::text AS k FROM review_items WHERE ${where.join(' AND ')} ORDER BY score DESC, created_at, id LIMIT $3`,
      params,
    );
  }

  /** The reports behind some items (the first 50 of each), oldest first. */
  async reportsOf(itemIds: string[]): Promise<ReportRow[]> {
    if (!itemIds.length) return [];
    return this.db.query<ReportRow>(
      `SELECT x.* FROM unnest($1::uuid[]) AS i(id)
         CROSS JOIN LATERAL (SELECT * FROM reports r WHERE r.item_id = i.id ORDER BY r.created_at, r.id LIMIT 50) x`,
      [itemIds],
    );
  }
}
