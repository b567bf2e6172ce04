import { CommonErrors } from '../core/errors/app-error';

export const ProfilesErrors = {
  userNotFound: () => CommonErrors.notFound('User'),
  memberNotFound: () => CommonErrors.notFound('Member'),
  communityNotFound: () => CommonErrors.notFound('Community'),
};
