import type { IncomingHttpHeaders } from 'node:http';

/**
 * The web pages' session cookie (HTTP-only, SameSite=Lax, Secure when PUBLIC_URL is https). It holds
 * the session's refresh token and authenticates page routes only: the API reads bearer tokens and
 * nothing else, so a cross-site form can never act on the API with a browser's cookie.
 */
export const SESSION_COOKIE = 'hearth_session';

/** Whether the request carries the page session cookie (its pages are personal: never cached for guests). */
export function hasSessionCookie(headers: IncomingHttpHeaders): boolean {
  const cookie = headers.cookie;
  return typeof cookie === 'string' && cookie.includes(`${SESSION_COOKIE}=`);
}

/** Cookie header to a map; the first of duplicate names wins. Values are not decoded (ours are base64url). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header || header.length > 8192) return out;
  for (const raw of header.split(';')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}
