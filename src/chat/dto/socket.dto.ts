import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, MaxLength, Validate } from 'class-validator';
import { MESSAGE_MAX, NotBlank, SendMessageDto } from './chat.dto';

/** Payloads of the socket.io client events (validated like HTTP bodies: unknown fields refused). */
export class RoomRefDto {
  @IsUUID('all')
  roomId: string;
}

export class SocketSendDto extends SendMessageDto {
  @IsUUID('all')
  roomId: string;
}

export class MessageRefDto {
  @IsUUID('all')
  messageId: string;
}

export class EditMessageDto extends MessageRefDto {
  @IsString()
  @MaxLength(MESSAGE_MAX)
  @Validate(NotBlank)
  body: string;
}

export class ReadDto {
  @ApiProperty({ description: 'The last message read' })
  @IsUUID('all')
  messageId: string;
}

export class SocketReadDto extends ReadDto {
  @IsUUID('all')
  roomId: string;
}

export class ThreadRefDto {
  @IsUUID('all')
  threadId: string;
}

export class UnreadView {
  @ApiProperty({ description: 'Messages after the one read, not your own' }) unreadCount: number;
}
