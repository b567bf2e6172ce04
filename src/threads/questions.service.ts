import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { Role } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';

const UNANSWERED_CURSOR = cursorKind<[string, string]>('qa:unanswered', 'timestamp', 'uuid');
import { BoardsService } from '../boards/boards.service';
import { ThreadsErrors } from './threads.errors';
import { ThreadViewsService } from './thread-views.service';
import { ThreadView } from './dto/threads.dto';

/** A post and its thread, as the Q&A module needs them to decide. */
export interface PostContext {
  post: { id: string; threadId: string; communityId: string; boardId: string; authorId: string; postNumber: number; faq: boolean };
  thread: { id: string; kind: string; authorId: string; acceptedPostId: string | null; officialPostId: string | null; productSkus: string[] };
  role: Role | null;
}

export interface ResponseTimeStats {
  questions: number;
  answered: number;
  firstResponseSeconds: { p50: number | null; p90: number | null };
  within: { '1h': number; '4h': number; '24h': number };
  /** Share answered within `targetSeconds` (when asked for). */
  withinTarget?: number;
}

/** A staff member's first answers to questions of a range (the staff dashboard). */
export interface StaffResponseTimes {
  userId: string;
  /** Questions they gave the first staff answer to. */
  answered: number;
  /** Median seconds from the question to that answer. */
  p50Seconds: number | null;
  /** Share of those answered within the community's response target. */
  withinTarget: number;
}

export interface QueueFilter {
  board?: string;
  sku?: string;
}

/**
 * The question state kept with threads and posts (votes and scores, accepted and official answers,
 * first staff answer, overdue mark, duplicates, FAQ flag), changed and queried for the Q&A module,
 * which owns the acceptance history and the FAQ list and decides who may do what.
 */
@Injectable()
export class QuestionsService {
  constructor(
    private readonly db: Db,
    private readonly threadViews: ThreadViewsService,
    private readonly boards: BoardsService,
    private readonly cursors: Cursors,
  ) {}

  /** The post and its thread if the caller can see them (404 otherwise). */
  async postContext(actor: Actor | null, postId: string): Promise<PostContext> {
    const [row] = await this.db.query<{
      id: string; thread_id: string; community_id: string; board_id: string; author_id: string; post_number: number; faq_at: Date | null;
      kind: string; thread_author_id: string; accepted_post_id: string | null; official_post_id: string | null; product_skus: string[];
    }>(
      `SELECT p.id, p.thread_id, p.community_id, p.board_id, p.author_id, p.post_number, p.faq_at,
              t.kind, t.author_id AS thread_author_id, t.accepted_post_id, t.official_post_id, t.product_skus
         FROM posts p JOIN threads t ON t.id = p.thread_id
        WHERE p.id = $1 AND p.deleted_at IS NULL AND NOT p.hidden AND t.deleted_at IS NULL`,
      [postId],
    );
    if (!row) throw ThreadsErrors.postNotFound();
    const role = await this.boards.getAccessible(actor, row.board_id).then(
      (a) => a.role,
      () => {
        throw ThreadsErrors.postNotFound();
      },
    );
    return {
      post: { id: row.id, threadId: row.thread_id, communityId: row.community_id, boardId: row.board_id, authorId: row.author_id, postNumber: row.post_number, faq: row.faq_at !== null },
      thread: { id: row.thread_id, kind: row.kind, authorId: row.thread_author_id, acceptedPostId: row.accepted_post_id, officialPostId: row.official_post_id, productSkus: row.product_skus },
      role,
    };
  }

  /**
   * Records a member's vote on a post (0 withdraws it) and updates the scores; returns the vote it
   * replaced and the new score. Runs in the caller's transaction; an advisory lock serialises one
   * member's votes on one post, so a double click cannot count twice.
   */
  async castVote(postId: string, userId: string, value: -1 | 0 | 1): Promise<{ previous: number; score: number }> {
    await this.db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vote:${postId}:${userId}`]);
    const [row] = await this.db.query<{ value: number }>('SELECT value FROM post_votes WHERE post_id = $1 AND user_id = $2', [postId, userId]);
    const previous = row ? Number(row.value) : 0;
    if (value === 0) await this.db.query('DELETE FROM post_votes WHERE post_id = $1 AND user_id = $2', [postId, userId]);
    else
      await this.db.query(
        `INSERT INTO post_votes (post_id, user_id, value) VALUES ($1, $2, $3)
         ON CONFLICT (post_id, user_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [postId, userId, value],
      );
    return { previous, score: await this.addToScore(postId, value - previous) };
  }

