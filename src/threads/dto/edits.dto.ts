import { ApiProperty, PartialType, PickType } from '@nestjs/swagger';
import { UserView } from '../../identity/dto/auth.dto';
import { PageQueryDto } from '../../core/pagination/pagination';
import { CreateThreadDto } from './threads.dto';

/**
 * PATCH /threads/:threadId: any of the thread's title, tags and SKUs, validated as when the thread was
 * started (the same decorators, inherited). A field left out (or null) stays as it is; tags and
 * productSkus replace the whole list ([] clears it).
 */
export class UpdateThreadDto extends PartialType(PickType(CreateThreadDto, ['title', 'tags', 'productSkus'] as const)) {}

export class PostRevisionsQueryDto extends PageQueryDto {}

/** One version of a post's body: revision 1 is the body as first posted, the last one the current body. */
export class PostRevisionView {
  @ApiProperty({ description: '1 for the body as first posted, then one per edit' }) revision: number;
  @ApiProperty() body: string;
  @ApiProperty({ type: UserView, description: 'Who wrote this version (the author for revision 1, else who made the edit)' }) editedBy: UserView;
  @ApiProperty({ description: 'When this version was written (the post\'s creation for revision 1)' }) editedAt: string;
}

export class PostRevisionPageView {
  @ApiProperty({ type: [PostRevisionView] }) items: PostRevisionView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
