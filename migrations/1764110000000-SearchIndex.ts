import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The search module's own index, replacing the recent tier (search_recent) and the tsvector on posts.
 *
 * - search_threads: one document per live thread whose first post is visible: its title (weight A),
 *   first post (B) and accepted, official and FAQ answers (C), with what ranking and filters need
 *   (board, tags, SKUs, answered, FAQ, score, replies, last activity). Full-text GIN index; trigram
 *   GiST index on the title for suggestions (nearest first, so a top 8 reads a bounded part of it).
 * - search_posts: one document per visible post (the first post's also holds the title), for the
 *   best post of each hit and for threads that match only in their replies.
 *
 * Triggers on posts and threads keep both in the writer's transaction (a reply: one row into
 * search_posts, and the thread's counters copied into search_threads, a HOT update).
 * search_reindex(community) fills both after bulk loads that bypass the triggers.
 */
export class SearchIndex1764110000000 implements MigrationInterface {
  name = 'SearchIndex1764110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER posts_search_recent ON posts`);
    await q.query(`DROP FUNCTION search_recent_refresh(uuid, integer), search_recent_prune(integer), search_recent_trim(uuid, integer), search_recent_sync()`);
    await q.query(`DROP TABLE search_recent`);
    await q.query(`DROP INDEX posts_faq_idx`);
    await q.query(`DROP INDEX posts_search_idx`);
    await q.query(`ALTER TABLE posts DROP COLUMN search, DROP COLUMN search_title`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);

    await q.query(`
      CREATE TABLE search_threads (
        thread_id uuid PRIMARY KEY REFERENCES threads(id) ON DELETE CASCADE,
        community_id uuid NOT NULL,
        board_id uuid NOT NULL,
        title text NOT NULL,
        tags text[] NOT NULL,
        product_skus text[] NOT NULL,
        document tsvector NOT NULL,
        answered boolean NOT NULL,
        answer_post_ids uuid[] NOT NULL,
        faq boolean NOT NULL,
        score int NOT NULL,
        reply_count int NOT NULL,
        last_post_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX search_threads_document_idx ON search_threads USING gin (document)`);
    await q.query(`CREATE INDEX search_threads_title_idx ON search_threads USING gin (to_tsvector('english', title))`);
    await q.query(`CREATE INDEX search_threads_suggest_idx ON search_threads USING gist (title gist_trgm_ops)`);
    await q.query(`
      CREATE TABLE search_posts (
        post_id uuid PRIMARY KEY,
        thread_id uuid NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        community_id uuid NOT NULL,
        board_id uuid NOT NULL,
        document tsvector NOT NULL
      )`);
    await q.query(`CREATE INDEX search_posts_document_idx ON search_posts USING gin (document)`);
    await q.query(`CREATE INDEX search_posts_thread_idx ON search_posts (thread_id)`);
    // FAQ answers of a thread, for its document (a handful per community).
    await q.query(`CREATE INDEX posts_faq_thread_idx ON posts (thread_id) WHERE faq_at IS NOT NULL`);

    await q.query(`
      CREATE VIEW search_thread_source AS
      SELECT t.id AS thread_id, t.community_id, t.board_id, t.title, t.tags, t.product_skus,
             setweight(to_tsvector('english', t.title), 'A') || setweight(to_tsvector('english', f.body), 'B')
               || setweight(to_tsvector('english', COALESCE(a.bodies, '')), 'C') AS document,
             (t.accepted_post_id IS NOT NULL OR t.official_post_id IS NOT NULL) AS answered,
             COALESCE(a.ids, '{}') AS answer_post_ids,
             (f.faq_at IS NOT NULL OR COALESCE(a.faq, false)) AS faq,
             t.score + t.reaction_count AS score, t.reply_count, t.last_post_at, t.created_at
        FROM threads t
        JOIN posts f ON f.thread_id = t.id AND f.post_number = 1 AND f.deleted_at IS NULL AND NOT f.hidden
        LEFT JOIN LATERAL (
          SELECT string_agg(p.body, ' ') AS bodies, array_agg(p.id) AS ids, bool_or(p.faq_at IS NOT NULL) AS faq
            FROM posts p
           WHERE p.id IN (SELECT t.accepted_post_id UNION SELECT t.official_post_id UNION SELECT x.id FROM posts x WHERE x.thread_id = t.id AND x.faq_at IS NOT NULL)
             AND p.post_number > 1 AND p.deleted_at IS NULL AND NOT p.hidden
        ) a ON true
       WHERE t.deleted_at IS NULL`);
    const upsertThreads = (where: string) => `
      INSERT INTO search_threads (thread_id, community_id, board_id, title, tags, product_skus, document, answered, answer_post_ids, faq, score, reply_count, last_post_at, created_at)
      SELECT thread_id, community_id, board_id, title, tags, product_skus, document, answered, answer_post_ids, faq, score, reply_count, last_post_at, created_at
        FROM search_thread_source WHERE ${where}
      ON CONFLICT (thread_id) DO UPDATE SET community_id = EXCLUDED.community_id, board_id = EXCLUDED.board_id, title = EXCLUDED.title,
        tags = EXCLUDED.tags, product_skus = EXCLUDED.product_skus, document = EXCLUDED.document, answered = EXCLUDED.answered, answer_post_ids = EXCLUDED.answer_post_ids,
        faq = EXCLUDED.faq, score = EXCLUDED.score, reply_count = EXCLUDED.reply_count, last_post_at = EXCLUDED.last_post_at`;
    await q.query(`
      CREATE FUNCTION search_post_document(title text, body text) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
        SELECT setweight(to_tsvector('english', COALESCE(title, '')), 'A') || setweight(to_tsvector('english', body), 'B')
      $$`);
    await q.query(`
      CREATE FUNCTION search_thread_refresh(tid uuid) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM search_threads WHERE thread_id = tid AND NOT EXISTS (SELECT 1 FROM search_thread_source WHERE thread_id = tid);
        ${upsertThreads('thread_id = tid')};
      END $$`);
    await q.query(`
      CREATE FUNCTION search_post_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.deleted_at IS NOT NULL OR NEW.hidden THEN
          DELETE FROM search_posts WHERE post_id = NEW.id;
        ELSIF TG_OP = 'INSERT' OR NEW.body IS DISTINCT FROM OLD.body OR OLD.deleted_at IS NOT NULL OR OLD.hidden THEN
          INSERT INTO search_posts (post_id, thread_id, community_id, board_id, document)
          VALUES (NEW.id, NEW.thread_id, NEW.community_id, NEW.board_id,
                  search_post_document(CASE WHEN NEW.post_number = 1 THEN (SELECT title FROM threads WHERE id = NEW.thread_id) END, NEW.body))
          ON CONFLICT (post_id) DO UPDATE SET board_id = EXCLUDED.board_id, document = EXCLUDED.document;
        ELSIF NEW.board_id IS DISTINCT FROM OLD.board_id THEN
          UPDATE search_posts SET board_id = NEW.board_id WHERE post_id = NEW.id;
        END IF;
        -- The thread's document holds its first post and its accepted, official and FAQ answers.
        IF NEW.post_number = 1 OR NEW.faq_at IS NOT NULL OR (TG_OP = 'UPDATE' AND OLD.faq_at IS NOT NULL)
           OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM threads WHERE id = NEW.thread_id AND NEW.id IN (accepted_post_id, official_post_id))) THEN
          PERFORM search_thread_refresh(NEW.thread_id);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER search_posts_sync AFTER INSERT OR UPDATE OF body, hidden, deleted_at, faq_at, board_id ON posts
        FOR EACH ROW EXECUTE FUNCTION search_post_sync()`);
    await q.query(`
      CREATE FUNCTION search_thread_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.title, NEW.tags, NEW.product_skus, NEW.board_id, NEW.accepted_post_id, NEW.official_post_id, NEW.deleted_at)
           IS DISTINCT FROM (OLD.title, OLD.tags, OLD.product_skus, OLD.board_id, OLD.accepted_post_id, OLD.official_post_id, OLD.deleted_at) THEN
          PERFORM search_thread_refresh(NEW.id);
          IF NEW.title IS DISTINCT FROM OLD.title THEN
            UPDATE search_posts s SET document = search_post_document(NEW.title, p.body)
              FROM posts p WHERE p.thread_id = NEW.id AND p.post_number = 1 AND s.post_id = p.id;
          END IF;
        ELSE
          -- Replies, votes and reactions: only the ranking signals (no indexed column changes: a HOT update).
          UPDATE search_threads SET score = NEW.score + NEW.reaction_count, reply_count = NEW.reply_count, last_post_at = NEW.last_post_at
           WHERE thread_id = NEW.id AND (score, reply_count, last_post_at) IS DISTINCT FROM (NEW.score + NEW.reaction_count, NEW.reply_count, NEW.last_post_at);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER search_threads_sync
        AFTER UPDATE OF title, tags, product_skus, board_id, accepted_post_id, official_post_id, deleted_at, score, reaction_count, reply_count, last_post_at ON threads
        FOR EACH ROW EXECUTE FUNCTION search_thread_sync()`);
    // After a bulk load with triggers off (the seed): index what is missing, refresh every thread's document.
    await q.query(`
      CREATE FUNCTION search_reindex(community uuid) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO search_posts (post_id, thread_id, community_id, board_id, document)
        SELECT p.id, p.thread_id, p.community_id, p.board_id, search_post_document(CASE WHEN p.post_number = 1 THEN t.title END, p.body)
          FROM posts p JOIN threads t ON t.id = p.thread_id
         WHERE p.community_id = community AND p.deleted_at IS NULL AND NOT p.hidden AND t.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM search_posts s WHERE s.post_id = p.id);
        ${upsertThreads('community_id = community')};
      END $$`);
    await q.query(`SELECT search_reindex(id) FROM communities`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER search_threads_sync ON threads`);
    await q.query(`DROP TRIGGER search_posts_sync ON posts`);
    await q.query(`DROP FUNCTION search_reindex(uuid), search_thread_sync(), search_post_sync(), search_thread_refresh(uuid), search_post_document(text, text)`);
    await q.query(`DROP VIEW search_thread_source`);
    await q.query(`DROP TABLE search_posts, search_threads`);
    await q.query(`DROP INDEX posts_faq_thread_idx`);
    await q.query(`ALTER TABLE posts ADD COLUMN search_title text`);
    await q.query(`
      ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(search_title, '')), 'A') || setweight(to_tsvector('english', body), 'B')
      ) STORED`);
    await q.query(`CREATE INDEX posts_search_idx ON posts USING gin (search)`);
    await q.query(`CREATE INDEX posts_faq_idx ON posts (community_id) WHERE faq_at IS NOT NULL`);
    // The recent tier's table, trigger and functions are those of SearchTiers1764080000000: revert to it and up again to restore them.
  }
}
