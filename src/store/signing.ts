import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): secrets are `whsec_` + base64 of
 * 32 random bytes; the key is the base64-decoded part; a signature is `v1,` + base64 of
 * HMAC-SHA256 over `id.timestamp.body`; a header may carry several, space-separated.
 */
export const SECRET_PREFIX = 'whsec_';
/** Inbound events and SSO payloads older or newer than this are refused (seconds). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

export function signature(secret: string, webhookId: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', keyOf(secret));
  mac.update(`${webhookId}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** The `webhook-signature` header value: one signature per secret (several during a rotation). */
export function signatureHeader(secrets: string[], webhookId: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => signature(s, webhookId, timestampSeconds, body)).join(' ');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** 1..max ASCII digits (no regular expression: see regex-linear.spec.ts). */
export function isDigits(s: string, max: number): boolean {
  if (s.length < 1 || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export type VerifyOutcome = 'ok' | 'bad_signature' | 'stale';

/**
 * Checks an inbound event against any of `secrets` (constant-time per candidate) and the timestamp
 * against `nowSeconds` +- the tolerance. The raw body, exactly as received, is what is signed.
 */
export function verifySignature(
  secrets: string[],
  headers: { id: string; timestamp: string; signature: string },
  body: Buffer,
  nowSeconds: number,
): VerifyOutcome {
  const ts = Number(headers.timestamp);
  if (!isDigits(headers.timestamp, 12) || !Number.isSafeInteger(ts)) return 'bad_signature';
  const given = headers.signature.split(' ').filter((s) => s.startsWith('v1,')).slice(0, 10);
  let ok = false;
  for (const secret of secrets) {
    const expected = signature(secret, headers.id, ts, body);
    for (const g of given) if (safeEqual(g, expected)) ok = true;
  }
  if (!ok) return 'bad_signature';
  return Math.abs(nowSeconds - ts) > TIMESTAMP_TOLERANCE_SECONDS ? 'stale' : 'ok';
}

/** SSO: `sig` is the hex HMAC-SHA256 of the payload string keyed with the UTF-8 bytes of the secret as shown. */
export function verifySsoSignature(secrets: string[], payload: string, sig: string): boolean {
  const given = sig.toLowerCase();
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(payload, 'utf8').digest('hex');
    if (safeEqual(given, expected)) ok = true;
  }
  return ok;
}
