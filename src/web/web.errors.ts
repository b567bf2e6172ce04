import { AppError } from '../core/errors/app-error';

export const WebErrors = {
  csrf: () => new AppError('CSRF_FAILED', 403, 'This form has expired or did not come from this site: reload the page and try again'),
  signInRequired: () => new AppError('UNAUTHENTICATED', 401, 'Log in to continue'),
};
