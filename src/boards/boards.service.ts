import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Role } from '../core/auth/roles';
import { Db, isUniqueViolation } from '../core/database/db.service';
import { DEFAULT_PAGE_SIZE, Page } from '../core/pagination/pagination';
import { cursorKind, Cursors } from '../core/pagination/cursors';

const BOARDS_CURSOR = cursorKind<[number, string, string]>('boards', 'int', 'timestamp', 'uuid');
import { CommunitiesService } from '../communities/communities.service';
import { CommonErrors } from '../core/errors/app-error';
import { INVALIDATIONS, Invalidations } from '../core/cluster/invalidations';
import { BoardKind, BoardVisibility, canSeeBoard, visibleVisibilities } from './board-access';
import { BoardsErrors } from './boards.errors';
import { BoardView, CreateBoardDto, UpdateBoardDto } from './dto/boards.dto';

interface BoardRow {
  id: string;
  community_id: string;
  slug: string;
  name: string;
  description: string;
  kind: BoardKind;
  visibility: BoardVisibility;
  position: number;
  created_at: Date;
}

export function toBoardView(r: BoardRow): BoardView {
  return {
    id: r.id,
    communityId: r.community_id,
    slug: r.slug,
    name: r.name,
    description: r.description,
    kind: r.kind,
    visibility: r.visibility,
    position: r.position,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** A board the caller can see, with the caller's role in its community. */
export interface AccessibleBoard {
  board: BoardView;
  role: Role | null;
}

/**
 * Board rows are read on every thread and post request, so they are cached in process for 5 s.
 * A change made here drops the row at once, here and (through Invalidations) on the other
 * instances; if a message is lost (Redis down), they see it within 5 s.
 */
const BOARD_CACHE_TTL_MS = 5_000;

@Injectable()
export class BoardsService {
  /** Board rows by id: at most 10,000 and 4 MB. */
  private readonly cache = new LRUCache<string, BoardRow>({
    max: 10_000,
    maxSize: 4 * 1024 * 1024,
    sizeCalculation: (r) => 300 + 2 * (r.slug.length + r.name.length + r.description.length),
    ttl: BOARD_CACHE_TTL_MS,
  });

  constructor(
    private readonly db: Db,
    private readonly communities: CommunitiesService,
    @Inject(INVALIDATIONS) private readonly invalidations: Invalidations,
    private readonly cursors: Cursors,
  ) {
    invalidations.subscribe(({ boardId }) => boardId && this.cache.delete(boardId));
  }

  async create(community: CommunityContext, dto: CreateBoardDto): Promise<BoardView> {
    try {
      const [row] = await this.db.query<BoardRow>(
        `INSERT INTO boards (community_id, slug, name, description, kind, visibility, position)
         VALUES ($1, $2, $3, $4, $5, $6,
                 COALESCE($7, (SELECT COALESCE(max(position) + 1, 0) FROM boards WHERE community_id = $1)))
         RETURNING *`,
        [community.id, dto.slug, dto.name, dto.description ?? '', dto.kind, dto.visibility, dto.position ?? null],
      );
      return toBoardView(row);
    } catch (err) {
      if (isUniqueViolation(err, 'boards_community_slug_key')) throw BoardsErrors.slugTaken(dto.slug);
      throw err;
    }
  }

  /** The community's boards the caller can see, by position. Guests see public boards. */
  async listVisible(slug: string, actor: Actor | null, query: { limit?: number; cursor?: string }): Promise<Page<BoardView>> {
    const community = await this.communities.resolve(slug, actor);
    if (!community) throw CommonErrors.notFound('Community');
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = this.cursors.decode(BOARDS_CURSOR, query.cursor);
    const rows = await this.db.query<BoardRow & { created_key: string }>(
      `SELECT *, created_at::text AS created_key FROM boards
        WHERE community_id = $1 AND visibility = ANY($2::text[])
          AND ($3::int IS NULL OR (position, created_at, id) > ($3::int, $4::timestamptz, $5::uuid))
        ORDER BY position, created_at, id LIMIT $6`,
      [community.id, visibleVisibilities(community.role), after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, limit + 1],
    );
    return this.cursors.page(BOARDS_CURSOR, rows, limit, toBoardView, (r) => [r.position, r.created_key, r.id]);
  }

  async update(actor: Actor, boardId: string, dto: UpdateBoardDto): Promise<BoardView> {
    const current = await this.findRow(boardId);
    if (!current) throw BoardsErrors.notFound();
    const role = await this.communities.roleOf(actor, current.community_id);
    if (!canSeeBoard(current.visibility, role)) throw BoardsErrors.notFound();
    await this.communities.requireRole(actor, current.community_id, 'admin');
    try {
      const [row] = await this.db.query<BoardRow>(
        `UPDATE boards SET slug = COALESCE($2, slug), name = COALESCE($3, name), description = COALESCE($4, description),
                kind = COALESCE($5, kind), visibility = COALESCE($6, visibility), position = COALESCE($7, position)
          WHERE id = $1 RETURNING *`,
        [boardId, dto.slug ?? null, dto.name ?? null, dto.description ?? null, dto.kind ?? null, dto.visibility ?? null, dto.position ?? null],
      );
      this.invalidations.publish({ boardId }); // drops the cached row here and on the other instances
      return toBoardView(row);
    } catch (err) {
      if (dto.slug && isUniqueViolation(err, 'boards_community_slug_key')) throw BoardsErrors.slugTaken(dto.slug);
      throw err;
    }
  }

  /**
   * The whole order at once, in one transaction: `boardIds` must be exactly the community's boards
   * (409 BOARDS_CHANGED otherwise, nothing written), which get positions 0..n-1 in that order. The
   * community's board rows are locked first, so two orders saved at once apply one after the other,
   * never interleaved. Returns the boards in the new order.
   */
  async reorder(community: CommunityContext, boardIds: string[]): Promise<BoardView[]> {
    const ids = boardIds.map((id) => id.toLowerCase());
    const rows = await this.db.transaction(async () => {
      const current = await this.db.query<{ id: string }>('SELECT id FROM boards WHERE community_id = $1 ORDER BY id FOR UPDATE', [community.id]);
      const known = new Set(current.map((r) => r.id));
      if (ids.length !== known.size || !ids.every((id) => known.has(id))) throw BoardsErrors.boardsChanged();
      await this.db.query(
        `UPDATE boards b SET position = x.n - 1 FROM unnest($2::uuid[]) WITH ORDINALITY AS x(id, n)
          WHERE b.id = x.id AND b.community_id = $1 AND b.position <> x.n - 1`,
        [community.id, ids],
      );
      return this.db.query<BoardRow>('SELECT * FROM boards WHERE community_id = $1 ORDER BY position, created_at, id', [community.id]);
    });
    for (const row of rows) this.invalidations.publish({ boardId: row.id });
    return rows.map(toBoardView);
  }

  /** The board if the caller can see it (404 otherwise, also for boards that exist but are hidden from them). */
  async getAccessible(actor: Actor | null, boardId: string): Promise<AccessibleBoard> {
    const row = await this.findRow(boardId);
    if (!row) throw BoardsErrors.notFound();
    const role = await this.communities.roleOf(actor, row.community_id);
    if (!canSeeBoard(row.visibility, role)) throw BoardsErrors.notFound();
    return { board: toBoardView(row), role };
  }

  /** The community a board belongs to (404 if there is no such board), to read the caller's role with the next query. */
  async communityOf(boardId: string): Promise<string> {
    const row = await this.findRow(boardId);
    if (!row) throw BoardsErrors.notFound();
    return row.community_id;
  }

  /** As getAccessible, for a caller whose role in the board's community is already known (read with the row that named the board). */
  async accessibleWithRole(boardId: string, role: Role | null): Promise<AccessibleBoard> {
    const row = await this.findRow(boardId);
    if (!row || !canSeeBoard(row.visibility, role)) throw BoardsErrors.notFound();
    return { board: toBoardView(row), role };
  }

  /** Ids of the community's boards the role can see: the search and list filters. */
  async visibleBoardIds(communityId: string, role: Role | null): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      'SELECT id FROM boards WHERE community_id = $1 AND visibility = ANY($2::text[])',
      [communityId, visibleVisibilities(role)],
    );
    return rows.map((r) => r.id);
  }

  private async findRow(boardId: string): Promise<BoardRow | undefined> {
    const cached = this.cache.get(boardId);
    if (cached) return cached;
    const [row] = await this.db.query<BoardRow>('SELECT * FROM boards WHERE id = $1', [boardId]);
    if (row) this.cache.set(boardId, row);
    return row;
  }
}
