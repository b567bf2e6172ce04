/**
 * Bulk seed: threads and posts written straight into PostgreSQL with set-based SQL, for benchmarks and
 * for trying Hearth with a realistic amount of content.
 *
 *   DATABASE_URL=postgres://... npm run seed -- --community acme --board general --threads 1000 --posts 20000
 *   DATABASE_URL=postgres://... npm run seed -- --community acme --board questions --questions 100000
 *
 * The database must already be migrated (start the server on it once, or `npm run migration:run`).
 * The community and board are created if missing, with 20 author accounts (no password: they cannot
 * log in) who become members. The rows keep the invariants the app relies on (see ThreadsService):
 * posts numbered 1..n per thread, threads.post_seq = n, reply_count = n - 1, last_post_at and
 * last_poster_id from the last post, first_post_id set; then search's index is filled (search_reindex). No outbox events
 * are written, so event consumers never hear about seeded content.
 *
 * Bodies are built from a fixed vocabulary: 20 product topics (coffee grinder, blender, kettle, ...) of
 * 7 words each, 60 general review words and some stop words. Every thread has one topic; about a
 * fifth of a post's words come from it, so two words of one topic ("coffee grinder") co-occur in
 * roughly 1.5% of all posts, and words of different topics rarely do.
 *
 * With --questions (seedQuestions) the board is a qa board and gets questions instead: one first post
 * each, about 75% with a staff answer after a skewed delay, some with an accepted member answer, for
 * the unanswered queue and the response-times report (see seedQuestions).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { Client } from 'pg';

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/** Topic words, 7 per topic; a thread's topic is its index modulo the number of topics. */
export const TOPICS: readonly (readonly string[])[] = [
  ['coffee', 'grinder', 'espresso', 'burr', 'beans', 'descale', 'portafilter'],
  ['blender', 'smoothie', 'jar', 'blades', 'ice', 'pulse', 'crushed'],
  ['kettle', 'boil', 'limescale', 'spout', 'temperature', 'tea', 'whistle'],
  ['vacuum', 'suction', 'filter', 'carpet', 'brushroll', 'dustbin', 'cordless'],
  ['battery', 'charger', 'charging', 'drain', 'lithium', 'cable', 'adapter'],
  ['headphones', 'earbuds', 'bass', 'noise', 'cancelling', 'microphone', 'bluetooth'],
  ['camera', 'lens', 'autofocus', 'sensor', 'tripod', 'shutter', 'megapixel'],
  ['laptop', 'keyboard', 'trackpad', 'hinge', 'screen', 'fan', 'ram'],
  ['phone', 'case', 'protector', 'glass', 'cracked', 'notch', 'speaker'],
  ['mattress', 'foam', 'firmness', 'pillow', 'sleep', 'topper', 'springs'],
  ['shoes', 'sole', 'laces', 'insole', 'sizing', 'heel', 'cushioning'],
  ['fridge', 'freezer', 'compressor', 'thermostat', 'shelves', 'humming', 'seal'],
  ['washer', 'dryer', 'spin', 'drum', 'detergent', 'lint', 'cycle'],
  ['oven', 'airfryer', 'preheat', 'crispy', 'basket', 'tray', 'thermometer'],
  ['grill', 'charcoal', 'propane', 'grate', 'smoker', 'brisket', 'burner'],
  ['bike', 'gears', 'chain', 'brakes', 'saddle', 'tires', 'derailleur'],
  ['watch', 'strap', 'tracker', 'heart', 'steps', 'gps', 'altimeter'],
  ['tent', 'zipper', 'waterproof', 'poles', 'rainfly', 'backpack', 'stakes'],
  ['drill', 'bits', 'torque', 'chuck', 'impact', 'screws', 'clutch'],
  ['printer', 'ink', 'toner', 'paper', 'jam', 'wifi', 'cartridge'],
];

/** Words any review may use. */
export const GENERAL_WORDS: readonly string[] = [
  'warranty', 'refund', 'replacement', 'support', 'shipping', 'delivery', 'packaging', 'price', 'quality', 'value',
  'durable', 'sturdy', 'cheap', 'premium', 'broke', 'defective', 'noisy', 'quiet', 'loud', 'easy',
  'difficult', 'setup', 'manual', 'instructions', 'app', 'firmware', 'update', 'recommend', 'return', 'months',
  'weeks', 'daily', 'cleaning', 'design', 'color', 'size', 'weight', 'heavy', 'compact', 'reliable',
  'performance', 'issue', 'problem', 'fixed', 'works', 'great', 'disappointed', 'happy', 'excellent', 'terrible',
  'review', 'customer', 'service', 'model', 'version', 'upgrade', 'accessories', 'store', 'button', 'display',
];

