import { MigrationInterface, QueryRunner } from 'typeorm';

/** The size of the recent tier until the server's pruner applies SEARCH_RECENT_POSTS (the default then; fixed here, as a migration never changes). */
const DEFAULT_RECENT_POSTS = 20_000;

/**
 * Search in tiers (see ThreadsService.search). `search_recent` holds the search vectors of each
 * community's newest visible posts, with its own full-text index: a search of the recent tier reads
 * posting lists as long as the recent posts, not as long as the whole history. A trigger on posts
 * keeps it in step with every write (a new post enters it; an edit updates it; a deleted or hidden
 * post leaves it); search_recent_trim() trims one community to its newest posts (the server runs it
 * for the communities it posted in, every few seconds), search_recent_prune() all of them, and
 * search_recent_refresh() fills one community from scratch (after bulk loads).
 * FAQ posts are found through their own small partial index.
 */
export class SearchTiers1764080000000 implements MigrationInterface {
  name = 'SearchTiers1764080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX posts_community_created_idx ON posts (community_id, created_at)`);
    await q.query(`CREATE INDEX posts_faq_idx ON posts (community_id) WHERE faq_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE search_recent (
        post_id uuid PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
        community_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        search tsvector NOT NULL
      )`);
    await q.query(`CREATE INDEX search_recent_search_idx ON search_recent USING gin (search)`);
    await q.query(`CREATE INDEX search_recent_community_idx ON search_recent (community_id, created_at)`);
    await q.query(`
      CREATE FUNCTION search_recent_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NEW.deleted_at IS NULL AND NOT NEW.hidden THEN
            INSERT INTO search_recent (post_id, community_id, created_at, search) VALUES (NEW.id, NEW.community_id, NEW.created_at, NEW.search);
          END IF;
        ELSIF NEW.deleted_at IS NOT NULL OR NEW.hidden THEN
          DELETE FROM search_recent WHERE post_id = NEW.id;
        ELSIF NEW.search IS DISTINCT FROM OLD.search THEN
          UPDATE search_recent SET search = NEW.search WHERE post_id = NEW.id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER posts_search_recent AFTER INSERT OR UPDATE OF body, search_title, deleted_at, hidden ON posts
        FOR EACH ROW EXECUTE FUNCTION search_recent_sync()`);
    await q.query(`
      CREATE FUNCTION search_recent_trim(community uuid, keep integer) RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        boundary timestamptz;
        removed bigint := 0;
      BEGIN
        SELECT created_at INTO boundary FROM search_recent WHERE community_id = community ORDER BY created_at DESC OFFSET keep - 1 LIMIT 1;
        IF boundary IS NOT NULL THEN
          DELETE FROM search_recent WHERE community_id = community AND created_at < boundary;
          GET DIAGNOSTICS removed = ROW_COUNT;
        END IF;
        RETURN removed;
      END $$`);
    await q.query(`
      CREATE FUNCTION search_recent_prune(keep integer) RETURNS bigint LANGUAGE sql AS $$
        SELECT COALESCE(sum(search_recent_trim(id, keep)), 0)::bigint FROM communities
      $$`);
    await q.query(`
      CREATE FUNCTION search_recent_refresh(community uuid, keep integer) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO search_recent (post_id, community_id, created_at, search)
          SELECT id, community_id, created_at, search FROM posts
           WHERE community_id = community AND deleted_at IS NULL AND NOT hidden
           ORDER BY created_at DESC LIMIT keep
        ON CONFLICT (post_id) DO NOTHING;
        PERFORM search_recent_trim(community, keep);
      END $$`);
    await q.query(`SELECT search_recent_refresh(id, ${DEFAULT_RECENT_POSTS}) FROM communities`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER posts_search_recent ON posts`);
    await q.query(`DROP FUNCTION search_recent_refresh(uuid, integer), search_recent_prune(integer), search_recent_trim(uuid, integer), search_recent_sync()`);
    await q.query(`DROP TABLE search_recent`);
    await q.query(`DROP INDEX posts_faq_idx`);
    await q.query(`DROP INDEX posts_community_created_idx`);
  }
}
