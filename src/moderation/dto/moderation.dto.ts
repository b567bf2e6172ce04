import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUUID, MaxLength, Min, MinLength, Validate, ValidateNested, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { PageQueryDto } from '../../core/pagination/pagination';
import { MAX_PATTERN_LENGTH, MAX_RULES, RULE_ACTIONS, RuleAction } from '../watched-words';

export const REPORT_TARGETS = ['post', 'thread', 'message', 'user'] as const;
export type ReportTargetType = (typeof REPORT_TARGETS)[number];
export const REPORT_REASONS = ['spam', 'abuse', 'off_topic', 'other'] as const;
export const ITEM_TYPES = ['flagged_post', 'queued_post', 'flagged_user', 'flagged_message'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];
export const RESOLVE_ACTIONS = ['dismiss', 'approve', 'hide', 'delete', 'sanction'] as const;
export type ResolveAction = (typeof RESOLVE_ACTIONS)[number];
export const SANCTION_KINDS = ['warn', 'silence', 'suspend', 'ban'] as const;
export type SanctionKind = (typeof SANCTION_KINDS)[number];

export class CreateReportDto {
  @ApiProperty({ enum: REPORT_TARGETS })
  @IsIn(REPORT_TARGETS, { message: `targetType must be one of ${REPORT_TARGETS.join(', ')}` })
  targetType: ReportTargetType;

  @ApiProperty()
  @IsUUID('all')
  targetId: string;

  @ApiProperty({ enum: REPORT_REASONS })
  @IsIn(REPORT_REASONS, { message: `reason must be one of ${REPORT_REASONS.join(', ')}` })
  reason: (typeof REPORT_REASONS)[number];

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;

  @ApiPropertyOptional({ description: 'Required for targetType user: the community whose moderators should review the member' })
  @IsOptional()
  @IsUUID('all')
  communityId?: string;
}

export class ReviewQueueQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['open', 'resolved'], default: 'open', description: 'open: pending items; resolved: approved, rejected or ignored' })
  @IsOptional()
  @IsIn(['open', 'resolved'])
  status?: 'open' | 'resolved';

  @ApiPropertyOptional({ enum: ITEM_TYPES })
  @IsOptional()
  @IsIn(ITEM_TYPES)
  type?: ItemType;
}

export class SanctionInputDto {
  @ApiProperty({ enum: SANCTION_KINDS })
  @IsIn(SANCTION_KINDS, { message: `kind must be one of ${SANCTION_KINDS.join(', ')}` })
  kind: SanctionKind;

