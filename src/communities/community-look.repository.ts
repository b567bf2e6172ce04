import { Injectable } from '@nestjs/common';
import { Db } from '../core/database/db.service';

export interface LookRow {
  community_id: string;
  primary_color: string | null;
  custom_css: string;
  compiled_css: string;
  css_hash: string;
  logo_file: string | null;
  version: number;
  updated_at: Date;
  draft_primary_color: string | null;
  draft_custom_css: string | null;
  draft_compiled_css: string | null;
}

/** What every page needs of a look, kept in memory for all communities that have one. */
export interface LookSummaryRow {
  slug: string;
  css_hash: string;
  has_css: boolean;
  logo_file: string | null;
}

export interface LookChange {
  primaryColor: string | null;
  customCss: string;
  compiledCss: string;
  cssHash: string;
  logoFile: string | null;
  clearDraft: boolean;
  by: string;
}

/** The SQL of the brand look (community_looks, owned by the communities module). */
@Injectable()
export class CommunityLookRepository {
  constructor(private readonly db: Db) {}

  async byCommunity(communityId: string): Promise<LookRow | null> {
    const [row] = await this.db.query<LookRow>('SELECT * FROM community_looks WHERE community_id = $1', [communityId]);
    return row ?? null;
  }

  async bySlug(slug: string): Promise<LookRow | null> {
    const [row] = await this.db.query<LookRow>(
      'SELECT l.* FROM community_looks l JOIN communities c ON c.id = l.community_id WHERE c.slug = $1',
      [slug],
    );
    return row ?? null;
  }

  /** The row, created empty if missing, locked for the caller's transaction. */
  async lockForUpdate(communityId: string): Promise<LookRow> {
    await this.db.query(`INSERT INTO community_looks (community_id, css_hash) VALUES ($1, '') ON CONFLICT (community_id) DO NOTHING`, [communityId]);
    const [row] = await this.db.query<LookRow>('SELECT * FROM community_looks WHERE community_id = $1 FOR UPDATE', [communityId]);
    return row;
  }

  async update(communityId: string, change: LookChange): Promise<LookRow> {
    const [row] = await this.db.query<LookRow>(
      `UPDATE community_looks SET primary_color = $2, custom_css = $3, compiled_css = $4, css_hash = $5, logo_file = $6,
              version = version + 1, updated_at = now(), updated_by = $7,
              draft_primary_color = CASE WHEN $8 THEN NULL ELSE draft_primary_color END,
              draft_custom_css = CASE WHEN $8 THEN NULL ELSE draft_custom_css END,
              draft_compiled_css = CASE WHEN $8 THEN NULL ELSE draft_compiled_css END
        WHERE community_id = $1 RETURNING *`,
      [communityId, change.primaryColor, change.customCss, change.compiledCss, change.cssHash, change.logoFile, change.by, change.clearDraft],
    );
    return row;
  }

  async saveDraft(communityId: string, draft: { primaryColor: string | null; customCss: string; compiledCss: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO community_looks (community_id, css_hash, draft_primary_color, draft_custom_css, draft_compiled_css) VALUES ($1, '', $2, $3, $4)
       ON CONFLICT (community_id) DO UPDATE SET draft_primary_color = $2, draft_custom_css = $3, draft_compiled_css = $4`,
      [communityId, draft.primaryColor, draft.customCss, draft.compiledCss],
    );
  }

  /** Every community with a look set (a row with a version). */
  async summaries(): Promise<LookSummaryRow[]> {
    return this.db.query<LookSummaryRow>(
      `SELECT c.slug, l.css_hash, (l.primary_color IS NOT NULL OR l.compiled_css <> '') AS has_css, l.logo_file
         FROM community_looks l JOIN communities c ON c.id = l.community_id
        WHERE l.version > 0`,
    );
  }
}
