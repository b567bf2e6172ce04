import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserView } from '../../identity/dto/auth.dto';
import { PostView, ThreadView } from '../../threads/dto/threads.dto';
import { WatchedWordDto } from './moderation.dto';

export class ReportView {
  @ApiProperty() id: string;
  @ApiProperty() itemId: string;
  @ApiProperty() communityId: string;
  @ApiProperty({ enum: ['post', 'thread', 'message', 'user'] }) targetType: string;
  @ApiProperty() targetId: string;
  @ApiProperty() reason: string;
  @ApiPropertyOptional({ nullable: true, type: String }) note: string | null;
  @ApiProperty({ enum: ['open', 'upheld', 'dismissed', 'ignored'] }) status: string;
  @ApiProperty() createdAt: string;
}

export class ItemReportView {
  @ApiProperty() id: string;
  @ApiProperty({ type: UserView }) reporter: UserView;
  @ApiProperty() reason: string;
  @ApiPropertyOptional({ nullable: true, type: String }) note: string | null;
  @ApiProperty({ description: "The reporter's weight (trust and accuracy)" }) weight: number;
  @ApiProperty() status: string;
  @ApiProperty() createdAt: string;
}

export class ItemTargetView {
  @ApiPropertyOptional({ type: PostView }) post?: PostView;
  @ApiPropertyOptional({ type: ThreadView }) thread?: ThreadView;
  @ApiPropertyOptional({ type: UserView }) user?: UserView;
  @ApiPropertyOptional({ description: 'A chat message as chat shows it' }) message?: unknown;
}

export class ReviewItemView {
  @ApiProperty() id: string;
  @ApiProperty() communityId: string;
  @ApiProperty({ enum: ['flagged_post', 'queued_post', 'flagged_user', 'flagged_message'] }) type: string;
  @ApiProperty({ enum: ['pending', 'approved', 'rejected', 'ignored'] }) status: string;
  @ApiProperty({ enum: ['post', 'user', 'message'] }) targetType: string;
  @ApiProperty() targetId: string;
  @ApiPropertyOptional({ nullable: true, type: String }) targetAuthorId: string | null;
  @ApiProperty({ description: 'Sum of the open reports\' weights' }) score: number;
  @ApiProperty({ description: 'Send it back when resolving' }) version: number;
  @ApiProperty({ type: [String], description: 'Automod rules that matched' }) automod: string[];
  @ApiProperty({ type: ItemTargetView, description: 'The target as moderators see it (absent when it is gone)' }) target: ItemTargetView;
  @ApiProperty({ type: [ItemReportView] }) reports: ItemReportView[];
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ nullable: true, type: String }) resolvedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) resolution: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) note: string | null;
}

export class ReviewItemPageView {
  @ApiProperty({ type: [ReviewItemView] }) items: ReviewItemView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class SanctionView {
  @ApiProperty() id: string;
  @ApiProperty() communityId: string;
  @ApiProperty() userId: string;
  @ApiProperty({ enum: ['warn', 'silence', 'suspend', 'ban'] }) kind: string;
  @ApiProperty() reason: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'null: until lifted' }) until: string | null;
  @ApiProperty() createdBy: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ nullable: true, type: String }) liftedAt: string | null;
  @ApiProperty({ description: 'In force now (not lifted, not expired)' }) active: boolean;
}

export class SanctionPageView {
  @ApiProperty({ type: [SanctionView] }) items: SanctionView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AuditEntryView {
  @ApiProperty() id: string;
  @ApiPropertyOptional({ type: UserView, nullable: true, description: 'null: the system (auto-hide)' }) actor: UserView | null;
  @ApiProperty() action: string;
  @ApiPropertyOptional({ nullable: true, type: String }) targetType: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) targetId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) reason: string | null;
  @ApiPropertyOptional({ nullable: true, type: Object }) before: unknown;
  @ApiPropertyOptional({ nullable: true, type: Object }) after: unknown;
  @ApiProperty() createdAt: string;
}

export class AuditPageView {
  @ApiProperty({ type: [AuditEntryView] }) items: AuditEntryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ModerationRulesView {
  @ApiProperty({ type: [WatchedWordDto] }) watchedWords: WatchedWordDto[];
  @ApiProperty() queueNewMemberFirstPost: boolean;
  @ApiProperty({ description: 'Changes whenever the rules change; send it back with PUT to refuse a replacement of rules someone else changed meanwhile' })
  version: string;
}
