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
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { Client } from 'pg';
import { seedBoard } from './seed-board';
import { seedQuestions, SeedQuestionsResult } from './seed-questions';

// The vocabulary (seed-text.ts), seedBoard (seed-board.ts) and seedQuestions (seed-questions.ts) live
// in their own files; importers keep reading them from here.
export * from './seed-text';
export { seedBoard } from './seed-board';
export type { SeedBoardOptions } from './seed-board';
export { RESPONSE_DELAY_KNOTS, seedQuestions } from './seed-questions';
export type { SeedQuestionsOptions, SeedQuestionsResult } from './seed-questions';

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
