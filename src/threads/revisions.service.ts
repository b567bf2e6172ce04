import { Injectable } from '@nestjs/common';
import { Actor } from '../core/auth/actor';
import { roleAtLeast } from '../core/auth/roles';
import { Db } from '../core/database/db.service';
import { Cursors, cursorKind } from '../core/pagination/cursors';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { IdentityService } from '../identity/identity.service';
import { PostRevisionView } from './dto/edits.dto';
import { EditErrors } from './thread-edits.service';
import { ThreadAccessService } from './thread-access.service';

const REVISIONS = cursorKind<[number]>('posts:revisions', 'int');

/** One version of a post's body, before its editor is turned into a user view. */
interface Version {
  revision: number;
  body: string;
  editorId: string;
  at: Date;
}

interface RevisionRow {
  current_body: string;
  author_id: string;
  created_at: Date;
  revision: number | null;
  body: string | null;
  editor_id: string | null;
  edited_at: Date | null;
}

/**
 * A post's edit history (GET /posts/:postId/revisions), oldest first: revision 1 is the body as first
 * posted (by its author, at its creation), each edit adds the next (by its editor, at the edit), and the
 * last one is the current body. post_revisions keeps, per edit n, the body that edit replaced, its
 * editor and time; version n+1 is that edit's result.
 *
 * Who: the author and moderators (and above) of the community. Others who can see the post get 403
 * FORBIDDEN (the post itself is no secret to them, its history is); those who cannot see it get 404,
 * as for the post.
 */
@Injectable()
export class RevisionsService {
  constructor(
    private readonly db: Db,
    private readonly access: ThreadAccessService,
    private readonly identity: IdentityService,
    private readonly cursors: Cursors,
  ) {}

  async postRevisions(actor: Actor, postId: string, query: { limit?: number; cursor?: string }): Promise<Page<PostRevisionView>> {
    const { post, role } = await this.access.post(actor, postId);
    if (post.author_id !== actor.userId && !roleAtLeast(role, 'moderator')) throw EditErrors.revisionsForbidden();
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(REVISIONS, query.cursor)?.[0] ?? 0;
    // Versions after+1 .. after+limit+1 (one more tells whether there is a next page) need the stored
    // revisions after .. after+limit+1 (version v comes from edit v-1); read with the current body in one
    // statement, so an edit committing meanwhile cannot tear the list.
    const rows = await this.db.query<RevisionRow>(
      `SELECT p.body AS current_body, p.author_id, p.created_at, r.revision, r.body, r.editor_id, r.created_at AS edited_at
         FROM posts p
         LEFT JOIN post_revisions r ON r.post_id = p.id AND r.revision BETWEEN $2 AND $3
        WHERE p.id = $1
        ORDER BY r.revision`,
      [postId, Math.max(after, 1), after + limit + 1],
    );
    if (!rows.length) return { items: [], nextCursor: null };
    const stored = new Map(rows.filter((r) => r.revision !== null).map((r) => [r.revision!, r]));
    const versions: Version[] = [];
    for (let v = after + 1; v <= after + limit + 1; v++) {
      const edit = stored.get(v - 1); // the edit whose result is version v
      if (v > 1 && !edit) break;
      const replaced = stored.get(v); // present when a later edit replaced version v
      versions.push({
        revision: v,
        body: replaced ? replaced.body! : rows[0].current_body,
        editorId: v === 1 ? rows[0].author_id : edit!.editor_id!,
        at: v === 1 ? rows[0].created_at : edit!.edited_at!,
      });
      if (!replaced) break;
    }
    const users = await this.identity.getUsers([...new Set(versions.map((v) => v.editorId))]);
    const view = (v: Version): PostRevisionView => ({
      revision: v.revision,
      body: v.body,
      editedBy: users.get(v.editorId) ?? { id: v.editorId, displayName: '(deleted)', avatarUrl: null },
      editedAt: new Date(v.at).toISOString(),
    });
    return this.cursors.page(REVISIONS, versions, limit, view, (v) => [v.revision]);
  }
}
