import { Controller, Get, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BOARD_KINDS, BOARD_VISIBILITIES } from '../../boards/board-access';
import { BoardsService } from '../../boards/boards.service';
import { BoardView, CreateBoardDto, UpdateBoardDto } from '../../boards/dto/boards.dto';
import { AppError, CommonErrors } from '../../core/errors/app-error';
import { BOARD_KIND_LABELS } from '../board-kinds';
import { FieldErrors, fieldErrors, Page, readForm, validateWith } from '../forms';
import { sendPage } from '../send-page';
import { Views } from '../views';
import { WebErrorFilter } from '../web-error.filter';
import { CSRF_FIELD } from '../web-session.service';
import { StaffAccess, StaffPageAccess, staffNav } from './staff-access';

export const VISIBILITY_LABELS: Record<string, string> = { public: 'Everyone, guests too', members: 'Members only', staff: 'Staff only' };
/** Boards an admin page lists: the API's pages of MAX_PAGE_SIZE, at most this many of them. */
const MAX_BOARD_PAGES = 10;
const MAX_PAGE_SIZE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id from a path or form: one that cannot exist is simply not found, as the API's IdParamPipe answers (after the role check). */
export function idOr404(value: unknown, what: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw CommonErrors.notFound(what);
  return value.toLowerCase();
}

/** A validation error of a page form, for the error page when there is no form to show it next to. */
export function fieldList(errors: FieldErrors) {
  return Object.entries(errors).map(([field, message]) => ({ field, message }));
}

interface BoardForm {
  values: Record<string, string>;
  errors: FieldErrors;
  message?: string;
}

const BOARD_FIELDS = ['name', 'slug', 'kind', 'visibility', 'description'] as const;

/**
 * The admin's boards page (issue 24): every board of the community by position, a form to create
 * one, an edit form per board, and the order, changed by drag and drop (board-order.js) or, with
 * the keyboard and without JavaScript, by Move up / Move down buttons. All of it calls
 * BoardsService as the API does (POST communities/:slug/boards, PATCH boards/:id, PUT
 * communities/:slug/boards/order); the order is the boards' `position`, renumbered 0..n-1 in the new
 * order in one transaction.
 */
@Controller()
@UseFilters(WebErrorFilter)
export class BoardsPageController {
  constructor(
    private readonly views: Views,
    private readonly access: StaffAccess,
    private readonly boards: BoardsService,
  ) {}

