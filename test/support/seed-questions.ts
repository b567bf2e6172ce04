/** seedQuestions: questions of a qa board with their staff and accepted answers (see seed.ts). */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { bulkLoadMode, reindexSearch } from './seed-bulk';
import { FILLER_WORDS, GENERAL_WORDS, SEED_SKU_COUNT, TOPICS, WORDS_PER_TOPIC } from './seed-text';

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
