import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { trim } from '../../core/http/transforms';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../core/pagination/pagination';
import { ROLES } from '../../core/auth/roles';
import { UserView } from '../../identity/dto/auth.dto';

export const BODY_MAX = 32_000;
export const TITLE_MIN = 3;
export const TITLE_MAX = 200;
export const REACTION_KINDS = ['like', 'helpful', 'love', 'insightful'] as const;
export type ReactionKind = (typeof REACTION_KINDS)[number];
export const THREAD_SORTS = ['latest', 'top', 'unanswered'] as const;

export const TAG = /^[a-z0-9][a-z0-9-]{0,29}$/;
export const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const lowerTags = ({ value }: { value: unknown }) =>
  Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v)) : value;
const trimAll = ({ value }: { value: unknown }) => (Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v.trim() : v)) : value);

export class CreateThreadDto {
  @ApiProperty({ minLength: TITLE_MIN, maxLength: TITLE_MAX })
  @Transform(trim)
  @IsString()
  @MinLength(TITLE_MIN)
  @MaxLength(TITLE_MAX)
  title: string;

  @ApiProperty({ minLength: 1, maxLength: BODY_MAX, description: 'Markdown' })
  @IsString()
  @Matches(/\S/, { message: 'body must not be blank' })
  @MaxLength(BODY_MAX)
  body: string;

  @ApiPropertyOptional({ type: [String], maxItems: 5, description: 'Lowercase letters, digits and hyphens, up to 30 characters each' })
  @IsOptional()
  @Transform(lowerTags)
  @IsArray()
  @ArrayMaxSize(5)
  @ArrayUnique()
  @Matches(TAG, { each: true, message: 'each tag must be 1-30 lowercase letters, digits or hyphens' })
  tags?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: 10, description: 'Store product SKUs this thread is about' })
  @IsOptional()
  @Transform(trimAll)
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @Matches(SKU, { each: true, message: 'each SKU must be 1-64 letters, digits, dots, underscores or hyphens' })
  productSkus?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: 10, description: 'Ids of images uploaded with POST /communities/:slug/uploads' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  attachmentIds?: string[];
}

export class CreatePostDto {
  @ApiProperty({ minLength: 1, maxLength: BODY_MAX, description: 'Markdown' })
  @IsString()
  @Matches(/\S/, { message: 'body must not be blank' })
  @MaxLength(BODY_MAX)
  body: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID('all')
  replyToPostId?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 10 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  attachmentIds?: string[];
}

export const POST_SORTS = ['oldest', 'score'] as const;

export class ListPostsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: POST_SORTS, default: 'oldest', description: 'score: the question first, then answers by score' })
  @IsOptional()
  @IsIn(POST_SORTS)
  sort?: (typeof POST_SORTS)[number];
}

export class UpdatePostDto {
  @ApiProperty({ minLength: 1, maxLength: BODY_MAX })
  @IsString()
  @Matches(/\S/, { message: 'body must not be blank' })
  @MaxLength(BODY_MAX)
  body: string;
}

export class MoveThreadDto {
  @ApiProperty()
  @IsUUID('all')
  boardId: string;
}

/** `?tag=&sku=` filters, on board lists and search. */
export class TagSkuFilterDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @Matches(TAG, { message: 'tag is not a valid tag' })
  tag?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(SKU, { message: 'sku is not a valid SKU' })
  sku?: string;
}

export class ListThreadsQueryDto extends IntersectionType(PageQueryDto, TagSkuFilterDto) {
  @ApiPropertyOptional({ enum: THREAD_SORTS, default: 'latest' })
  @IsOptional()
  @IsIn(THREAD_SORTS)
  sort?: (typeof THREAD_SORTS)[number];
}

export class AttachmentView {
  @ApiProperty() id: string;
  @ApiProperty() url: string;
  @ApiProperty() contentType: string;
  @ApiProperty() width: number;
  @ApiProperty() height: number;
  @ApiProperty() bytes: number;
  @ApiProperty({ description: 'The author lets the brand reuse this photo' }) reuseConsent: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) reuseConsentAt: string | null;
}

export class PostView {
  @ApiProperty() id: string;
  @ApiProperty() threadId: string;
  @ApiProperty({ description: '1 for the first post, then in order of posting' }) postNumber: number;
  @ApiProperty({ type: UserView }) author: UserView;
  @ApiProperty({ enum: ROLES, description: 'The author\'s role when posting' }) authorRole: string;
  @ApiProperty() body: string;
  @ApiProperty({ description: 'Sanitized HTML rendering of body' }) html: string;
  @ApiPropertyOptional({ nullable: true, type: String }) replyToPostId: string | null;
  @ApiProperty({ example: { like: 2 } }) reactions: Record<string, number>;
  @ApiProperty({ enum: REACTION_KINDS, isArray: true }) myReactions: string[];
  @ApiProperty() score: number;
  @ApiPropertyOptional({ nullable: true, type: Number, description: "The caller's vote (1, -1, 0); null for guests" }) myVote: number | null;
  @ApiProperty() isAccepted: boolean;
  @ApiProperty() isOfficial: boolean;
  @ApiProperty() isStaffAnswer: boolean;
  @ApiProperty() verifiedBuyer: boolean;
  @ApiProperty({ description: 'Hidden by moderation (reports, a moderator, or held for review): seen only by its author and moderators' }) hidden: boolean;
  @ApiPropertyOptional({ description: 'Present (true) only on a post held for review until a moderator approves it (it is also hidden)' }) queued?: boolean;
  @ApiProperty({ description: 'Promoted to the community FAQ' }) isFaq: boolean;
  @ApiProperty({ type: [AttachmentView] }) attachments: AttachmentView[];
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ nullable: true, type: String }) editedAt: string | null;
}

export class ThreadView {
  @ApiProperty() id: string;
  @ApiProperty() boardId: string;
  @ApiProperty() communityId: string;
  @ApiProperty({ description: 'The board\'s kind' }) kind: string;
  @ApiProperty() title: string;
  @ApiProperty({ type: UserView }) author: UserView;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: [String] }) productSkus: string[];
  @ApiProperty() pinned: boolean;
  @ApiProperty() locked: boolean;
  @ApiProperty() replyCount: number;
  @ApiProperty() lastPostAt: string;
  @ApiPropertyOptional({ type: UserView, nullable: true }) lastPoster: UserView | null;
  @ApiProperty() score: number;
  @ApiProperty() reactionCount: number;
  @ApiPropertyOptional({ nullable: true, type: String }) acceptedPostId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) officialPostId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Questions: when staff first answered' }) firstStaffAnswerAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Closed as a duplicate of this thread' }) duplicateOfThreadId: string | null;
  @ApiPropertyOptional({ description: 'Present (true) only when its first post is hidden or held for review: seen only by its author and moderators' }) hidden?: boolean;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ type: PostView }) firstPost?: PostView;
}

export class ThreadPageView {
  @ApiProperty({ type: [ThreadView] }) items: ThreadView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class PostPageView {
  @ApiProperty({ type: [PostView] }) items: PostView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
