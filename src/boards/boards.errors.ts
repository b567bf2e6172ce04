import { AppError, CommonErrors } from '../core/errors/app-error';

export const BoardsErrors = {
  /** Boards the caller may not see answer 404, like missing ones, so their existence does not leak. */
  notFound: () => CommonErrors.notFound('Board'),
  slugTaken: (slug: string) => new AppError('SLUG_TAKEN', 409, `This community already has a board with the slug "${slug}"`, { slug }),
};
