import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log's filters by target type and date range (issue: audit filters). The log is now read
 * newest first by (created_at, id), so a date range is one index range instead of a walk back
 * through every newer entry, and a target type has its own (with a date range inside it). Measured
 * on 1M entries: an old month went from ~100 ms (the id index walked back, filtering) to < 1 ms.
 * The (community_id, id DESC) index served only the former id order: replaced.
 */
export class AuditFilters1764215000000 implements MigrationInterface {
  name = 'AuditFilters1764215000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX moderation_audit_created_idx ON moderation_audit (community_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX moderation_audit_type_idx ON moderation_audit (community_id, target_type, created_at DESC, id DESC)`);
    await q.query(`DROP INDEX moderation_audit_community_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX moderation_audit_community_idx ON moderation_audit (community_id, id DESC)`);
    await q.query(`DROP INDEX moderation_audit_type_idx`);
    await q.query(`DROP INDEX moderation_audit_created_idx`);
  }
}
