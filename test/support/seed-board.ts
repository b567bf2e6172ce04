/** seedBoard: threads and posts of a discussion board, written with set-based SQL (see seed.ts). */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { bulkLoadMode, reindexSearch } from './seed-bulk';
import { FILLER_WORDS, GENERAL_WORDS, SEED_SKU_COUNT, SEED_TAGS, TOPICS, WORDS_PER_TOPIC } from './seed-text';

export interface SeedBoardOptions {
  communityId: string;
  boardId: string;
  /** Users the threads and posts are attributed to (they should be members of the community). */
  authorIds: string[];
  threads: number;
  /** Posts in total, first posts included; spread evenly over the threads (so posts >= threads). */
  posts: number;
  /** Called after each committed batch with posts written so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Posts per batch (one transaction per batch); default 50,000. */
  batchPosts?: number;
  /** created_at values span this many days before now; default 30. */
  days?: number;
}

const THREADS_SQL = `
  INSERT INTO threads (id, community_id, board_id, author_id, title, tags, product_skus, reply_count, post_seq,
                       last_post_at, last_poster_id, first_post_id, created_at)
  SELECT b.id, $1, $2,
         a.authors[1 + ((b.j * 7 + 3) % a.n_authors)],
         CASE b.j % 5
           WHEN 0 THEN initcap(b.w1) || ' ' || b.w2 || ' ' || b.g1 || ' after ' || (2 + b.j % 11) || ' weeks'
           WHEN 1 THEN 'Is the ' || b.w1 || ' ' || b.w2 || ' worth it?'
           WHEN 2 THEN initcap(b.w1) || ' ' || b.g1 || ' and ' || b.g2 || ' question'
           WHEN 3 THEN 'My ' || b.w1 || ' and ' || b.w2 || ': ' || b.g1 || ' review'
           ELSE initcap(b.g1) || ' ' || b.w1 || ' ' || b.w2 || ' tips'
         END,
         ARRAY[($6::text[])[1 + b.j % 8]]
           || CASE WHEN b.j % 3 = 0 THEN ARRAY[($6::text[])[1 + ((b.j % 8) + 1 + (b.j / 8) % 7) % 8]] ELSE '{}'::text[] END,
         ARRAY['SKU-' || (1 + (b.j * 37) % $7::int)]
           || CASE WHEN b.j % 4 = 0 THEN ARRAY['SKU-' || (1 + (b.j * 37 + 11) % $7::int)] ELSE '{}'::text[] END,
         b.n - 1, b.n,
         to_timestamp(extract(epoch FROM b.tc)::float8 + ($9::float8 - extract(epoch FROM b.tc)::float8) * ((b.n - 1)::float8 / b.n)),
         a.authors[1 + ((b.j * 7 + b.n * 3) % a.n_authors)],
         b.first_post_id, b.tc
    FROM (SELECT u.id, u.first_post_id, u.j,
                 $10::int + CASE WHEN u.j < $11::int THEN 1 ELSE 0 END AS n,
                 to_timestamp($8::float8 + ($9::float8 - $8::float8) * (u.j::float8 / $12::int)) AS tc,
                 ($5::text[])[(u.j % $13::int) * $14::int + 1 + (u.j * 3) % $14::int] AS w1,
                 ($5::text[])[(u.j % $13::int) * $14::int + 1 + ((u.j * 3) % $14::int + 1 + u.j % ($14::int - 1)) % $14::int] AS w2,
                 ($15::text[])[1 + (u.j * 13) % cardinality($15::text[])] AS g1,
                 ($15::text[])[1 + (u.j * 29 + 5) % cardinality($15::text[])] AS g2
            FROM unnest($3::uuid[], $4::uuid[], $16::int[]) AS u(id, first_post_id, j)) b,
         (SELECT $17::uuid[] AS authors, cardinality($17::uuid[]) AS n_authors) a`;

