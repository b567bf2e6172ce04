import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../core/config/config';
import { Db } from '../core/database/db.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';

/** A showcase photo the brand may reuse (for the store module's list). */
export interface ReusablePhoto {
  attachmentId: string;
  url: string;
  contentType: string;
  width: number;
  height: number;
  postId: string;
  threadId: string;
  threadTitle: string;
  authorId: string;
  productSkus: string[];
  consentAt: string;
}

/** Newest consent first: its time (PostgreSQL's text, to the microsecond), then the attachment id. */
const PHOTOS_CURSOR = cursorKind<[string, string]>('reusable-photos', 'timestamp', 'uuid');

/**
 * Photos on visible posts of showcase boards whose uploaders granted the brand reuse consent and
 * did not revoke it. A revoked consent, a deleted or hidden post or thread drops the photo at once
 * (the list is read live, nothing is copied).
 */
@Injectable()
export class ReusablePhotosService {
  constructor(
    private readonly db: Db,
    private readonly cursors: Cursors,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(communityId: string, query: { sku?: string; limit?: number; cursor?: string }): Promise<Page<ReusablePhoto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(PHOTOS_CURSOR, query.cursor);
    const params: unknown[] = [communityId, limit + 1];
    let where = '';
    if (query.sku) {
      params.push([query.sku]);
      where += ` AND t.product_skus @> $${params.length}::text[]`;
    }
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (a.reuse_consent_at, a.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    const rows = await this.db.query<{
      id: string; file_name: string; content_type: string; width: number; height: number; post_id: string; thread_id: string;
      title: string; author_id: string; product_skus: string[]; consent_at: Date; consent_key: string;
    }>(
      `SELECT a.id, a.file_name, a.content_type, a.width, a.height, p.id AS post_id, t.id AS thread_id, t.title, p.author_id,
              t.product_skus, a.reuse_consent_at AS consent_at, a.reuse_consent_at::text AS consent_key
         FROM attachments a
         JOIN posts p ON p.id = a.post_id
         JOIN threads t ON t.id = p.thread_id
         JOIN boards b ON b.id = t.board_id
        WHERE a.community_id = $1 AND a.reuse_consent_at IS NOT NULL AND a.reuse_consent_revoked_at IS NULL
          AND a.uploader_id = p.author_id AND b.kind = 'showcase'
          AND p.deleted_at IS NULL AND NOT p.hidden AND t.deleted_at IS NULL ${where}
        ORDER BY a.reuse_consent_at DESC, a.id DESC
        LIMIT $2`,
      params,
    );
    return this.cursors.page(
      PHOTOS_CURSOR,
      rows,
      limit,
      (r) => ({
        attachmentId: r.id,
        url: `${this.config.publicUrl}/api/v1/uploads/${r.file_name}`,
        contentType: r.content_type,
        width: r.width,
        height: r.height,
        postId: r.post_id,
        threadId: r.thread_id,
        threadTitle: r.title,
        authorId: r.author_id,
        productSkus: r.product_skus,
        consentAt: new Date(r.consent_at).toISOString(),
      }),
      (r) => [r.consent_key, r.id],
    );
  }
}
