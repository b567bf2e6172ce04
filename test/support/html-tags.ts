export interface Tag {
  name: string;
  attributes: [string, string][];
}

/**
 * Start tags actually emitted (escaped text such as `&lt;img …&gt;` is not a tag), with their
 * attributes. The output is sanitize-html's serialisation, so values are always double-quoted
 * and cannot contain a raw `"` or `>`.
 */
export function tags(html: string): Tag[] {
  const found: Tag[] = [];
  for (const match of html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const attributes: [string, string][] = [];
    for (const attr of match[2].matchAll(/\s([^\s"'=<>/]+)(?:="([^"]*)")?/g)) attributes.push([attr[1], attr[2] ?? '']);
    found.push({ name: match[1], attributes });
  }
  return found;
}
