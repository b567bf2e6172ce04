import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';
import { CommonErrors } from '../errors/app-error';

const DAY_MS = 86_400_000;

/** `?from=&to=` of the staff reports (response times of questions and of support chats). */
export class DateRangeQueryDto {
  @ApiPropertyOptional({ description: 'ISO 8601; default: 30 days before `to`' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date or time' })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, exclusive; default: now' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date or time' })
  to?: string;
}

/** The range a report covers: [from, to), by default the last 30 days; at most 366 days (400 otherwise). */
export function reportRange(query: { from?: string; to?: string }): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (!(from < to) || to.getTime() - from.getTime() > 366 * DAY_MS) {
    throw CommonErrors.validation([{ field: 'from', message: 'invalid range' }], '`from` must be before `to`, at most 366 days apart');
  }
  return { from, to };
}
