import { Role, roleAtLeast, ROLES } from '../core/auth/roles';
import { AttachmentRow } from './attachments.service';

/** Rows of the threads module's tables as its queries return them, and the SQL fragments that select them. */
export interface ThreadRow {
  id: string;
  community_id: string;
  board_id: string;
  author_id: string;
  title: string;
  tags: string[];
  product_skus: string[];
  pinned: boolean;
  locked: boolean;
  reply_count: number;
  last_post_at: Date;
  last_poster_id: string | null;
  score: number;
  reaction_count: number;
  accepted_post_id: string | null;
  official_post_id: string | null;
  first_post_id: string | null;
  kind: string;
  first_staff_answer_at: Date | null;
  duplicate_of_thread_id: string | null;
  /** The first post is hidden or queued (moderation): only its author and moderators read the thread. */
  hidden: boolean;
  created_at: Date;
  deleted_at: Date | null;
}

export interface PostRow {
  id: string;
  thread_id: string;
  community_id: string;
  board_id: string;
  post_number: number;
  author_id: string;
  author_role: Role;
  body: string;
  html: string;
  reply_to_post_id: string | null;
  reactions: Record<string, number>;
  score: number;
  verified_buyer: boolean;
  hidden: boolean;
  /** Held for review (automod or a new member's first post): also hidden until approved. */
  queued: boolean;
  faq_at: Date | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

export const THREAD_COLUMNS = `t.id, t.community_id, t.board_id, t.author_id, t.title, t.tags, t.product_skus, t.pinned, t.locked,
  t.reply_count, t.last_post_at, t.last_poster_id, t.score, t.reaction_count, t.accepted_post_id, t.official_post_id,
  t.first_post_id, t.kind, t.first_staff_answer_at, t.duplicate_of_thread_id, t.hidden, t.created_at, t.deleted_at`;
export const POST_COLUMNS = `p.id, p.thread_id, p.community_id, p.board_id, p.post_number, p.author_id, p.author_role, p.body, p.html,
  p.reply_to_post_id, p.reactions, p.score, p.verified_buyer, p.hidden, p.queued, p.faq_at, p.created_at, p.edited_at, p.deleted_at`;

/** The extra columns of a post view (needs `JOIN threads t`): its thread's marks, attachments, and the viewer's reactions and vote. */
export function postViewColumns(viewerParam: string): string {
  return `${POST_COLUMNS}, t.accepted_post_id AS thread_accepted_post_id, t.official_post_id AS thread_official_post_id,
    COALESCE((SELECT json_agg(json_build_object('id', a.id, 'post_id', a.post_id, 'file_name', a.file_name, 'content_type', a.content_type,
                'bytes', a.bytes, 'width', a.width, 'height', a.height, 'reuse_consent_at', a.reuse_consent_at,
                'reuse_consent_revoked_at', a.reuse_consent_revoked_at) ORDER BY a.created_at, a.id)
                FROM attachments a WHERE a.post_id = p.id), '[]'::json) AS attachments_json,
    CASE WHEN ${viewerParam}::uuid IS NULL THEN '{}'::text[]
         ELSE ARRAY(SELECT r.kind FROM post_reactions r WHERE r.post_id = p.id AND r.user_id = ${viewerParam}::uuid ORDER BY r.kind) END AS my_reactions,
    CASE WHEN ${viewerParam}::uuid IS NULL THEN NULL
         ELSE (SELECT v.value FROM post_votes v WHERE v.post_id = p.id AND v.user_id = ${viewerParam}::uuid) END AS my_vote`;
}

export interface PostViewRow extends PostRow {
  thread_accepted_post_id: string | null;
  thread_official_post_id: string | null;
  attachments_json: AttachmentRow[];
  my_reactions: string[];
  my_vote: number | null;
}

/** The roles that see hidden posts. */
export const MODERATOR_ROLES = ROLES.filter((r) => roleAtLeast(r, 'moderator'));

/** `tags @>` / `product_skus @>` conditions for the optional filters, appending their parameters. */
export function tagAndSkuFilters(params: unknown[], query: { tag?: string; sku?: string }): string[] {
  const where: string[] = [];
  if (query.tag) {
    params.push([query.tag]);
    where.push(`t.tags @> $${params.length}::text[]`);
  }
  if (query.sku) {
    params.push([query.sku]);
    where.push(`t.product_skus @> $${params.length}::text[]`);
  }
  return where;
}
