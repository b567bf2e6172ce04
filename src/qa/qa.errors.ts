import { AppError, CommonErrors } from '../core/errors/app-error';

export const QaErrors = {
  notQuestion: () => new AppError('NOT_A_QUESTION', 422, 'This only applies to threads in Q&A boards'),
  ownPost: () => new AppError('OWN_POST', 403, 'You cannot vote on your own post'),
  notMember: () => CommonErrors.forbidden('Join the community to vote'),
  notAnswer: () =>
    new AppError('VALIDATION_FAILED', 400, 'postId must be an answer (a reply) in this question', {}, [{ field: 'postId', message: 'not an answer of this question' }]),
  notAsker: () => CommonErrors.forbidden('Only the asker or a moderator can accept an answer'),
  notStaff: () => CommonErrors.forbidden('This requires the staff role in this community'),
  notFaqable: () => new AppError('NOT_ACCEPTED_OR_OFFICIAL', 409, 'Only an accepted or official answer can be promoted to the FAQ'),
  notOfficial: () => new AppError('NOT_OFFICIAL', 409, 'This post is not the official answer'),
  duplicateOfSelf: () =>
    new AppError('VALIDATION_FAILED', 400, 'A question cannot duplicate itself', {}, [{ field: 'threadId', message: 'must be another question' }]),
  duplicateOtherCommunity: () =>
    new AppError('VALIDATION_FAILED', 400, 'The original question belongs to another community', {}, [{ field: 'threadId', message: 'not in this community' }]),
  duplicateLessVisible: (questionVisibility: string, originalVisibility: string) =>
    new AppError(
      'DUPLICATE_LESS_VISIBLE',
      422,
      `The original question (${originalVisibility} board) must be at least as visible as this one (${questionVisibility} board)`,
      { questionVisibility, originalVisibility },
      [{ field: 'threadId', message: 'on a board fewer people can read than this question' }],
    ),
};
