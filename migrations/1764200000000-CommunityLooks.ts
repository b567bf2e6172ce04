import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The brand look (issues 23 and 24): per community a logo, a primary colour and custom CSS, set by
 * the community's admin. `custom_css` is what the admin wrote (shown back to them); `compiled_css`
 * is the checked stylesheet the pages link (css-tree's regeneration of it). `version` counts
 * changes; `css_hash` names the served stylesheet (`/c/:slug/look/<hash>.css`, cached for a year).
 * The draft (colour and CSS) is what the admin page previews before publishing. A community
 * without a row has the default theme. The logo file lives under UPLOAD_DIR like avatars.
 */
export class CommunityLooks1764200000000 implements MigrationInterface {
  name = 'CommunityLooks1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE community_looks (
        community_id uuid PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
        primary_color varchar(7) CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
        custom_css text NOT NULL DEFAULT '' CHECK (length(custom_css) <= 10000),
        compiled_css text NOT NULL DEFAULT '',
        css_hash varchar(16) NOT NULL,
        logo_file varchar(64),
        version int NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by uuid REFERENCES users(id) ON DELETE SET NULL,
        draft_primary_color varchar(7) CHECK (draft_primary_color ~ '^#[0-9a-f]{6}$'),
        draft_custom_css text CHECK (length(draft_custom_css) <= 10000),
        draft_compiled_css text
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE community_looks');
  }
}
