import { Body, Controller, Get, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, CommunityContext } from '../core/auth/actor';
import { Public } from '../core/auth/auth.guard';
import { CommunityRole } from '../core/auth/community-role.guard';
import { CurrentActor, CurrentCommunity, OptionalActor } from '../core/auth/decorators';
import { IdParamPipe } from '../core/http/id-param.pipe';
import { Page, PageQueryDto } from '../core/pagination/pagination';
import { BoardsService } from './boards.service';
import { BoardOrderDto, BoardPageView, BoardView, CreateBoardDto, UpdateBoardDto } from './dto/boards.dto';
import { GuestCacheable } from '../core/http/guest-cache';

@ApiTags('boards')
@Controller()
export class BoardsController {
  constructor(private readonly boards: BoardsService) {}

  @Post('communities/:slug/boards')
  @CommunityRole('admin')
  @ApiCreatedResponse({ type: BoardView })
  @ApiConflictResponse({ description: 'SLUG_TAKEN' })
  create(@CurrentCommunity() community: CommunityContext, @Body() dto: CreateBoardDto): Promise<BoardView> {
    return this.boards.create(community, dto);
  }

  @Public()
  @GuestCacheable()
  @Get('communities/:slug/boards')
  @ApiOkResponse({ type: BoardPageView, description: 'Boards the caller can see (guests: public boards), by position' })
  list(@OptionalActor() actor: Actor | null, @Param('slug') slug: string, @Query() query: PageQueryDto): Promise<Page<BoardView>> {
    return this.boards.listVisible(slug, actor, query);
  }

  @Put('communities/:slug/boards/order')
  @CommunityRole('admin')
  @ApiOkResponse({ type: BoardPageView, description: 'Every board in the new order (positions 0..n-1); one transaction' })
  @ApiConflictResponse({ description: 'BOARDS_CHANGED: boardIds is not exactly the community\'s boards' })
  async reorder(@CurrentCommunity() community: CommunityContext, @Body() dto: BoardOrderDto): Promise<Page<BoardView>> {
    return { items: await this.boards.reorder(community, dto.boardIds), nextCursor: null };
  }

  @Patch('boards/:boardId')
  @ApiBearerAuth()
  @ApiOkResponse({ type: BoardView })
  @ApiNotFoundResponse({ description: 'No such board, or not visible to the caller' })
  update(@CurrentActor() actor: Actor, @Param('boardId', new IdParamPipe('Board')) boardId: string, @Body() dto: UpdateBoardDto): Promise<BoardView> {
    return this.boards.update(actor, boardId, dto);
  }
}