  /** Adds `delta` to a post's score (and to its thread's when it is the question). Runs in the caller's transaction. */
  private async addToScore(postId: string, delta: number): Promise<number> {
    if (!delta) {
      const [row] = await this.db.query<{ score: number }>('SELECT score FROM posts WHERE id = $1', [postId]);
      return row.score;
    }
    const [row] = await this.db.query<{ score: number; post_number: number; thread_id: string }>(
      'UPDATE posts SET score = score + $2 WHERE id = $1 RETURNING score, post_number, thread_id',
      [postId, delta],
    );
    if (row.post_number === 1) await this.db.query('UPDATE threads SET score = score + $2 WHERE id = $1', [row.thread_id, delta]);
    return row.score;
  }

  /** Locks the question's row for the caller's transaction and returns its accepted and official answers. */
  async lockMarks(threadId: string): Promise<{ acceptedPostId: string | null; officialPostId: string | null }> {
    const [row] = await this.db.query<{ accepted_post_id: string | null; official_post_id: string | null }>(
      'SELECT accepted_post_id, official_post_id FROM threads WHERE id = $1 FOR UPDATE',
      [threadId],
    );
    return { acceptedPostId: row?.accepted_post_id ?? null, officialPostId: row?.official_post_id ?? null };
  }

  async setAccepted(threadId: string, postId: string): Promise<void> {
    await this.db.query('UPDATE threads SET accepted_post_id = $2 WHERE id = $1', [threadId, postId]);
  }

  async setOfficial(threadId: string, postId: string | null): Promise<void> {
    await this.db.query('UPDATE threads SET official_post_id = $2 WHERE id = $1', [threadId, postId]);
  }

  async setFaq(postId: string, on: boolean): Promise<void> {
    await this.db.query(`UPDATE posts SET faq_at = CASE WHEN $2::boolean THEN COALESCE(faq_at, now()) ELSE NULL END WHERE id = $1`, [postId, on]);
  }

  /** Closes the question as a duplicate: linked and locked. */
  async markDuplicate(threadId: string, ofThreadId: string): Promise<void> {
    await this.db.query('UPDATE threads SET duplicate_of_thread_id = $2, locked = true WHERE id = $1', [threadId, ofThreadId]);
  }