/** Stop words (not indexed by the english configuration): they only make bodies read like text. */
export const FILLER_WORDS: readonly string[] = ['the', 'it', 'and', 'with', 'after', 'my', 'is', 'was', 'but', 'for', 'this', 'very', 'really', 'so', 'on'];

/**
 * A post body like the seeded ones (POSTS_SQL): 12 to 40 words, a fifth from the thread's topic (topic
 * `topic` of TOPICS, wrapped), about half general review words, the rest stop words. `random` is a
 * source of numbers in [0, 1): pass a seeded one for repeatable bodies.
 */
export function sampleBody(topic: number, random: () => number): string {
  const words = TOPICS[topic % TOPICS.length];
  const n = 12 + Math.floor(random() * 29);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    const list = r < 0.2 ? words : r < 0.75 ? GENERAL_WORDS : FILLER_WORDS;
    out.push(list[Math.floor(random() * list.length)]);
  }
  const text = out.join(' ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

/** A repeatable source of numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED_TAGS: readonly string[] = ['review', 'question', 'tip', 'issue', 'setup', 'comparison', 'unboxing', 'warranty'];
export const SEED_SKU_COUNT = 50;

/** Two words of one topic: a query that matches a realistic share (about 1.5%) of the seeded posts. */
export const SEARCH_QUERY_EXAMPLE = 'coffee grinder';

const WORDS_PER_TOPIC = TOPICS[0].length;

// ---------------------------------------------------------------------------------------------
// seedBoard
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// seedQuestions
// ---------------------------------------------------------------------------------------------

export interface SeedQuestionsOptions {
  communityId: string;
  /** A board of kind 'qa' in that community. */
  boardId: string;
  /** Members who ask (and, for the accepted member answers, answer) the questions. */
  askerIds: string[];
  /** Staff accounts the staff answers are attributed to (author_role 'staff'). */
  staffIds: string[];
  questions: number;
  /** Called after each committed batch with questions written so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Questions per batch (one statement and transaction each); default 20,000. */
  batchQuestions?: number;
  /** Questions are asked over this many days before now; default 30. */
  days?: number;
  /** Share of the questions with a staff answer (if its drawn time is not in the future); default 0.75. */
  answeredShare?: number;
  /** Share of the other questions with an accepted member answer instead; default 0.10. */
  acceptedShare?: number;
  /** For overdue_at; default the community's responseTargetMinutes setting (240 if unset). */
  responseTargetMinutes?: number;
}

export interface SeedQuestionsResult {
  /** The new questions' thread ids, oldest first. */
  threadIds: string[];
  /** Questions with a staff answer (first_staff_answer_at set). */
  staffAnswered: number;
  /** Questions with an accepted member answer and no staff answer. */
  memberAccepted: number;
}

/**
 * Seconds from a question to its first staff answer, as quantiles of a skewed (exponential-like)
 * distribution: 20% within 1 h, 50% within 4 h, 85% within 24 h, the rest within 5 days. Between two
 * knots the delay is log-linear in the quantile.
 */
export const RESPONSE_DELAY_KNOTS: readonly (readonly [quantile: number, seconds: number])[] = [
  [0, 120],
  [0.2, 3_600],
  [0.5, 4 * 3_600],
  [0.85, 24 * 3_600],
  [1, 5 * 86_400],
];

/** SQL for the delay (seconds, float8) at quantile `u` (an expression uniform in [0, 1)). */
function delaySql(u: string): string {
  const k = RESPONSE_DELAY_KNOTS;
  const arms = k.slice(1).map(([q1, s1], i) => {
    const [q0, s0] = k[i];
    const expr = `${s0}::float8 * power(${s1 / s0}::float8, (${u} - ${q0}) / ${q1 - q0})`;
    return i === k.length - 2 ? `ELSE ${expr}` : `WHEN ${u} < ${q1} THEN ${expr}`;
  });
  return `CASE ${arms.join(' ')} END`;
}

/** Words of a body: about a fifth from the question's topic, the rest general and stop words. */
const bodyWordsSql = (j: string, length: string) => `(
      SELECT string_agg(CASE WHEN w.r < 0.2 THEN ($11::text[])[(${j} % $12::int) * $13::int + 1 + floor(w.r2 * $13::int)::int]
                             WHEN w.r < 0.75 THEN ($14::text[])[1 + floor(w.r2 * cardinality($14::text[]))::int]
                             ELSE ($15::text[])[1 + floor(w.r2 * cardinality($15::text[]))::int] END, ' ')
        FROM (SELECT random() AS r, random() AS r2 FROM generate_series(1, ${length})) w)`;

/**
 * One batch of questions in one statement: the threads, their first posts, the answers and the
 * acceptances are data-modifying CTEs over the same drawn rows (the foreign keys between them are
 * checked at the end of the statement). Returns how many got a staff and an accepted member answer.
 */
const QUESTIONS_SQL = `
  WITH b AS MATERIALIZED (
    SELECT u.id, u.first_post_id, u.answer_id, u.j,
           to_timestamp($9::float8 - ($9::float8 - $8::float8) * (($7::int - 1 - u.j)::float8 / greatest($7::int - 1, 1))) AS tc,
           random() AS r_kind, random() AS r_delay, random() AS r_accept,
           ($11::text[])[(u.j % $12::int) * $13::int + 1 + (u.j * 3) % $13::int] AS w1,
           ($11::text[])[(u.j % $12::int) * $13::int + 1 + ((u.j * 3) % $13::int + 1 + u.j % ($13::int - 1)) % $13::int] AS w2,
           ($14::text[])[1 + (u.j * 13) % cardinality($14::text[])] AS g1,
           (u.j * 7 + 3) % cardinality($16::uuid[]) AS asker0
      FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::int[]) AS u(id, first_post_id, answer_id, j)
  ),
  d AS MATERIALIZED (
    SELECT b.*,
           CASE WHEN b.r_kind < $18::float8 THEN 'staff'
                WHEN b.r_kind < $18::float8 + (1 - $18::float8) * $19::float8 THEN 'member' END AS drawn,
           b.tc + make_interval(secs => ${delaySql('b.r_delay')}) AS due
      FROM b
  ),
  q AS MATERIALIZED (
    SELECT d.id, d.first_post_id, d.answer_id, d.j, d.tc, d.due, d.r_accept,
           -- An answer drawn for a time still in the future has not come yet: the question is waiting.
           CASE WHEN d.due <= to_timestamp($10::float8) THEN d.drawn END AS answer_kind,
           ($16::uuid[])[1 + d.asker0] AS asker_id,
           CASE WHEN d.drawn = 'staff' THEN ($17::uuid[])[1 + (d.j * 5 + 1) % cardinality($17::uuid[])]
                WHEN cardinality($16::uuid[]) > 1
                  THEN ($16::uuid[])[1 + (d.asker0 + 1 + (d.j * 11) % (cardinality($16::uuid[]) - 1)) % cardinality($16::uuid[])]
                ELSE ($16::uuid[])[1 + d.asker0] END AS answerer_id,
           CASE d.j % 5
             WHEN 0 THEN 'Is the ' || d.w1 || ' ' || d.w2 || ' worth it?'
             WHEN 1 THEN 'How do I fix a ' || d.g1 || ' ' || d.w1 || '?'
             WHEN 2 THEN 'Why is my ' || d.w1 || ' ' || d.w2 || ' ' || d.g1 || '?'
             WHEN 3 THEN initcap(d.w1) || ' ' || d.w2 || ': ' || d.g1 || ' question'
             ELSE 'Does the ' || d.w1 || ' work with the ' || d.w2 || '?'
           END AS title,
           ARRAY['SKU-' || (1 + (d.j * 37) % $21::int)]
             || CASE WHEN d.j % 4 = 0 THEN ARRAY['SKU-' || (1 + (d.j * 37 + 11) % $21::int)] ELSE '{}'::text[] END AS skus,
           upper(left(qb.words, 1)) || substr(qb.words, 2) || '?' AS question_body,
           upper(left(ab.words, 1)) || substr(ab.words, 2) || '.' AS answer_body
      FROM d
      CROSS JOIN LATERAL (SELECT ${bodyWordsSql('d.j', '10 + (d.j * 31) % 21')} AS words) qb
      CROSS JOIN LATERAL (SELECT ${bodyWordsSql('d.j', '15 + (d.j * 17) % 31')} AS words) ab
  ),
  ins_threads AS (
    INSERT INTO threads (id, community_id, board_id, kind, author_id, title, tags, product_skus, reply_count, post_seq,
                         last_post_at, last_poster_id, first_post_id, created_at,
                         first_staff_answer_at, first_staff_answer_post_id, accepted_post_id, overdue_at)
    SELECT q.id, $1::uuid, $2::uuid, 'qa', q.asker_id, q.title, ARRAY['question'], q.skus,
           CASE WHEN q.answer_kind IS NULL THEN 0 ELSE 1 END,
           CASE WHEN q.answer_kind IS NULL THEN 1 ELSE 2 END,
           CASE WHEN q.answer_kind IS NULL THEN q.tc ELSE q.due END,
           CASE WHEN q.answer_kind IS NULL THEN q.asker_id ELSE q.answerer_id END,
           q.first_post_id, q.tc,
           CASE WHEN q.answer_kind = 'staff' THEN q.due END,
           CASE WHEN q.answer_kind = 'staff' THEN q.answer_id END,
           CASE WHEN q.answer_kind = 'member' THEN q.answer_id END,
           -- What the overdue scheduler would have stamped: past the target with no staff answer by then.
           CASE WHEN q.tc + make_interval(secs => $20::float8) <= to_timestamp($10::float8)
                 AND (q.answer_kind IS DISTINCT FROM 'staff' OR q.due > q.tc + make_interval(secs => $20::float8))
                THEN q.tc + make_interval(secs => $20::float8) END
      FROM q
  ),
  ins_questions AS (
    INSERT INTO posts (id, thread_id, community_id, board_id, post_number, author_id, author_role, body, html, created_at)
    SELECT q.first_post_id, q.id, $1::uuid, $2::uuid, 1, q.asker_id, 'member', q.question_body, '<p>' || q.question_body || E'</p>\\n', q.tc
      FROM q
  ),
  ins_answers AS (
    INSERT INTO posts (id, thread_id, community_id, board_id, post_number, author_id, author_role, body, html, created_at)
    SELECT q.answer_id, q.id, $1::uuid, $2::uuid, 2, q.answerer_id, q.answer_kind, q.answer_body, '<p>' || q.answer_body || E'</p>\\n', q.due
      FROM q WHERE q.answer_kind IS NOT NULL
  ),
  ins_acceptances AS (
    INSERT INTO answer_acceptances (thread_id, post_id, accepted_by, created_at)
    SELECT q.id, q.answer_id, q.asker_id, least(q.due + make_interval(secs => q.r_accept * 43200), to_timestamp($10::float8))
      FROM q WHERE q.answer_kind = 'member'
  )
  SELECT count(*) FILTER (WHERE answer_kind = 'staff')::int AS staff, count(*) FILTER (WHERE answer_kind = 'member')::int AS member
    FROM q`;

/**
 * Inserts `questions` questions (threads of kind 'qa', each with its first post) into a qa board, in
 * batches of about 20,000, one transaction each, with the invariants of seedBoard. They are asked
 * uniformly over the last `days` days (the oldest 15 minutes inside the window, so a report over the
 * last `days` days run soon after sees them all), about SEED_SKU_COUNT product SKUs (SKU-1..SKU-50,
 * a quarter with a second SKU).
 *
 * About `answeredShare` of them get a staff reply (post 2, author_role 'staff') after a delay drawn
 * from RESPONSE_DELAY_KNOTS, stamped as the first staff answer; about `acceptedShare` of the others
 * get a reply by another asker, accepted by the asker (threads.accepted_post_id and an
 * answer_acceptances row). An answer drawn for a time after now is not written: that question is
 * still waiting, as it would be. Questions that passed the response target with no staff answer by
 * then carry the overdue_at the scheduler would have set, so it has no backlog to mark (and no
 * events to record) while a benchmark runs. No outbox events are written.
 */
export async function seedQuestions(databaseUrl: string, opts: SeedQuestionsOptions): Promise<SeedQuestionsResult> {
  const { questions } = opts;
  if (!Number.isInteger(questions) || questions < 1) throw new Error(`questions must be an integer >= 1 (got ${questions})`);
  if (!opts.askerIds.length) throw new Error('askerIds must not be empty');
  if (!opts.staffIds.length) throw new Error('staffIds must not be empty');
  const answeredShare = opts.answeredShare ?? 0.75;
  const acceptedShare = opts.acceptedShare ?? 0.1;
  for (const [name, v] of [['answeredShare', answeredShare], ['acceptedShare', acceptedShare]] as const) {
    if (!(v >= 0 && v <= 1)) throw new Error(`${name} must be between 0 and 1 (got ${v})`);
  }
  const batch = Math.max(1, opts.batchQuestions ?? 20_000);
  const days = opts.days ?? 30;
  const nowEpoch = Date.now() / 1000;
  const endEpoch = nowEpoch - 60;
  const startEpoch = Math.min(endEpoch, nowEpoch - days * 86_400 + 15 * 60);
  const topicWords = TOPICS.flat();

  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const result: SeedQuestionsResult = { threadIds: [], staffAnswered: 0, memberAccepted: 0 };
  try {
    const { rows: boards } = await client.query<{ kind: string; community_id: string; settings: Record<string, unknown> | null }>(
      'SELECT b.kind, b.community_id, c.settings FROM boards b JOIN communities c ON c.id = b.community_id WHERE b.id = $1',
      [opts.boardId],
    );
    if (!boards.length) throw new Error(`board ${opts.boardId} not found`);
    if (boards[0].community_id !== opts.communityId) throw new Error(`board ${opts.boardId} is not in community ${opts.communityId}`);
    if (boards[0].kind !== 'qa') throw new Error(`board ${opts.boardId} is a ${boards[0].kind} board; questions go in a qa board`);
    const stored = boards[0].settings?.responseTargetMinutes;
    const targetMinutes = opts.responseTargetMinutes ?? (typeof stored === 'number' && Number.isInteger(stored) && stored >= 1 ? stored : 240);

    await client.query('SET synchronous_commit = off');
    const triggersOff = await bulkLoadMode(client);
    for (let j0 = 0; j0 < questions; j0 += batch) {
      const js = Array.from({ length: Math.min(questions, j0 + batch) - j0 }, (_, i) => j0 + i);
      const ids = js.map(() => randomUUID());
      await client.query('BEGIN');
      try {
        const { rows } = await client.query<{ staff: number; member: number }>(QUESTIONS_SQL, [
          opts.communityId, opts.boardId, ids, js.map(() => randomUUID()), js.map(() => randomUUID()), js, questions,
          startEpoch, endEpoch, nowEpoch, topicWords, TOPICS.length, WORDS_PER_TOPIC, GENERAL_WORDS, FILLER_WORDS,
          opts.askerIds, opts.staffIds, answeredShare, acceptedShare, targetMinutes * 60, SEED_SKU_COUNT,
        ]);
        await client.query('COMMIT');
        result.staffAnswered += rows[0].staff;
        result.memberAccepted += rows[0].member;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      result.threadIds.push(...ids);
      opts.onProgress?.(j0 + js.length, questions);
    }
    await reindexSearch(client, opts.communityId, triggersOff);
  } finally {
    await client.end();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Authors, community and board
// ---------------------------------------------------------------------------------------------

const FIRST_NAMES = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Liam', 'Maya', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tariq'];

/**
 * Makes sure `count` author accounts exist (emails `${emailPrefix}-N@hearth.test`, N from 1, no
 * password) and are members of the community; returns their ids in order. Idempotent. With role
 * 'staff', members among them are made staff (higher roles are kept).
 */
export async function ensureAuthors(
  databaseUrl: string,
  communityId: string,
  count: number,
  emailPrefix = 'seed-author',
  role: 'member' | 'staff' = 'member',
): Promise<string[]> {
  const emails = Array.from({ length: count }, (_, i) => `${emailPrefix}-${i + 1}@hearth.test`);
  const names = emails.map((_, i) => `${FIRST_NAMES[i % FIRST_NAMES.length]} ${i + 1}`);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO users (email, display_name, created_at)
       SELECT e, n, now() - interval '400 days' FROM unnest($1::text[], $2::text[]) AS x(e, n)
       ON CONFLICT (lower(email)) DO NOTHING`,
      [emails, names],
    );
    const { rows } = await client.query<{ id: string; email: string }>('SELECT id, lower(email) AS email FROM users WHERE lower(email) = ANY($1::text[])', [emails]);
    const byEmail = new Map(rows.map((r) => [r.email, r.id]));
    const ids = emails.map((e) => byEmail.get(e)!);
    await client.query(
      `INSERT INTO memberships (community_id, user_id, role, joined_at)
       SELECT $1, u, $3, now() - interval '365 days' FROM unnest($2::uuid[]) AS u
       ON CONFLICT (community_id, user_id) DO UPDATE SET role = EXCLUDED.role
         WHERE memberships.role = 'member' AND EXCLUDED.role <> 'member'`,
      [communityId, ids, role],
    );
    return ids;
  } finally {
    await client.end();
  }
}

/** The community and board with these slugs, created (public board of that kind) if missing; an existing board must be of that kind. */
export async function ensureBoard(
  databaseUrl: string,
  communitySlug: string,
  boardSlug: string,
  kind: 'discussion' | 'qa' = 'discussion',
): Promise<{ communityId: string; boardId: string }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ ok: boolean }>(`SELECT to_regclass('public.posts') IS NOT NULL AND to_regclass('public.communities') IS NOT NULL AS ok`);
    if (!tables[0].ok) throw new Error('the database has no Hearth tables yet: start the server on it once (or run `npm run migration:run`) first');
    const title = (slug: string) => slug.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
    await client.query('INSERT INTO communities (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING', [communitySlug, title(communitySlug)]);
    const { rows: communities } = await client.query<{ id: string }>('SELECT id FROM communities WHERE slug = $1', [communitySlug]);
    const communityId = communities[0].id;
    await client.query(
      `INSERT INTO boards (community_id, slug, name, kind, visibility, position)
       VALUES ($1, $2, $3, $4, 'public', (SELECT COALESCE(max(position) + 1, 0) FROM boards WHERE community_id = $1))
       ON CONFLICT (community_id, slug) DO NOTHING`,
      [communityId, boardSlug, title(boardSlug), kind],
    );
    const { rows: boards } = await client.query<{ id: string; kind: string }>('SELECT id, kind FROM boards WHERE community_id = $1 AND slug = $2', [communityId, boardSlug]);
    if (boards[0].kind !== kind) throw new Error(`board ${communitySlug}/${boardSlug} is a ${boards[0].kind} board, not ${kind}`);
    return { communityId, boardId: boards[0].id };
  } finally {
    await client.end();
  }
}

/** The tables the seeds write: what analyzeTables processes by default. */
export const SEEDED_TABLES: readonly string[] = ['threads', 'posts', 'answer_acceptances', 'search_threads', 'search_posts'];

/**
 * Bulk loads skip the triggers (search's index, and the foreign-key checks: the seed writes consistent
 * rows) when the role may (a superuser); reindexSearch() then fills search's index in one go.
 * Returns whether they are off.
 */
async function bulkLoadMode(client: Client): Promise<boolean> {
  return client.query('SET session_replication_role = replica').then(
    () => true,
    () => false,
  );
}

/** Search's index for the community (search_threads, search_posts): set-based, for what the triggers did not see. */
async function reindexSearch(client: Client, communityId: string, triggersOff: boolean): Promise<void> {
  if (!triggersOff) return;
  await client.query('SET session_replication_role = DEFAULT');
  await client.query('SELECT search_reindex($1)', [communityId]);
}

/**
 * Runs ANALYZE on the seeded tables (default SEEDED_TABLES), so the planner knows their new size. With
 * `vacuum`, VACUUM (ANALYZE) instead, which also sets hint bits and the visibility map and leaves autovacuum
 * nothing to do right after the seed; with `checkpoint`, then a CHECKPOINT (best effort: it needs superuser
 * or pg_checkpoint), so the seed's dirty pages are not written out in the background while a benchmark measures.
 */
export async function analyzeTables(databaseUrl: string, opts: { vacuum?: boolean; checkpoint?: boolean; tables?: readonly string[] } = {}): Promise<void> {
  const tables = opts.tables ?? SEEDED_TABLES;
  if (!tables.length || !tables.every((t) => /^[a-z_][a-z0-9_]*$/.test(t))) throw new Error(`bad table list: ${tables.join(', ')}`);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`${opts.vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} ${tables.join(', ')}`);
    if (opts.checkpoint) await client.query('CHECKPOINT').catch(() => undefined);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Progress bar (stderr)
// ---------------------------------------------------------------------------------------------

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr. On a terminal it redraws in place; otherwise (CI logs, pipes) it prints a
 * line every 5 s, so long seeds still show they are moving.
 */
export function progressBar(label: string, unit = 'posts'): Progress {
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration}s | ETA {eta}s`,
    stream: process.stderr,
    barsize: 30,
    hideCursor: false,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    gracefulExit: false,
    etaBuffer: 20,
  });
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = [
  'usage: DATABASE_URL=postgres://... node dist/test/support/seed.js --community <slug> --board <slug> [--threads 1000] [--posts 20000] [--authors 20]',
  '       DATABASE_URL=postgres://... node dist/test/support/seed.js --community <slug> --board <slug> --questions 100000 [--authors 20] [--staff 5]',
  '  --questions seeds questions into a qa board (created if missing) instead of threads and posts; --staff is the number of staff accounts answering them',
].join('\n');

function intOption(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be an integer >= ${min} (got "${value}")`);
  return Number(value);
}

class UsageError extends Error {}

interface CliArgs {
  community: string;
  board: string;
  threads: number;
  posts: number;
  authors: number;
  /** Set: seed this many questions (qa board) instead of threads and posts. */
  questions: number | null;
  staff: number;
}

async function cli(argv: string[]): Promise<number> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    process.stderr.write('set DATABASE_URL=postgres://... : the seed writes straight into a (migrated) PostgreSQL database\n' + USAGE + '\n');
    return 1;
  }
  let args: CliArgs;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        community: { type: 'string' },
        board: { type: 'string' },
        threads: { type: 'string' },
        posts: { type: 'string' },
        authors: { type: 'string' },
        questions: { type: 'string' },
        staff: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (!values.community || !/^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/.test(values.community)) {
      throw new UsageError('--community must be a community slug (3-40 lowercase letters, digits or inner hyphens)');
    }
    if (!values.board || !/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(values.board)) {
      throw new UsageError('--board must be a board slug (1-40 lowercase letters, digits or inner hyphens)');
    }
    const questions = values.questions === undefined ? null : intOption(values.questions, 'questions', 0, 1);
    if (questions !== null && (values.threads !== undefined || values.posts !== undefined)) {
      throw new UsageError('--questions seeds a qa board: it does not go with --threads or --posts');
    }
    if (questions === null && values.staff !== undefined) throw new UsageError('--staff goes with --questions');
    const threads = intOption(values.threads, 'threads', 1000, 1);
    const posts = intOption(values.posts, 'posts', 20_000, 1);
    if (posts < threads) throw new UsageError(`--posts (${posts}) must be at least --threads (${threads}): every thread has a first post`);
    args = {
      community: values.community,
      board: values.board,
      threads,
      posts,
      authors: intOption(values.authors, 'authors', 20, 1),
      questions,
      staff: intOption(values.staff, 'staff', 5, 1),
    };
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 1;
  }

  const started = Date.now();
  const { communityId, boardId } = await ensureBoard(databaseUrl, args.community, args.board, args.questions === null ? 'discussion' : 'qa');
  const authorIds = await ensureAuthors(databaseUrl, communityId, args.authors);
  if (args.questions !== null) {
    const staffIds = await ensureAuthors(databaseUrl, communityId, args.staff, 'seed-staff', 'staff');
    const progress = progressBar('seeding questions', 'questions');
    let seeded: SeedQuestionsResult;
    try {
      seeded = await seedQuestions(databaseUrl, {
        communityId,
        boardId,
        askerIds: authorIds,
        staffIds,
        questions: args.questions,
        onProgress: (d, t) => progress.update(d, t),
      });
    } finally {
      progress.stop();
    }
    await analyzeTables(databaseUrl);
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `seeded ${args.questions} questions into ${args.community}/${args.board} (${seeded.staffAnswered} answered by ${args.staff} staff, ` +
        `${seeded.memberAccepted} with an accepted member answer; ${args.authors} askers) in ${seconds.toFixed(1)} s\n`,
    );
    return 0;
  }
  const progress = progressBar('seeding');
  try {
    await seedBoard(databaseUrl, { communityId, boardId, authorIds, threads: args.threads, posts: args.posts, onProgress: (d, t) => progress.update(d, t) });
  } finally {
    progress.stop();
  }
  await analyzeTables(databaseUrl);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `seeded ${args.threads} threads and ${args.posts} posts into ${args.community}/${args.board} (${args.authors} authors) in ${seconds.toFixed(1)} s\n`,
  );
  return 0;
}

if (require.main === module) {
  cli(process.argv.slice(2))
    .catch((err) => {
      process.stderr.write(`seed failed: ${err?.message ?? err}\n`);
      return 1;
    })
    .then((code) => process.exit(code));
}
