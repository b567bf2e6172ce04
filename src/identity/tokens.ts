import { createHash, randomBytes } from 'node:crypto';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** Opaque 256-bit tokens. Only their SHA-256 is stored; the prefix tells the two kinds apart in logs and bug reports. */
export function newToken(kind: 'access' | 'refresh'): string {
  return `${kind === 'access' ? 'hat' : 'hrt'}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
