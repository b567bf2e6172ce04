import { AppError, CommonErrors } from '../core/errors/app-error';

export const ThreadsErrors = {
  threadNotFound: () => CommonErrors.notFound('Thread'),
  postNotFound: () => CommonErrors.notFound('Post'),
  cannotStartThread: (kind: string) =>
    new AppError('FORBIDDEN', 403, kind === 'announcements' ? 'Only staff start threads in announcement boards' : 'Join the community to start threads'),
  notMember: () => new AppError('FORBIDDEN', 403, 'Join the community to post or react'),
  locked: () => new AppError('THREAD_LOCKED', 409, 'This thread is locked'),
  awaitsReview: () => new AppError('THREAD_AWAITS_REVIEW', 409, 'This thread is hidden or awaits review by a moderator; it takes no replies until then'),
  notAuthor: () => CommonErrors.forbidden('Only the author or a moderator can do this'),
  replyToOtherThread: () =>
    new AppError('VALIDATION_FAILED', 400, 'replyToPostId must be a post of this thread', {}, [{ field: 'replyToPostId', message: 'not a post of this thread' }]),
  cooldown: (seconds: number) => CommonErrors.rateLimited(seconds, `Please wait ${Math.ceil(seconds)} s before posting again`),
  tooManyLinks: (max: number) =>
    new AppError('TOO_MANY_LINKS', 422, `New members may post at most ${max} link(s) per post`, { maxLinks: max }, [
      { field: 'body', message: `at most ${max} link(s)` },
    ]),
  boardOtherCommunity: () =>
    new AppError('VALIDATION_FAILED', 400, 'The target board belongs to another community', {}, [{ field: 'boardId', message: 'not a board of this community' }]),
  badAttachment: () =>
    new AppError('VALIDATION_FAILED', 400, 'An attachment is unknown, already used, or not yours', {}, [{ field: 'attachmentIds', message: 'invalid attachment' }]),
};
