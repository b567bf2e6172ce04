import { AppError, CommonErrors } from '../core/errors/app-error';

export const InsightsErrors = {
  memberNotFound: () => CommonErrors.notFound('Member'),
  questionNotFound: () => CommonErrors.notFound('Question'),
  roomNotFound: () => CommonErrors.notFound('Support room'),
  oneTarget: () =>
    CommonErrors.validation([{ field: 'threadId', message: 'give exactly one of threadId and roomId' }], 'Rate either a question (threadId) or a support chat (roomId)'),
  notAnsweredYet: () => new AppError('NOT_RATEABLE_YET', 409, 'A question can be rated once staff has answered it'),
  notClosedYet: () => new AppError('NOT_RATEABLE_YET', 409, 'A support chat can be rated once it is closed'),
  alreadyRated: () => new AppError('ALREADY_RATED', 409, 'You have already rated this'),
};
