import { Inject, Injectable } from '@nestjs/common';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { Db } from '../core/database/db.service';

/**
 * Answers whether a member bought any of some SKUs in a community. The store module registers one at
 * start-up (threads never import the store: the dependency points from the store to threads).
 */
export interface BuyerLookup {
  boughtAny(communityId: string, userId: string, skus: string[]): Promise<boolean>;
}

/**
 * The "verified buyer" mark on posts (posts.verified_buyer): a post is marked when its author bought
 * one of its thread's product SKUs. The store calls mark/unmark when orders are paid or refunded
 * (earlier posts included); new posts ask `isBuyer` (through the registered BuyerLookup) when they
 * are inserted, so they carry the mark from the start.
 */
@Injectable()
export class VerifiedBuyersService {
  private lookup: BuyerLookup | null = null;

  constructor(
    private readonly db: Db,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
  ) {}

  registerLookup(lookup: BuyerLookup): void {
    this.lookup = lookup;
  }

  /** For a post being inserted in a thread about `skus`: is its author a verified buyer of one of them? */
  async isBuyer(communityId: string, userId: string, skus: readonly string[]): Promise<boolean> {
    if (!this.lookup || !skus.length) return false;
    return this.lookup.boughtAny(communityId, userId, [...skus]);
  }

  /** Marks the member's posts in threads about any of `skus` (runs in the caller's transaction). */
  async mark(communityId: string, userId: string, skus: string[]): Promise<number> {
    if (!skus.length) return 0;
    const rows = await this.db.query<{ thread_id: string; board_id: string }>(
      `UPDATE posts p SET verified_buyer = true FROM threads t
        WHERE p.community_id = $1 AND p.author_id = $2 AND t.id = p.thread_id AND t.product_skus && $3::text[] AND NOT p.verified_buyer
        RETURNING p.thread_id, p.board_id`,
      [communityId, userId, skus],
    );
    this.announce(rows);
    return rows.length;
  }

  /**
   * Unmarks the member's posts in threads about any of `lostSkus`, except threads also about a SKU the
   * member still holds (`keptSkus`). Runs in the caller's transaction.
   */
  async unmark(communityId: string, userId: string, lostSkus: string[], keptSkus: string[]): Promise<number> {
    if (!lostSkus.length) return 0;
    const rows = await this.db.query<{ thread_id: string; board_id: string }>(
      `UPDATE posts p SET verified_buyer = false FROM threads t
        WHERE p.community_id = $1 AND p.author_id = $2 AND t.id = p.thread_id AND p.verified_buyer
          AND t.product_skus && $3::text[] AND NOT (t.product_skus && $4::text[])
        RETURNING p.thread_id, p.board_id`,
      [communityId, userId, lostSkus, keptSkus],
    );
    this.announce(rows);
    return rows.length;
  }

  /** The threads' pages changed: cached copies go once the transaction commits. */
  private announce(rows: Array<{ thread_id: string; board_id: string }>) {
    if (!rows.length) return;
    const threadIds = [...new Set(rows.map((r) => r.thread_id))];
    const boardIds = [...new Set(rows.map((r) => r.board_id))];
    this.db.afterCommit(() => this.invalidations.publish({ threadIds, boardIds }));
  }
}
