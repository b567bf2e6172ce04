import { AppError, CommonErrors } from '../core/errors/app-error';

export const BoardsErrors = {
  /** Boards the caller may not see answer 404, like missing ones, so their existence does not leak. */
  notFound: () => CommonErrors.notFound('Board'),
  /** An order that is not exactly the community's boards (one was added or removed since the client read them). */
  boardsChanged: () => new AppError('BOARDS_CHANGED', 409, "The order must name every board of the community exactly once: the boards changed since they were read, read them again"),
  slugTaken: (slug: string) => new AppError('SLUG_TAKEN', 409, `This community already has a board with the slug "${slug}"`, { slug }),
};
