import { AppError, CommonErrors } from '../core/errors/app-error';

export const CommunitiesErrors = {
  notFound: () => CommonErrors.notFound('Community'),
  slugTaken: (slug: string) => new AppError('SLUG_TAKEN', 409, `A community with the slug "${slug}" already exists`, { slug }),
  memberNotFound: () => new AppError('MEMBER_NOT_FOUND', 404, 'That user is not a member of this community'),
  userNotFound: () => CommonErrors.notFound('User'),
  lastAdmin: () => new AppError('LAST_ADMIN', 409, 'A community must keep at least one admin'),
  notMember: () => new AppError('FORBIDDEN', 403, 'You are not a member of this community'),
  platformAdminOnly: () => CommonErrors.forbidden('Only a platform admin can do this'),
};
