/**
 * The URL policy of rendered posts, shared by both layers of `markdown.ts` (the markdown-it rule
 * and the sanitize-html transform). Pure and security-critical: every href and src a post can
 * carry goes through `classifyUrl`, and every image through `isOwnUpload`.
 */

export type UrlKind = 'relative' | 'internal' | 'external' | 'mailto' | 'forbidden';

/**
 * Exactly this value on every external link. `noreferrer` keeps the address of a thread (which
 * may sit on a members-only or staff-only board) out of the Referer header sent to other sites.
 */
export const EXTERNAL_REL = 'nofollow ugc noopener noreferrer';

/** Where our own uploads are served; the only images a post may embed. */
export const UPLOADS_PATH = '/api/v1/uploads/';

/** Whitespace, C0/C1 controls and invisible separators: never legitimate inside a stored URL. */
// eslint-disable-next-line no-control-regex
const URL_JUNK_RE = /[\u0000-\u0020\u007f-\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/;
const SCHEME_RE = /^([a-z][a-z0-9+.-]*):/i;
/** Protocol-relative, including the `/\host` and `\\host` spellings browsers accept. */
const PROTOCOL_RELATIVE_RE = /^[/\\]{2}/;
const RELATIVE_PREFIXES = ['/', './', '../', '#', '?'];

/** The patterns above, for the linear-time audit in src/core/security (they run on user URLs). */
export const URL_POLICY_PATTERNS = { URL_JUNK_RE, SCHEME_RE, PROTOCOL_RELATIVE_RE } as const;

/**
 * Classifies a URL as it appears in an attribute (entities already decoded). Anything not
 * positively recognised as http(s), mailto (links only) or a relative reference with one of
 * the allowed prefixes is forbidden — including bare `page.html`, `ftp:`, and anything with
 * whitespace or control characters (markdown-it percent-encodes those in real links).
 */
export function classifyUrl(url: string, forImage: boolean, ownOrigin: string | null): UrlKind {
  if (url.length === 0 || URL_JUNK_RE.test(url)) return 'forbidden';
  if (PROTOCOL_RELATIVE_RE.test(url)) return 'external';
  const scheme = SCHEME_RE.exec(url);
  if (scheme) {
    const name = scheme[1].toLowerCase();
    if (name === 'mailto') return forImage ? 'forbidden' : 'mailto';
    if (name !== 'http' && name !== 'https') return 'forbidden';
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return 'forbidden';
    }
    return ownOrigin !== null && origin === ownOrigin ? 'internal' : 'external';
  }
  if (url.includes('\\')) return 'forbidden';
  return RELATIVE_PREFIXES.some((prefix) => url.startsWith(prefix)) ? 'relative' : 'forbidden';
}

/**
 * True for an image a reader's browser may load: one of our own uploads, as `/api/v1/uploads/<name>`
 * or as an absolute URL on our own origin with that path. Everything else (other sites, plain
 * http, other paths of ours) would hand the reader's IP and agent to whoever serves it, so it is
 * rendered as a link instead. The path is compared after the URL parser's normalisation (so
 * `/api/v1/uploads/../x` and `%2e%2e` do not count), must name a single file, and backslashes
 * are refused outright.
 */
export function isOwnUpload(src: string, ownOrigin: string | null): boolean {
  if (src.includes('\\')) return false; // browsers read it as '/': too many spellings of one path
  const kind = classifyUrl(src, true, ownOrigin);
  if (kind === 'relative') {
    if (!src.startsWith(UPLOADS_PATH)) return false;
  } else if (kind !== 'internal') {
    return false;
  }
  let url: URL;
  try {
    url = new URL(src, ownOrigin ?? 'https://own.invalid');
  } catch {
    return false;
  }
  if (!url.pathname.startsWith(UPLOADS_PATH)) return false;
  const name = url.pathname.slice(UPLOADS_PATH.length);
  return name.length > 0 && !name.includes('/');
}

export function originOf(publicUrl: string | undefined): string | null {
  if (!publicUrl) return null;
  try {
    const origin = new URL(publicUrl).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
