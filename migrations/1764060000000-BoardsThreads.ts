import { MigrationInterface, QueryRunner } from 'typeorm';

/** Boards, threads, posts (with full-text search), revisions, reactions and image attachments. */
export class BoardsThreads1764060000000 implements MigrationInterface {
  name = 'BoardsThreads1764060000000';

  async up(q: QueryRunner): Promise<void> {
    // @mentions look members up by handle: the display name without whitespace, without case.
    await q.query(`CREATE INDEX users_handle_idx ON users ((lower(regexp_replace(display_name, '\\s', '', 'g'))))`);
    await q.query(`
      CREATE TABLE boards (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        slug varchar(40) NOT NULL,
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        kind varchar(16) NOT NULL CHECK (kind IN ('discussion', 'qa', 'showcase', 'announcements', 'ideas')),
        visibility varchar(16) NOT NULL CHECK (visibility IN ('public', 'members', 'staff')),
        position int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX boards_community_slug_key ON boards (community_id, slug)`);
    await q.query(`CREATE INDEX boards_order_idx ON boards (community_id, position, created_at, id)`);

    await q.query(`
      CREATE TABLE threads (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        board_id uuid NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
        author_id uuid NOT NULL REFERENCES users(id),
        title varchar(200) NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        product_skus text[] NOT NULL DEFAULT '{}',
        pinned boolean NOT NULL DEFAULT false,
        locked boolean NOT NULL DEFAULT false,
        reply_count int NOT NULL DEFAULT 0,
        post_seq int NOT NULL DEFAULT 0,
        last_post_at timestamptz NOT NULL DEFAULT now(),
        last_poster_id uuid REFERENCES users(id),
        score int NOT NULL DEFAULT 0,
        reaction_count int NOT NULL DEFAULT 0,
        accepted_post_id uuid,
        official_post_id uuid,
        first_post_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX threads_latest_idx ON threads (board_id, pinned DESC, last_post_at DESC, id DESC) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX threads_top_idx ON threads (board_id, (score + reaction_count) DESC, last_post_at DESC, id DESC) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX threads_unanswered_idx ON threads (board_id, created_at DESC, id DESC) WHERE deleted_at IS NULL AND reply_count = 0`);
    await q.query(`CREATE INDEX threads_tags_idx ON threads USING gin (tags)`);
    await q.query(`CREATE INDEX threads_skus_idx ON threads USING gin (product_skus)`);

    await q.query(`
      CREATE TABLE posts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        thread_id uuid NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        board_id uuid NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
        post_number int NOT NULL,
        author_id uuid NOT NULL REFERENCES users(id),
        author_role varchar(16) NOT NULL,
        body text NOT NULL,
        html text NOT NULL,
        reply_to_post_id uuid REFERENCES posts(id),
        reactions jsonb NOT NULL DEFAULT '{}'::jsonb,
        score int NOT NULL DEFAULT 0,
        verified_buyer boolean NOT NULL DEFAULT false,
        hidden boolean NOT NULL DEFAULT false,
        search_title text,
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english', coalesce(search_title, '')), 'A') || setweight(to_tsvector('english', body), 'B')
        ) STORED,
        created_at timestamptz NOT NULL DEFAULT now(),
        edited_at timestamptz,
        deleted_at timestamptz,
        deleted_by uuid REFERENCES users(id)
      )`);
    await q.query(`CREATE UNIQUE INDEX posts_thread_number_key ON posts (thread_id, post_number)`);
    await q.query(`CREATE INDEX posts_author_idx ON posts (community_id, author_id, created_at DESC)`);
    await q.query(`CREATE INDEX posts_search_idx ON posts USING gin (search)`);

    await q.query(`
      CREATE TABLE post_revisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        post_id uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        revision int NOT NULL,
        body text NOT NULL,
        editor_id uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (post_id, revision)
      )`);

    await q.query(`
      CREATE TABLE post_reactions (
        post_id uuid NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        kind varchar(16) NOT NULL CHECK (kind IN ('like', 'helpful', 'love', 'insightful')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (post_id, user_id, kind)
      )`);

    await q.query(`
      CREATE TABLE attachments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        community_id uuid NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
        uploader_id uuid NOT NULL REFERENCES users(id),
        post_id uuid REFERENCES posts(id) ON DELETE SET NULL,
        file_name varchar(100) NOT NULL,
        content_type varchar(50) NOT NULL,
        bytes int NOT NULL,
        width int NOT NULL,
        height int NOT NULL,
        sha256 char(64) NOT NULL,
        reuse_consent_at timestamptz,
        reuse_consent_revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX attachments_file_key ON attachments (file_name)`);
    await q.query(`CREATE INDEX attachments_post_idx ON attachments (post_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE attachments, post_reactions, post_revisions, posts, threads, boards`);
    await q.query(`DROP INDEX users_handle_idx`);
  }
}