const POSTS_SQL = `
  INSERT INTO posts (id, thread_id, community_id, board_id, post_number, author_id, author_role, body, html, created_at)
  SELECT CASE WHEN k = 1 THEN t.first_post_id ELSE gen_random_uuid() END,
         t.id, t.community_id, t.board_id, k,
         a.authors[1 + ((u.j * 7 + k * 3) % a.n_authors)],
         'member', x.body, '<p>' || x.body || E'</p>\\n',
         to_timestamp(extract(epoch FROM t.created_at)::float8 + ($4::float8 - extract(epoch FROM t.created_at)::float8) * ((k - 1)::float8 / t.post_seq))
    FROM unnest($1::uuid[], $2::int[]) AS u(id, j)
    JOIN threads t ON t.id = u.id
    CROSS JOIN (SELECT $3::uuid[] AS authors, cardinality($3::uuid[]) AS n_authors) a
    CROSS JOIN LATERAL generate_series(greatest($5::int, 1), least(t.post_seq, $6::int)) AS k
    CROSS JOIN LATERAL (
      SELECT upper(left(s.words, 1)) || substr(s.words, 2) || '.' AS body
        FROM (SELECT string_agg(CASE WHEN w.r < 0.2 THEN ($7::text[])[(u.j % $10::int) * $11::int + 1 + floor(w.r2 * $11::int)::int]
                                     WHEN w.r < 0.75 THEN ($8::text[])[1 + floor(w.r2 * cardinality($8::text[]))::int]
                                     ELSE ($9::text[])[1 + floor(w.r2 * cardinality($9::text[]))::int] END, ' ') AS words
                FROM (SELECT random() AS r, random() AS r2 FROM generate_series(1, 12 + ((u.j * 31 + k * 17) % 29))) w) s
    ) x`;

/**
 * Inserts `threads` threads and `posts` posts (first posts included) into a board, in batches of about
 * 50,000 posts, one transaction each. Returns the new thread ids, oldest thread first.
 */
export async function seedBoard(databaseUrl: string, opts: SeedBoardOptions): Promise<{ threadIds: string[] }> {
  const { threads, posts } = opts;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be an integer >= 1 (got ${threads})`);
  if (!Number.isInteger(posts) || posts < threads) throw new Error(`posts must be an integer >= threads (got ${posts} posts for ${threads} threads)`);
  if (!opts.authorIds.length) throw new Error('authorIds must not be empty');
  const batchPosts = Math.max(1, opts.batchPosts ?? 50_000);
  const base = Math.floor(posts / threads);
  const remainder = posts % threads;
  const maxPerThread = base + (remainder ? 1 : 0);
  const postsOf = (j: number) => base + (j < remainder ? 1 : 0);
  const threadsPerBatch = Math.max(1, Math.floor(batchPosts / maxPerThread));
  const days = opts.days ?? 30;
  const endEpoch = Date.now() / 1000 - 60;
  const startEpoch = endEpoch - days * 86_400;
  const topicWords = TOPICS.flat();

  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const threadIds: string[] = [];
  let done = 0;
  try {
    // Losing the tail of a seed on a crash is fine; waiting for each WAL flush is not needed.
    await client.query('SET synchronous_commit = off');
    const triggersOff = await bulkLoadMode(client);
    for (let j0 = 0; j0 < threads; j0 += threadsPerBatch) {
      const j1 = Math.min(threads, j0 + threadsPerBatch);
      const js = Array.from({ length: j1 - j0 }, (_, i) => j0 + i);
      const ids = js.map(() => randomUUID());
      const firstPostIds = js.map(() => randomUUID());
      await client.query('BEGIN');
      try {
        await client.query(THREADS_SQL, [
          opts.communityId, opts.boardId, ids, firstPostIds, topicWords, SEED_TAGS, SEED_SKU_COUNT,
          startEpoch, endEpoch, base, remainder, threads, TOPICS.length, WORDS_PER_TOPIC, GENERAL_WORDS, js, opts.authorIds,
        ]);
        // Usually a batch holds whole threads; a thread longer than a batch is written in slices of post numbers.
        const sliceSize = threadsPerBatch > 1 ? maxPerThread : batchPosts;
        const batchTotal = js.reduce((sum, j) => sum + postsOf(j), 0);
        for (let k0 = 1; k0 <= maxPerThread; k0 += sliceSize) {
          const k1 = k0 + sliceSize - 1;
          await client.query(POSTS_SQL, [ids, js, opts.authorIds, endEpoch, k0, k1, topicWords, GENERAL_WORDS, FILLER_WORDS, TOPICS.length, WORDS_PER_TOPIC]);
          if (k1 < maxPerThread) {
            // Report slices of a long thread as they are written (they commit with the batch).
            opts.onProgress?.(done + js.reduce((sum, j) => sum + Math.min(postsOf(j), k1), 0), posts);
          }
        }
        await client.query('COMMIT');
        done += batchTotal;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      threadIds.push(...ids);
      opts.onProgress?.(done, posts);
    }
    await reindexSearch(client, opts.communityId, triggersOff);
  } finally {
    await client.end();
  }
  return { threadIds };
}