  @Get('c/:slug/admin/boards')
  @Page()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Query('saved') saved: unknown) {
    const page = await this.access.require(request, reply, slug, 'admin');
    const notice = saved === 'created' ? 'The board is created.' : saved === 'updated' ? 'The board is saved.' : saved === 'order' ? 'The order is saved.' : '';
    return this.render(reply, page, { notice });
  }

  @Get('c/:slug/admin/boards/:boardId/edit')
  @Page()
  async edit(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('boardId') boardId: string) {
    const page = await this.access.require(request, reply, slug, 'admin');
    const board = await this.boardOf(page, boardId);
    return this.render(reply, page, { editing: board, editForm: { values: boardValues(board), errors: {} } });
  }

  /** As POST /communities/:slug/boards. */
  @Post('c/:slug/admin/boards')
  @Page() // as the API's route: the guest cache is cleared
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    const values = pick(form);
    const { value, errors } = await validateWith(CreateBoardDto, { ...values, description: values.description || undefined });
    if (errors) return this.render(reply, page, { createForm: { values, errors, message: 'Please correct the fields marked below.' } }, 400);
    try {
      await this.boards.create(page.context, value);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const byField = fieldErrors(err.errors);
      if (err.code === 'SLUG_TAKEN') byField.slug = err.detail;
      return this.render(reply, page, { createForm: { values, errors: byField, message: err.detail } }, err.status);
    }
    return reply.redirect(`${base(page)}?saved=created`, 303);
  }

  /** As PATCH /boards/:id. */
  @Post('c/:slug/admin/boards/:boardId')
  @Page() // as the API's route: the guest cache is cleared
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('boardId') boardId: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    const board = await this.boardOf(page, boardId);
    const values = pick(form);
    const { value, errors } = await validateWith(UpdateBoardDto, values);
    const back = (errs: FieldErrors, status: number, message: string) => this.render(reply, page, { editing: board, editForm: { values, errors: errs, message } }, status);
    if (errors) return back(errors, 400, 'Please correct the fields marked below.');
    try {
      await this.boards.update(page.viewer.actor, board.id, value);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const byField = fieldErrors(err.errors);
      if (err.code === 'SLUG_TAKEN') byField.slug = err.detail;
      return back(byField, err.status, err.detail);
    }
    return reply.redirect(`${base(page)}?saved=updated#board-${board.id}`, 303);
  }

  /** The keyboard's and no-JavaScript way to order: one place up or down. */
  @Post('c/:slug/admin/boards/:boardId/move')
  @Page() // as the API's route: the guest cache is cleared
  async move(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string, @Param('boardId') boardId: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    const id = idOr404(boardId, 'Board');
    if (form.direction !== 'up' && form.direction !== 'down') throw CommonErrors.validation([{ field: 'direction', message: 'direction must be up or down' }], 'Move a board up or down');
    const boards = await this.allBoards(page);
    const order = boards.map((b) => b.id);
    const at = order.indexOf(id);
    if (at < 0) throw CommonErrors.notFound('Board');
    const to = form.direction === 'up' ? at - 1 : at + 1;
    if (to >= 0 && to < order.length) [order[at], order[to]] = [order[to], order[at]];
    await this.applyOrder(page, order);
    return reply.redirect(`${base(page)}?saved=order#board-${id}`, 303);
  }

  /** Drag and drop (board-order.js): the whole order at once, as `order` = the board ids, comma-separated. */
  @Post('c/:slug/admin/boards/order')
  @Page() // as the API's route: the guest cache is cleared
  async order(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('slug') slug: string) {
    const form = await readForm(request);
    const page = await this.access.requireForm(request, reply, slug, 'admin', form[CSRF_FIELD]);
    const boards = await this.allBoards(page);
    const order = (form.order ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const known = new Set(boards.map((b) => b.id));
    const given = new Set(order.map((s) => s.toLowerCase()));
    if (order.length !== boards.length || given.size !== order.length || ![...given].every((id) => known.has(id))) {
      throw new AppError('BOARDS_CHANGED', 409, 'The boards changed since this page was loaded: reload it and order them again');
    }
    await this.applyOrder(page, [...given]);
    return reply.redirect(`${base(page)}?saved=order`, 303);
  }

  /** Positions 0..n-1 in the new order, in one transaction (BoardsService.reorder, as PUT communities/:slug/boards/order). */
  private async applyOrder(page: StaffPageAccess, order: string[]) {
    await this.boards.reorder(page.context, order);
  }

  private async allBoards(page: StaffPageAccess): Promise<BoardView[]> {
    const out: BoardView[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < MAX_BOARD_PAGES; i++) {
      const found = await this.boards.listVisible(page.community.slug, page.viewer.actor, { limit: MAX_PAGE_SIZE, cursor });
      out.push(...found.items);
      if (!found.nextCursor) break;
      cursor = found.nextCursor;
    }
    return out;
  }

  /** A board of this community (another community's board is not found here). */
  private async boardOf(page: StaffPageAccess, boardId: string): Promise<BoardView> {
    const { board } = await this.boards.getAccessible(page.viewer.actor, idOr404(boardId, 'Board'));
    if (board.communityId !== page.context.id) throw CommonErrors.notFound('Board');
    return board;
  }

  private async render(
    reply: FastifyReply,
    page: StaffPageAccess,
    data: { notice?: string; createForm?: BoardForm; editing?: BoardView; editForm?: BoardForm },
    status = 200,
  ) {
    const { viewer, context, community } = page;
    const boards = await this.allBoards(page);
    const html = this.views.page(
      'staff/boards',
      { title: `Boards · ${community.name}`, canonicalPath: base(page), community, noindex: true, scripts: ['board-order.js'] },
      viewer,
      {
        community,
        role: context.role,
        staffNav: staffNav(community.slug, context.role!, 'admin/boards'),
        boards,
        notice: data.notice ?? '',
        createForm: data.createForm ?? { values: { kind: 'discussion', visibility: 'public' }, errors: {} },
        editing: data.editing ?? null,
        editForm: data.editForm ?? null,
        kinds: BOARD_KINDS.map((value) => ({ value, label: BOARD_KIND_LABELS[value] ?? value })),
        visibilities: BOARD_VISIBILITIES.map((value) => ({ value, label: VISIBILITY_LABELS[value] })),
        kindLabels: BOARD_KIND_LABELS,
        visibilityLabels: VISIBILITY_LABELS,
        csrfField: CSRF_FIELD,
      },
    );
    return sendPage(reply, viewer, html, status);
  }
}

function base(page: StaffPageAccess): string {
  return `/c/${encodeURIComponent(page.community.slug)}/admin/boards`;
}

function pick(form: Record<string, string>): Record<string, string> {
  return Object.fromEntries(BOARD_FIELDS.map((f) => [f, form[f] ?? '']));
}

function boardValues(b: BoardView): Record<string, string> {
  return { name: b.name, slug: b.slug, kind: b.kind, visibility: b.visibility, description: b.description };
}
