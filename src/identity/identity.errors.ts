import { AppError, CommonErrors } from '../core/errors/app-error';

export const IdentityErrors = {
  emailInUse: () => new AppError('EMAIL_IN_USE', 409, 'An account with this email already exists'),
  weakPassword: (message: string, field = 'password') =>
    new AppError('WEAK_PASSWORD', 422, message, {}, [{ field, message }]),
  wrongCurrentPassword: () =>
    new AppError('INVALID_CURRENT_PASSWORD', 422, 'The current password is wrong', {}, [{ field: 'currentPassword', message: 'is wrong' }]),
  invalidCredentials: () => new AppError('INVALID_CREDENTIALS', 401, 'The email or password is wrong'),
  invalidRefreshToken: () => new AppError('INVALID_REFRESH_TOKEN', 401, 'The refresh token is invalid, expired or revoked'),
  refreshTokenReused: () =>
    new AppError('REFRESH_TOKEN_REUSED', 401, 'This refresh token was already used; the session has been revoked'),
  tooManyLogins: (retryAfter: number) =>
    CommonErrors.rateLimited(retryAfter, 'Too many log-in attempts, try again later'),
  userNotFound: () => CommonErrors.notFound('User'),
  invalidUsername: (message: string) =>
    new AppError('INVALID_USERNAME', 422, `The username ${message}`, {}, [{ field: 'username', message }]),
  usernameReserved: () =>
    new AppError('USERNAME_RESERVED', 422, 'This username is reserved', {}, [{ field: 'username', message: 'is reserved' }]),
  usernameTaken: () => new AppError('USERNAME_TAKEN', 409, 'This username is taken', {}, [{ field: 'username', message: 'is taken' }]),
  usernameChangeTooSoon: (nextChangeAt: Date) =>
    new AppError('USERNAME_CHANGE_TOO_SOON', 409, 'The username can be changed once every 30 days', { nextChangeAt: nextChangeAt.toISOString() }, [
      { field: 'username', message: `can be changed again from ${nextChangeAt.toISOString()}` },
    ]),
};
