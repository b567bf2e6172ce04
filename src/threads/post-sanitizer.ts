/**
 * The second layer of post rendering (see markdown.ts): sanitize-html over the HTML markdown-it
 * produced, with an explicit tag/attribute/class/scheme allowlist that re-runs the URL policy of
 * url-policy.ts, so a bug in the markdown layer cannot by itself produce script, an external
 * `<img>` or an external link without `rel`. Pure and security-critical.
 */
import sanitizeHtml from 'sanitize-html';
import { classifyUrl, EXTERNAL_REL, isOwnUpload } from './url-policy';

export const MENTION_CLASS = 'mention';
const CODE_CLASS_RE = /^language-[a-z0-9+-]+$/;

/** The pattern above (it runs on class attributes derived from user input), for the audit in src/core/security. */
export const SANITIZER_PATTERNS = { CODE_CLASS_RE } as const;

const ALLOWED_TAGS = [
  'p', 'br', 'strong', 'em', 'del', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'a', 'img',
  'table', 'thead', 'tbody', 'tr', 'th', 'td',
];

/** The sanitizer's options for one render; `counter.links` counts the links it lets through. */
function sanitizerOptions(ownOrigin: string | null, counter: { links: number }): sanitizeHtml.IOptions {
  return {
    allowedTags: ALLOWED_TAGS,
    // `class` is deliberately absent here: sanitize-html lets an allowed `class` through
    // unfiltered unless the tag also has an `allowedClasses` entry, which adds it implicitly.
    allowedAttributes: {
      a: ['href', 'title', 'rel'],
      img: ['src', 'alt', 'title', 'loading'],
      ol: ['start'],
    },
    allowedClasses: {
      a: [MENTION_CLASS],
      code: [CODE_CLASS_RE],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src'],
    allowProtocolRelative: true,
    allowVulnerableTags: false,
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'xmp', 'template', 'title'],
    enforceHtmlBoundary: false,
    parseStyleAttributes: false,
    transformTags: {
      a: (tagName, attribs) => {
        // Same attribute order as the markdown layer: href, title, then rel or class.
        const out: sanitizeHtml.Attributes = {};
        const kind = attribs.href === undefined ? 'forbidden' : classifyUrl(attribs.href, false, ownOrigin);
        if (kind !== 'forbidden') out.href = attribs.href;
        if (attribs.title) out.title = attribs.title;
        if (kind === 'external') out.rel = EXTERNAL_REL;
        else if (kind !== 'forbidden' && attribs.class === MENTION_CLASS) out.class = MENTION_CLASS;
        if (out.href !== undefined && out.class === undefined) counter.links++;
        return { tagName, attribs: out };
      },
      img: (tagName, attribs) => {
        const src = attribs.src ?? '';
        const out: sanitizeHtml.Attributes = {};
        if (isOwnUpload(src, ownOrigin)) {
          out.src = src;
          out.alt = attribs.alt ?? '';
          if (attribs.title) out.title = attribs.title;
          out.loading = 'lazy';
          return { tagName, attribs: out };
        }
        const kind = classifyUrl(src, true, ownOrigin);
        if (kind === 'forbidden' || kind === 'mailto') return { tagName, attribs: out };
        out.href = src;
        if (attribs.title) out.title = attribs.title;
        if (kind === 'external') out.rel = EXTERNAL_REL;
        counter.links++;
        return { tagName: 'a', attribs: out, text: attribs.alt || src };
      },
    },
    // An image whose src did not survive (and that did not become a link) is dropped rather
    // than left as a broken <img>. `frame.tag` is the tag before transformTags.
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src && !frame.attribs.href,
  };
}


/**
 * Sanitizes rendered HTML and counts the links a reader will see (with an href, mention links
 * excluded, an image shown as a link included). `ownOrigin` is ours, or null when unknown.
 */
export function sanitizePostHtml(html: string, ownOrigin: string | null): { html: string; linkCount: number } {
  const counter = { links: 0 };
  const clean = sanitizeHtml(html, sanitizerOptions(ownOrigin, counter));
  return { html: clean, linkCount: counter.links };
}
