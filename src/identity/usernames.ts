/**
 * Username rules (issue 20). Pure: no Nest, no database, and no regular expressions (every check is a
 * single pass over at most a few hundred characters, so nothing a client sends can make it slow).
 *
 * A username is 3 to 20 ASCII letters, digits, `_`, `-` and `.`, unique without regard to letter
 * case. It must also be mentionable exactly as it is written (see MENTION_RE in threads/markdown.ts):
 * it starts and ends with a letter, digit or `_`, and `.` / `-` never come two in a row, so "@ada."
 * at the end of a sentence still means `ada`.
 */

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 20;

/** Names nobody may choose; every community slug is reserved as well (checked by the caller). */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'admin',
  'administrator',
  'staff',
  'support',
  'moderator',
  'moderators',
  'system',
  'deleted',
  'me',
  'everyone',
  'here',
]);

function isWordChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_';
}

function isPunct(c: string): boolean {
  return c === '.' || c === '-';
}

/** Why `name` is not a well-formed username (before uniqueness and reservations), or null. */
export function usernameProblem(name: string): string | null {
  if (name.length < USERNAME_MIN_LENGTH || name.length > USERNAME_MAX_LENGTH) {
    return `must be ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} characters long`;
  }
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (isWordChar(c)) continue;
    if (!isPunct(c)) return 'may contain only letters (a-z), digits, "_", "-" and "."';
    if (i === 0 || i === name.length - 1) return 'must start and end with a letter, a digit or "_"';
    if (isPunct(name[i - 1])) return 'may not have "." or "-" twice in a row';
  }
  return null;
}

/** Lowercase, the form unique indexes and mentions compare. */
export function usernameKey(name: string): string {
  return name.toLowerCase();
}

export function isReservedUsername(name: string): boolean {
  return RESERVED_USERNAMES.has(usernameKey(name));
}

/**
 * A username made from a display name: accents dropped, whitespace removed (so "Ada Lovelace" keeps
 * the `@AdaLovelace` handle display-name mentions used before usernames), other characters that a
 * username may not hold dropped, lowercase, at most 20 characters; "member" when too little is left.
 * Not checked against reservations or taken names: see usernameCandidates.
 */
export function usernameBase(displayName: string): string {
  const ascii = displayName.normalize('NFKD');
  let out = '';
  for (const c of ascii) {
    if (out.length >= USERNAME_MAX_LENGTH) break;
    if (isWordChar(c)) out += c.toLowerCase();
    else if (isPunct(c) && out.length > 0 && !isPunct(out[out.length - 1])) out += c;
  }
  while (out.length && isPunct(out[out.length - 1])) out = out.slice(0, -1);
  if (out.length < USERNAME_MIN_LENGTH) return 'member';
  return out;
}

/**
 * `base` followed by a number: `ada`, `ada1`, `ada2`, ...; the base is shortened so that each
 * candidate has at most 20 characters (and does not end in "." or "-" where it was cut).
 */
export function usernameCandidate(base: string, n: number): string {
  if (n === 0) return base;
  const suffix = String(n);
  let head = base.slice(0, USERNAME_MAX_LENGTH - suffix.length);
  while (head.length && isPunct(head[head.length - 1])) head = head.slice(0, -1);
  return head + suffix;
}

/**
 * The first candidate for `base` that is neither reserved nor in `taken` (lowercase keys), trying
 * `from` onwards. Callers pass what they found taken with the same base.
 */
export function firstFreeUsername(base: string, taken: ReadonlySet<string>, from = 0): string {
  for (let n = from; ; n++) {
    const candidate = usernameCandidate(base, n);
    const key = usernameKey(candidate);
    if (!taken.has(key) && !RESERVED_USERNAMES.has(key)) return candidate;
  }
}
