import { Controller, Get, Param, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BoardsService } from '../boards/boards.service';
import { BoardView } from '../boards/dto/boards.dto';
import { CommunitiesService } from '../communities/communities.service';
import { CommonErrors } from '../core/errors/app-error';
import { SearchQueryDto } from '../search/dto/search.dto';
import { SearchService } from '../search/search.service';
import { ListThreadsQueryDto, ThreadView } from '../threads/dto/threads.dto';
import { ThreadsService } from '../threads/threads.service';
import { BOARD_KIND_LABELS } from './board-kinds';
import { Page, threadPath, validateWith } from './forms';
import { sendPage } from './send-page';
import { ThreadPages } from './thread-pages';
import { Views } from './views';
import { WebErrorFilter } from './web-error.filter';
import { WebSessionService } from './web-session.service';

const MAX_BOARDS = 100;
const THREADS_PER_PAGE = 25;

/** The pages anyone may read: the communities, a community's boards, a board's threads, a thread, search. */
@Controller()
@UseFilters(WebErrorFilter)
export class PagesController {
  constructor(
    private readonly views: Views,
    private readonly sessions: WebSessionService,
    private readonly communities: CommunitiesService,
    private readonly boards: BoardsService,
    private readonly threads: ThreadsService,
    private readonly search: SearchService,
    private readonly threadPages: ThreadPages,
  ) {}

  /** The communities; with only one, its home. */
  @Get('/')
  @Page({ guestCache: true })
  async home(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const viewer = await this.sessions.viewer(request, reply);
    const communities = await this.communities.list(MAX_BOARDS + 1);
    if (communities.length === 1) return reply.redirect(`/c/${communities[0].slug}`, 302);
    const html = this.views.page('home', { title: 'Communities', canonicalPath: '/', description: 'The communities on this server' }, viewer, {
      communities: communities.slice(0, MAX_BOARDS),
    });
    return sendPage(reply, viewer, html);
  }

  /** A community's home: its boards, each with its kind and latest activity. */
  @Get('c/:slug')
  @Page({ guestCache: true })
  async community(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const viewer = await this.sessions.viewer(request, reply);
    const community = await this.communities.getBySlug(slug);
    const context = await this.communities.resolve(slug, viewer.actor);
    const boards = (await this.boards.listVisible(slug, viewer.actor, { limit: MAX_BOARDS })).items;
    const latest = await Promise.all(boards.map((b) => this.latestThread(viewer.actor, b)));
    // Each board's new threads and replies change this page: its tags are every board's.
    request.guestCacheTags = [`community:${slug}`, ...boards.map((b) => `board:${b.id}`)];
    const html = this.views.page(
      'community',
      { title: community.name, canonicalPath: `/c/${community.slug}`, description: community.description || `The ${community.name} community`, community },
      viewer,
      { community, role: context?.role ?? null, boards: boards.map((board, i) => ({ board, latest: latest[i], kindLabel: BOARD_KIND_LABELS[board.kind] ?? board.kind })), threadPath },
    );
    return sendPage(reply, viewer, html);
  }

  /** A board: its threads, pinned first, sorted and filtered by tag and SKU, a page at a time. */
  @Get('c/:slug/b/:boardSlug')
  @Page({ guestCache: true })
  async board(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Param('slug') slug: string,
    @Param('boardSlug') boardSlug: string,
    @Query() query: Record<string, unknown>,
  ) {
    const viewer = await this.sessions.viewer(request, reply);
    const community = await this.communities.getBySlug(slug);
    const board = await this.findBoard(viewer.actor, slug, boardSlug);
    const { value, errors } = await validateWith(ListThreadsQueryDto, { ...query, limit: THREADS_PER_PAGE });
    if (errors) throw CommonErrors.validation(Object.entries(errors).map(([field, message]) => ({ field, message })), Object.values(errors).join('; '));
    const page = await this.threads.listThreads(viewer.actor, board.id, value);
    const context = await this.communities.resolve(slug, viewer.actor);
    request.guestCacheTags = [`board:${board.id}`];
    const base = `/c/${community.slug}/b/${board.slug}`;
    const filters = { sort: value.sort ?? 'latest', tag: value.tag ?? '', sku: value.sku ?? '' };
    const nextUrl = page.nextCursor ? `${base}?${new URLSearchParams({ ...compact(filters), cursor: page.nextCursor }).toString()}` : null;
    const html = this.views.page(
      'board',
      { title: `${board.name} · ${community.name}`, canonicalPath: base, description: board.description || board.name, community, noindex: Boolean(value.cursor || value.tag || value.sku) },
      viewer,
      { community, board, kindLabel: BOARD_KIND_LABELS[board.kind] ?? board.kind, threads: page.items, filters, nextUrl, firstUrl: value.cursor ? `${base}?${new URLSearchParams(compact(filters)).toString()}` : null, role: context?.role ?? null, threadPath },
    );
    return sendPage(reply, viewer, html);
  }

  /** `/t/:threadId` alone: the canonical URL with the title. */
  @Get('t/:threadId')
  @Page()
  async threadShort(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('threadId') threadId: string) {
    return this.threadPages.show(request, reply, threadId, null);
  }

  /** A thread with its posts, and the reply form for members. */
  @Get('t/:threadId/:titleSlug')
  @Page({ guestCache: true })
  async thread(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('threadId') threadId: string, @Param('titleSlug') titleSlug: string) {
    return this.threadPages.show(request, reply, threadId, titleSlug);
  }

  /** Search in a community: hits with highlighted snippets. */
  @Get('c/:slug/search')
  @Page()
  async searchPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query() query: Record<string, unknown>) {
    const viewer = await this.sessions.viewer(request, reply);
    const community = await this.communities.getBySlug(slug);
    const q = typeof query.q === 'string' ? query.q : '';
    let hits = null;
    let error: string | null = null;
    let nextUrl: string | null = null;
    if (q.trim()) {
      const { value, errors } = await validateWith(SearchQueryDto, { q, cursor: query.cursor, limit: 20 });
      if (errors) error = Object.values(errors).join('; ');
      else {
        const page = await this.search.search(viewer.actor, request.ip, slug, value);
        hits = page.items;
        if (page.nextCursor) nextUrl = `/c/${community.slug}/search?${new URLSearchParams({ q, cursor: page.nextCursor }).toString()}`;
      }
    }
    const html = this.views.page(
      'search',
      { title: q ? `“${q}” · Search · ${community.name}` : `Search · ${community.name}`, canonicalPath: `/c/${community.slug}/search`, community, noindex: true },
      viewer,
      { community, q, hits, error, nextUrl, threadPath },
    );
    return sendPage(reply, viewer, html, error ? 400 : 200);
  }

  private async findBoard(actor: Parameters<BoardsService['listVisible']>[1], slug: string, boardSlug: string): Promise<BoardView> {
    const boards = await this.boards.listVisible(slug, actor, { limit: MAX_BOARDS });
    const board = boards.items.find((b) => b.slug === boardSlug);
    if (!board) throw CommonErrors.notFound('Board');
    return board;
  }

  /** The thread with the latest activity: pinned threads come first in the list, so the newest of its first few (exact unless 5 or more are pinned). */
  private async latestThread(actor: Parameters<ThreadsService['listThreads']>[0], board: BoardView): Promise<ThreadView | null> {
    const page = await this.threads.listThreads(actor, board.id, { sort: 'latest', limit: 5 });
    let best: ThreadView | null = null;
    for (const t of page.items) if (!best || t.lastPostAt > best.lastPostAt) best = t;
    return best;
  }
}

function compact(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([k, v]) => v && !(k === 'sort' && v === 'latest')));
}
