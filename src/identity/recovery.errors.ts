import { AppError } from '../core/errors/app-error';

/** Password resets, email verification and account deletion. */
export const RecoveryErrors = {
  /** Not a token we issued for this purpose (forged, mistyped, or for another purpose). */
  invalidToken: (kind: 'reset' | 'verification') =>
    new AppError(kind === 'reset' ? 'INVALID_RESET_TOKEN' : 'INVALID_VERIFICATION_TOKEN', 400, `This ${kind === 'reset' ? 'password reset' : 'verification'} link is not valid`),
  tokenUsed: (kind: 'reset' | 'verification') =>
    new AppError(kind === 'reset' ? 'RESET_TOKEN_USED' : 'VERIFICATION_TOKEN_USED', 410, `This ${kind === 'reset' ? 'password reset' : 'verification'} link was already used`),
  tokenExpired: (kind: 'reset' | 'verification') =>
    new AppError(kind === 'reset' ? 'RESET_TOKEN_EXPIRED' : 'VERIFICATION_TOKEN_EXPIRED', 410, `This ${kind === 'reset' ? 'password reset' : 'verification'} link has expired; ask for a new one`),
  alreadyVerified: () => new AppError('EMAIL_ALREADY_VERIFIED', 409, 'This email address is already verified'),
  passwordRequired: () =>
    new AppError('PASSWORD_REQUIRED', 400, 'Confirm with your password', {}, [{ field: 'password', message: 'is required' }]),
  confirmationRequired: () =>
    new AppError('CONFIRMATION_REQUIRED', 400, 'This account has no password: confirm with {"confirm": "DELETE"}', {}, [{ field: 'confirm', message: 'must be DELETE' }]),
  wrongPassword: () => new AppError('WRONG_PASSWORD', 403, 'The password is wrong'),
};
