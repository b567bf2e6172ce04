import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.guard';
import { Db } from '../database/db.service';
import { AppError } from '../errors/app-error';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly db: Db) {}

  @Public()
  @Get('live')
  @HttpCode(200)
  @ApiOkResponse({ description: 'The process is up' })
  live() {
    return { status: 'ok' };
  }

  /** Ready when the database answers. Also the benchmark's baseline route: one trivial query. */
  @Public()
  @Get('ready')
  @ApiOkResponse({ description: 'The database answers' })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer' })
  async ready() {
    try {
      await this.db.query('SELECT 1');
    } catch {
      throw new AppError('NOT_READY', 503, 'The database is not reachable');
    }
    return { status: 'ok', database: 'ok' };
  }
}