  /**
   * Questions with neither a staff answer nor an accepted answer (duplicates left out), oldest
   * first, in the boards the caller can see, with their age and whether the target has passed.
   */
  async unanswered(
    communityId: string,
    role: Role | null,
    targetMinutes: number,
    query: QueueFilter & { limit?: number; cursor?: string },
  ): Promise<Page<ThreadView & { ageSeconds: number; overdue: boolean }>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    let boardIds = await this.boards.visibleBoardIds(communityId, role);
    if (query.board) boardIds = boardIds.filter((b) => b === query.board);
    const after = this.cursors.decode(UNANSWERED_CURSOR, query.cursor);
    const params: unknown[] = [communityId, boardIds, limit + 1];
    const where = [
      't.community_id = $1',
      "t.kind = 'qa'",
      't.deleted_at IS NULL',
      't.duplicate_of_thread_id IS NULL',
      't.first_staff_answer_at IS NULL',
      't.accepted_post_id IS NULL',
      't.board_id = ANY($2::uuid[])',
    ];
    if (query.sku) {
      params.push([query.sku]);
      where.push(`t.product_skus @> $${params.length}::text[]`);
    }
    if (after) {
      params.push(after[0], after[1]);
      where.push(`(t.created_at, t.id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    const rows = await this.db.query<{ id: string; k: string; age: number }>(
      `SELECT t.id, t.created_at::text AS k, EXTRACT(EPOCH FROM (now() - t.created_at))::float AS age
         FROM threads t WHERE ${where.join(' AND ')}
        ORDER BY t.created_at, t.id
        LIMIT $3`,
      params,
    );
    const views = new Map((await this.threadViews.threadViews(rows.slice(0, limit).map((r) => r.id))).map((v) => [v.id, v]));
    return this.cursors.page(
      UNANSWERED_CURSOR,
      rows,
      limit,
      (r) => ({ ...views.get(r.id)!, ageSeconds: Math.floor(r.age), overdue: r.age > targetMinutes * 60 }),
      (r) => [r.k, r.id],
    );
  }

  /**
   * First-staff-response statistics for questions asked in [from, to), in one SQL aggregate.
   * Shares are over all questions asked in the range (unanswered ones count as not within).
   */
  async responseTimes(communityId: string, from: Date, to: Date, filter: QueueFilter, targetSeconds = 0): Promise<ResponseTimeStats> {
    // Filters are added only when given: a prepared statement's generic plan cannot use "$x IS NULL OR ...".
    const params: unknown[] = [communityId, from, to];
    const where = ["community_id = $1", "kind = 'qa'", 'deleted_at IS NULL', 'created_at >= $2', 'created_at < $3'];
    if (filter.board) {
      params.push(filter.board);
      where.push(`board_id = $${params.length}::uuid`);
    }
    if (filter.sku) {
      params.push([filter.sku]);
      where.push(`product_skus @> $${params.length}::text[]`);
    }
    params.push(targetSeconds);
    const target = `$${params.length}::int`;
    const [row] = await this.db.query<{ questions: number; answered: number; pct: number[] | null; h1: number; h4: number; h24: number; ht: number }>(
      `WITH q AS (SELECT first_response_seconds AS secs FROM threads WHERE ${where.join(' AND ')})
       SELECT count(*)::int AS questions,
              count(secs)::int AS answered,
              percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY secs) AS pct,
              count(*) FILTER (WHERE secs <= 3600)::int AS h1,
              count(*) FILTER (WHERE secs <= 14400)::int AS h4,
              count(*) FILTER (WHERE secs <= 86400)::int AS h24,
              count(*) FILTER (WHERE secs <= ${target})::int AS ht
         FROM q`,
      params,
    );
    const share = (n: number) => (row.questions ? n / row.questions : 0);
    return {
      questions: row.questions,
      answered: row.answered,
      firstResponseSeconds: { p50: row.pct?.[0] ?? null, p90: row.pct?.[1] ?? null },
      within: { '1h': share(row.h1), '4h': share(row.h4), '24h': share(row.h24) },
      ...(targetSeconds ? { withinTarget: share(row.ht) } : {}),
    };
  }

  /**
   * Per staff member, the questions of the range they gave the first staff answer to: how many, the
   * median time to it, and how many within `targetSeconds`. Most answered first, at most `limit`.
   */
  async responseTimesByStaff(communityId: string, from: Date, to: Date, targetSeconds: number, limit = 20): Promise<StaffResponseTimes[]> {
    const rows = await this.db.query<{ user_id: string; answered: number; p50: number | null; within: number }>(
      `SELECT p.author_id AS user_id, count(*)::int AS answered,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY t.first_response_seconds) AS p50,
              count(*) FILTER (WHERE t.first_response_seconds <= $4)::int AS within
         FROM threads t JOIN posts p ON p.id = t.first_staff_answer_post_id
        WHERE t.community_id = $1 AND t.kind = 'qa' AND t.deleted_at IS NULL AND t.created_at >= $2 AND t.created_at < $3
        GROUP BY p.author_id
        ORDER BY answered DESC, p50, p.author_id LIMIT $5`,
      [communityId, from, to, targetSeconds, limit],
    );
    return rows.map((r) => ({ userId: r.user_id, answered: r.answered, p50Seconds: r.p50 === null ? null : Number(r.p50), withinTarget: r.answered ? r.within / r.answered : 0 }));
  }

  /** Communities that have questions old enough (at least `minMinutes`) to be overdue and not yet marked. */
  async communitiesWithWaitingQuestions(minMinutes: number): Promise<string[]> {
    const rows = await this.db.query<{ community_id: string }>(
      `SELECT DISTINCT community_id FROM threads
        WHERE kind = 'qa' AND deleted_at IS NULL AND first_staff_answer_at IS NULL AND overdue_at IS NULL
          AND duplicate_of_thread_id IS NULL AND created_at < now() - make_interval(mins => $1)`,
      [minMinutes],
    );
    return rows.map((r) => r.community_id);
  }

  /**
   * Marks the community's questions that passed `targetMinutes` with no staff answer as overdue and
   * returns them. Runs in the caller's transaction; SKIP LOCKED lets several instances share the work
   * and `overdue_at IS NULL` makes each question come back once.
   */
  async markOverdue(communityId: string, targetMinutes: number, limit = 500) {
    return this.db.query<{ id: string; board_id: string; author_id: string; created_at: Date; product_skus: string[] }>(
      `UPDATE threads t SET overdue_at = now()
        WHERE t.id IN (
          SELECT id FROM threads
           WHERE community_id = $1 AND kind = 'qa' AND deleted_at IS NULL AND first_staff_answer_at IS NULL
             AND overdue_at IS NULL AND duplicate_of_thread_id IS NULL
             AND created_at < now() - make_interval(mins => $2)
           ORDER BY created_at LIMIT $3
           FOR UPDATE SKIP LOCKED)
       RETURNING t.id, t.board_id, t.author_id, t.created_at, t.product_skus`,
      [communityId, targetMinutes, limit],
    );
  }

  /** FAQ entries' threads and posts, as views, for posts the caller can see. */
  async views(actor: Actor | null, role: Role | null, postIds: string[]) {
    return this.threadViews.postsWithThreads(actor, role, postIds);
  }
}
