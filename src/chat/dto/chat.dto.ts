import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, MinLength, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { trim } from '../../core/http/transforms';
import { PageQueryDto } from '../../core/pagination/pagination';
import { UserView } from '../../identity/dto/auth.dto';

export const ROOM_KINDS = ['public', 'private', 'direct', 'support'] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];
export const SUPPORT_STATUSES = ['open', 'claimed', 'closed'] as const;
export type SupportStatus = (typeof SUPPORT_STATUSES)[number];

export const ROOM_NAME_MAX = 80;
export const MESSAGE_MAX = 2000;
export const CLIENT_ID_MAX = 64;
/** Invited members of a private room, its creator included. */
export const PRIVATE_ROOM_MAX_MEMBERS = 50;

/** Printable text: no control characters (C0, DEL, C1) and not blank. Checked without a regular expression. */
@ValidatorConstraint({ name: 'printable' })
export class Printable implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || !value.trim()) return false;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    }
    return true;
  }
  defaultMessage(): string {
    return '$property must be printable text without control characters';
  }
}

/** Not blank (some non-whitespace character); newlines allowed. */
@ValidatorConstraint({ name: 'notBlank' })
export class NotBlank implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && value.trim().length > 0;
  }
  defaultMessage(): string {
    return '$property must not be blank';
  }
}

export class CreateRoomDto {
  @ApiPropertyOptional({ maxLength: ROOM_NAME_MAX, description: 'Required for public and private rooms; direct and support rooms are named by the server' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(ROOM_NAME_MAX)
  @Validate(Printable)
  name?: string;

  @ApiProperty({ enum: ROOM_KINDS })
  @IsIn(ROOM_KINDS)
  kind: RoomKind;

  @ApiPropertyOptional({ type: [String], maxItems: PRIVATE_ROOM_MAX_MEMBERS - 1, description: 'private: the invited members; direct: exactly one, the other member' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(PRIVATE_ROOM_MAX_MEMBERS - 1)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  memberIds?: string[];
}

export class InviteDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: PRIVATE_ROOM_MAX_MEMBERS - 1 })
  @IsArray()
  @ArrayMaxSize(PRIVATE_ROOM_MAX_MEMBERS - 1)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  userIds: string[];
}

export class SendMessageDto {
  @ApiProperty({ minLength: 1, maxLength: MESSAGE_MAX, description: 'Markdown' })
  @IsString()
  @MaxLength(MESSAGE_MAX)
  @Validate(NotBlank)
  body: string;

  @ApiProperty({ minLength: 1, maxLength: CLIENT_ID_MAX, description: "The client's id for this message: a resend with the same id stores nothing new and answers the same message" })
  @IsString()
  @MinLength(1)
  @MaxLength(CLIENT_ID_MAX)
  @Validate(Printable)
  clientId: string;
}

export class SupportQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: SUPPORT_STATUSES, default: 'open' })
  @IsOptional()
  @IsIn(SUPPORT_STATUSES)
  status?: SupportStatus;
}

export class SupportStateView {
  @ApiProperty({ enum: SUPPORT_STATUSES }) status: SupportStatus;
  @ApiProperty({ type: UserView, description: 'The customer who asked for help' }) customer: UserView;
  @ApiPropertyOptional({ type: UserView, nullable: true, description: 'The staff member answering' }) claimedBy: UserView | null;
  @ApiPropertyOptional({ nullable: true, type: String }) claimedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) closedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Seconds from the request to the first staff message' }) firstResponseSeconds: number | null;
}

export class RoomView {
  @ApiProperty() id: string;
  @ApiProperty() communityId: string;
  @ApiProperty({ enum: ROOM_KINDS }) kind: RoomKind;
  @ApiProperty() name: string;
  @ApiProperty() createdBy: string;
  @ApiProperty({ type: [UserView], description: 'private, direct and support rooms: who is in the room (public rooms: empty)' }) members: UserView[];
  @ApiPropertyOptional({ type: SupportStateView, nullable: true }) support: SupportStateView | null;
  @ApiProperty({ description: "Messages after the caller's last read one, not their own" }) unreadCount: number;
  @ApiPropertyOptional({ nullable: true, type: String }) lastMessageAt: string | null;
  @ApiProperty() createdAt: string;
}

export class RoomPageView {
  @ApiProperty({ type: [RoomView] }) items: RoomView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class MessageView {
  @ApiProperty() id: string;
  @ApiProperty() roomId: string;
  @ApiProperty({ type: UserView }) author: UserView;
  @ApiProperty() body: string;
  @ApiProperty({ description: 'Sanitized HTML rendered from the markdown body' }) html: string;
  @ApiProperty() clientId: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ nullable: true, type: String }) editedAt: string | null;
}

export class MessagePageView {
  @ApiProperty({ type: [MessageView] }) items: MessageView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
