import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../core/database/db.service';
import { NOTIFICATION_TYPES, NotificationType } from './notification-types';

/** What an unsubscribe link stops: one type's emails, or the digest. */
export type UnsubscribeScope = NotificationType | 'digest';

const TAG_LENGTH = 32; // base64url characters: 192 bits of HMAC-SHA256
const UUID_LENGTH = 36;

/**
 * Signed unsubscribe tokens: `<userId>.<scope>.<tag>`, the tag an HMAC-SHA256 with a server secret
 * kept in server_secrets (made once per deployment, like the cursor key), so a link works without
 * logging in, for that user and that scope only, and cannot be forged or moved to another user.
 * Tokens do not expire: an old email's link keeps working (RFC 8058 expects that).
 */
export class UnsubscribeTokens {
  constructor(private readonly key: Buffer) {}

  sign(userId: string, scope: UnsubscribeScope): string {
    return `${userId}.${scope}.${this.tag(userId, scope)}`;
  }

  /** The user and scope, or null for anything but a genuine token. */
  verify(token: string | undefined | null): { userId: string; scope: UnsubscribeScope } | null {
    if (typeof token !== 'string' || token.length > 200) return null;
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [userId, scope, tag] = parts;
    if (userId.length !== UUID_LENGTH || !(scope === 'digest' || (NOTIFICATION_TYPES as readonly string[]).includes(scope))) return null;
    const given = Buffer.from(tag);
    const expected = Buffer.from(this.tag(userId, scope));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return { userId, scope: scope as UnsubscribeScope };
  }

  private tag(userId: string, scope: string): string {
    return createHmac('sha256', this.key).update(`unsubscribe\n${userId}\n${scope}`).digest('base64url').slice(0, TAG_LENGTH);
  }
}

export async function loadUnsubscribeKey(db: Db): Promise<Buffer> {
  await db.query(`INSERT INTO server_secrets (name, secret) VALUES ('unsubscribe', $1) ON CONFLICT (name) DO NOTHING`, [randomBytes(32).toString('hex')]);
  const [row] = await db.query<{ secret: string }>(`SELECT secret FROM server_secrets WHERE name = 'unsubscribe'`);
  return Buffer.from(row.secret, 'hex');
}
