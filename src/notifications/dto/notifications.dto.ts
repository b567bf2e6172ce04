import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, Equals, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { UserView } from '../../identity/dto/auth.dto';
import { PageQueryDto } from '../../core/pagination/pagination';
import { DELIVERIES, Delivery, DIGEST_FREQUENCIES, DigestFrequency, NOTIFICATION_TYPES, WATCH_LEVELS, WatchLevel } from '../notification-types';

export class NotificationView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: NOTIFICATION_TYPES }) type: string;
  @ApiProperty() communityId: string;
  @ApiProperty({ type: UserView, nullable: true, description: 'Who did it; null for the system (points, overdue questions)' }) actor: UserView | null;
  @ApiProperty({ type: String, nullable: true }) threadId: string | null;
  @ApiProperty({ type: String, nullable: true }) postId: string | null;
  @ApiProperty({ type: String, nullable: true }) roomId: string | null;
  @ApiProperty() title: string;
  @ApiProperty({ description: 'Plain text, at most 280 characters' }) excerpt: string;
  @ApiProperty({ description: 'Path under PUBLIC_URL' }) url: string;
  @ApiProperty({ description: 'How many events this notification collapses (e.g. 10 new replies)' }) count: number;
  @ApiProperty() createdAt: string;
  @ApiProperty({ description: 'Last collapsed into (the list is ordered by it)' }) updatedAt: string;
  @ApiProperty({ type: String, nullable: true }) readAt: string | null;
}

export class NotificationPageView {
  @ApiProperty({ type: [NotificationView] }) items: NotificationView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
  @ApiProperty({ description: "The caller's unread notifications, across communities" }) unreadCount: number;
}

export class NotificationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'true: unread only' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'unread must be true or false' })
  unread?: boolean;
}

export class MarkReadDto {
  @ApiPropertyOptional({ type: [String], description: 'Notification ids (1..100); or send {all: true}' })
  @ValidateIf((o: MarkReadDto) => o.all === undefined || o.ids !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  ids?: string[];

  @ApiPropertyOptional({ enum: [true] })
  @IsOptional()
  @Equals(true, { message: 'all must be true' })
  all?: true;
}

export class MarkReadResultView {
  @ApiProperty({ description: 'How many notifications became read' }) marked: number;
  @ApiProperty() unreadCount: number;
}

export class LevelDto {
  @ApiProperty({ enum: WATCH_LEVELS, description: 'watching: every reply (and, on a board, every new thread); tracking and normal: only mentions and replies to you; muted: nothing from it' })
  @IsIn(WATCH_LEVELS, { message: `level must be one of ${WATCH_LEVELS.join(', ')}` })
  level: WatchLevel;
}

export class LevelView {
  @ApiProperty({ enum: ['thread', 'board'] }) targetType: 'thread' | 'board';
  @ApiProperty() targetId: string;
  @ApiProperty({ enum: WATCH_LEVELS }) level: WatchLevel;
}

const TYPES_EXAMPLE = Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, 'email']));

export class PreferencesView {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...DELIVERIES] },
    example: TYPES_EXAMPLE,
    description: 'Every type with its delivery: email (in-app + immediate email), digest (in-app + digest), inapp, off',
  })
  types: Record<string, Delivery>;

  @ApiProperty({ enum: DIGEST_FREQUENCIES }) digestFrequency: DigestFrequency;
  @ApiProperty({ type: String, nullable: true }) lastDigestAt: string | null;
}

export class UpdatePreferencesDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: [...DELIVERIES] },
    description: 'Only the types to change: {"mention": "digest"}',
  })
  @IsOptional()
  @IsObject()
  types?: Record<string, Delivery>;

  @ApiPropertyOptional({ enum: DIGEST_FREQUENCIES })
  @IsOptional()
  @IsIn(DIGEST_FREQUENCIES, { message: `digestFrequency must be one of ${DIGEST_FREQUENCIES.join(', ')}` })
  digestFrequency?: DigestFrequency;
}

export class UnsubscribeQueryDto {
  @ApiProperty({ description: 'The signed token from the email' })
  @IsString()
  @MaxLength(200)
  token: string;
}

export class UnsubscribeResultView {
  @ApiProperty({ description: 'A notification type, or "digest"' }) stopped: string;
}