  @ApiPropertyOptional({ description: 'ISO 8601, in the future; none: until lifted' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO 8601 time' })
  until?: string;

  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason: string;
}

export class CreateSanctionDto extends SanctionInputDto {
  @ApiProperty()
  @IsUUID('all')
  userId: string;
}

export class ResolveDto {
  @ApiProperty({ enum: RESOLVE_ACTIONS, description: 'approve (queued posts) is dismiss under another name' })
  @IsIn(RESOLVE_ACTIONS, { message: `action must be one of ${RESOLVE_ACTIONS.join(', ')}` })
  action: ResolveAction;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;

  @ApiPropertyOptional({ description: 'The version the moderator saw; a stale one is 409 REVIEW_ITEM_CHANGED' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional({ type: SanctionInputDto, description: 'For action sanction: the sanction on the target\'s author' })
  @IsOptional()
  @IsObject({ message: 'sanction must be an object' })
  @ValidateNested()
  @Type(() => SanctionInputDto)
  @Transform(({ value }) => (Array.isArray(value) ? 'array' : value)) // an array is refused whole, not element by element
  sanction?: SanctionInputDto;
}

export class WatchedWordDto {
  @ApiProperty({ maxLength: MAX_PATTERN_LENGTH, example: 'buy* now', description: 'Whole words, case-insensitive; `*` inside a word matches any letters' })
  @IsString()
  @MaxLength(MAX_PATTERN_LENGTH)
  pattern: string;

  @ApiProperty({ enum: RULE_ACTIONS })
  @IsIn(RULE_ACTIONS, { message: `action must be one of ${RULE_ACTIONS.join(', ')}` })
  action: RuleAction;
}

export class ModerationRulesDto {
  @ApiProperty({ type: [WatchedWordDto], maxItems: MAX_RULES })
  @IsArray()
  @ArrayMaxSize(MAX_RULES)
  // class-validator walks into nested arrays without complaint: each entry must be an object.
  @IsObject({ each: true, message: 'each watched word must be an object {pattern, action}' })
  @ValidateNested({ each: true })
  @Type(() => WatchedWordDto)
  // A huge list is refused by its size; only its first MAX_RULES + 1 entries are validated one by one.
  @Transform(({ value }) => (Array.isArray(value) && value.length > MAX_RULES + 1 ? value.slice(0, MAX_RULES + 1) : value))
  watchedWords: WatchedWordDto[];

  @ApiProperty({ description: "Hold every new member's first post for review" })
  @IsBoolean()
  queueNewMemberFirstPost: boolean;

  @ApiPropertyOptional({
    maxLength: 64,
    description:
      'The `version` of the rules this replacement was made from (from GET). When given and the rules changed since, the PUT answers 409 RULES_CHANGED and changes nothing, so two admins editing at once never overwrite each other unknowingly. Without it, the rules are replaced whatever they are.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  version?: string;
}

/** The kinds of target the audit log records (moderation's own entries and other modules' staff actions, see audit.service). */
export const AUDIT_TARGET_TYPES = ['post', 'thread', 'message', 'user', 'community'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/**
 * An instant of the audit filters: a date (midnight UTC) or a date-time with its zone (`Z` or
 * `±hh:mm`), from 1970 to 9999; null for anything else. A time without a zone would be read in the
 * server's zone, so it is refused. Checked without a regular expression, after @IsISO8601.
 */
export function auditInstant(value: unknown): Date | null {
  if (typeof value !== 'string' || value.length < 10 || value.length > 40 || value[4] !== '-' || value[7] !== '-') return null;
  if (value.length > 10) {
    const time = value.slice(11);
    const zoned = time.endsWith('Z') || (time.length >= 6 && '+-'.includes(time[time.length - 6]) && time[time.length - 3] === ':');
    if (value[10] !== 'T' || time[2] !== ':' || !zoned) return null;
  }
  const at = new Date(value);
  return Number.isFinite(at.getTime()) && at.getTime() >= 0 && at.getUTCFullYear() <= 9999 ? at : null;
}

@ValidatorConstraint({ name: 'auditInstant' })
export class AuditInstant implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return auditInstant(value) !== null;
  }
  defaultMessage(): string {
    return '$property must be an ISO 8601 date (UTC) or date-time with a time zone (Z or ±hh:mm), 1970 or later';
  }
}

/** `to` is not before `from` (an equal pair is an empty range, not an error). */
@ValidatorConstraint({ name: 'notBeforeFrom' })
export class NotBeforeFrom implements ValidatorConstraintInterface {
  validate(value: unknown, args?: { object: object }): boolean {
    const from = auditInstant((args?.object as { from?: unknown } | undefined)?.from);
    const to = auditInstant(value);
    return !from || !to || from.getTime() <= to.getTime();
  }
  defaultMessage(): string {
    return 'from must not be after to';
  }
}

const INSTANT_HELP = 'ISO 8601: a date (midnight UTC) or a date-time with its zone, e.g. 2026-03-01T12:00:00Z';

/**
 * Filters of the audit log; all optional and combined with AND. Paging is keyset on (time, id),
 * newest first, and a cursor holds only that position: one taken with other filters is applied as
 * given (entries older than it that match the current filters), not refused.
 */
export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'User id of the staff member who acted' })
  @IsOptional()
  @IsUUID('all')
  actor?: string;

  @ApiPropertyOptional({ example: 'sanction.created' })
  @IsOptional()
  @IsString()
  @MaxLength(48)
  action?: string;

  @ApiPropertyOptional({ description: 'Id of the target (a post, thread, user, item, sanction...)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  target?: string;

  @ApiPropertyOptional({ enum: AUDIT_TARGET_TYPES, description: 'Kind of the target' })
  @IsOptional()
  @IsIn(AUDIT_TARGET_TYPES, { message: `targetType must be one of ${AUDIT_TARGET_TYPES.join(', ')}` })
  targetType?: AuditTargetType;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-03-01T00:00:00Z', description: `Entries at or after this instant (inclusive). ${INSTANT_HELP}` })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date or date-time' })
  @Validate(AuditInstant)
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-04-01T00:00:00Z', description: `Entries before this instant (exclusive); not before \`from\` (400). ${INSTANT_HELP}` })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date or date-time' })
  @Validate(AuditInstant)
  @Validate(NotBeforeFrom)
  to?: string;
}
