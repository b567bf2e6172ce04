import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * The ~49,000 most common passwords from real breach corpora, ordered by frequency, as shipped
 * by zxcvbn-ts (a maintained package): far more than the 10,000 most common. Compared without
 * regard to letter case.
 */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  (dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()),
);

export function commonPasswordCount(): number {
  return COMMON_PASSWORDS.size;
}

/** Returns why the password is refused, or null when it is acceptable. Lengths count characters. */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'password is too common';
  if (new Set(lower).size < 3) return 'password is too repetitive';
  if (email && lower === email.toLowerCase()) return 'password must not be your email address';
  return null;
}
