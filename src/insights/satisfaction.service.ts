import { Injectable } from '@nestjs/common';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Db, isUniqueViolation } from '../core/database/db.service';
import { EventsService } from '../core/events/events.service';
import { RateDto, RatingView } from './dto/insights.dto';
import { InsightsClock } from './insights.clock';
import { InsightsErrors } from './insights.errors';

interface RatingRow {
  id: string;
  thread_id: string | null;
  room_id: string | null;
  score: number;
  comment: string | null;
  created_at: Date;
}

/**
 * Satisfaction ratings: the asker of a question once staff answered it, or the customer of a support
 * chat once it closed; once each (409 ALREADY_RATED). What a question or a room is comes from the
 * events insights keeps (insights_questions, insights_support). Someone who is not the asker or the
 * customer is told the question or room does not exist.
 */
@Injectable()
export class SatisfactionService {
  constructor(
    private readonly db: Db,
    private readonly events: EventsService,
    private readonly clock: InsightsClock,
  ) {}

  async rate(actor: Actor, community: CommunityContext, dto: RateDto): Promise<RatingView> {
    if (Boolean(dto.threadId) === Boolean(dto.roomId)) throw InsightsErrors.oneTarget();
    const target = dto.threadId ? await this.question(community.id, actor.userId, dto.threadId) : await this.room(community.id, actor.userId, dto.roomId as string);
    const comment = dto.comment?.trim() ? dto.comment.trim() : null;
    try {
      return await this.db.transaction(async () => {
        const [row] = await this.db.query<RatingRow>(
          `INSERT INTO insights_ratings (community_id, user_id, thread_id, room_id, score, comment, board_id, product_skus, staff_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10)
           RETURNING id, thread_id, room_id, score, comment, created_at`,
          [community.id, actor.userId, dto.threadId ?? null, dto.roomId ?? null, dto.score, comment, target.boardId, target.productSkus, target.staffId, this.clock.now()],
        );
        await this.events.record(
          'satisfaction.rated',
          { communityId: community.id, userId: actor.userId, ratingId: row.id, score: dto.score, comment, threadId: dto.threadId ?? null, roomId: dto.roomId ?? null, boardId: target.boardId, productSkus: target.productSkus, staffId: target.staffId },
          community.id,
        );
        return { id: row.id, threadId: row.thread_id, roomId: row.room_id, score: row.score, comment: row.comment, createdAt: new Date(row.created_at).toISOString() };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw InsightsErrors.alreadyRated();
      throw err;
    }
  }

  private async question(communityId: string, userId: string, threadId: string) {
    const [q] = await this.db.query<{ board_id: string; product_skus: string[]; staff_id: string | null; answered_at: Date | null }>(
      'SELECT board_id, product_skus, staff_id, answered_at FROM insights_questions WHERE thread_id = $1 AND community_id = $2 AND asker_id = $3 AND NOT deleted',
      [threadId, communityId, userId],
    );
    if (!q) throw InsightsErrors.questionNotFound();
    if (!q.answered_at) throw InsightsErrors.notAnsweredYet();
    return { boardId: q.board_id, productSkus: q.product_skus, staffId: q.staff_id };
  }

  private async room(communityId: string, userId: string, roomId: string) {
    const [r] = await this.db.query<{ staff_id: string | null; closed_at: Date | null }>(
      'SELECT staff_id, closed_at FROM insights_support WHERE room_id = $1 AND community_id = $2 AND customer_id = $3',
      [roomId, communityId, userId],
    );
    if (!r) throw InsightsErrors.roomNotFound();
    if (!r.closed_at) throw InsightsErrors.notClosedYet();
    return { boardId: null, productSkus: [] as string[], staffId: r.staff_id };
  }
}
