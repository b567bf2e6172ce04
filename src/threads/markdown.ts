/**
 * Markdown → safe HTML for community posts. Rendered once, at write time; the stored HTML is
 * served as-is, so everything here is security-critical.
 *
 * Two independent layers:
 *  1. markdown-it with raw HTML off (`html: false`, so `<script>` in a post is escaped as text),
 *     plus a core rule that vets every link/image URL against our own allowlist (links whose
 *     scheme is not allowed lose their href and render as plain text; images fall back to
 *     their alt text), adds `rel` to external links and turns known @mentions into links.
 *  2. sanitize-html over the produced HTML with an explicit tag/attribute/class/scheme allowlist,
 *     re-running the same URL policy, so a bug in layer 1 cannot by itself produce script.
 *
 * Pure: no Nest, no database. Callers resolve handles themselves:
 *   const handles = findMentionHandles(body);          // look these up
 *   const { html, linkCount, mentions } = renderMarkdown(body, { mentions: found, publicUrl });
 */
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

type Token = MarkdownIt.Token;
type StateCore = MarkdownIt.StateCore;

export interface RenderOptions {
  /** Resolves @mentions: given lowercase handles found in the text, returns those that are members, mapped to a profile path (e.g. '/u/<userId>'). */
  mentions?: ReadonlyMap<string, string>;
  /** Our own origin, e.g. 'https://community.example.com' — links to it are not "external". */
  publicUrl?: string;
}

export interface Rendered {
  html: string;
  /** Rendered links with an href, mention links excluded. */
  linkCount: number;
  /** Lowercase handles that were linked, unique, in order of first appearance. */
  mentions: string[];
}

/** Exactly this value on every external link. */
export const EXTERNAL_REL = 'nofollow ugc noopener';

const MENTION_CLASS = 'mention';
const CODE_CLASS_RE = /^language-[a-z0-9+-]+$/;
const LANG_RE = /^[a-z0-9+-]+$/;
const MAX_HANDLE_LENGTH = 30;

// ---------------------------------------------------------------------------------------------
// URL policy (shared by the markdown layer and the sanitizer layer)
// ---------------------------------------------------------------------------------------------

type UrlKind = 'relative' | 'internal' | 'external' | 'mailto' | 'forbidden';

/** Whitespace, C0/C1 controls and invisible separators: never legitimate inside a stored URL. */
// eslint-disable-next-line no-control-regex
const URL_JUNK_RE = /[\u0000-\u0020\u007f-\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/;
const SCHEME_RE = /^([a-z][a-z0-9+.-]*):/i;
const RELATIVE_PREFIXES = ['/', './', '../', '#', '?'];

/**
 * Classifies a URL as it appears in an attribute (entities already decoded). Anything not
 * positively recognised as http(s), mailto (links only) or a relative reference with one of
 * the allowed prefixes is forbidden — including bare `page.html`, `ftp:`, and anything with
 * whitespace or control characters (markdown-it percent-encodes those in real links).
 */
function classifyUrl(url: string, forImage: boolean, ownOrigin: string | null): UrlKind {
  if (url.length === 0 || URL_JUNK_RE.test(url)) return 'forbidden';
  // Protocol-relative, including the `/\host` and `\\host` spellings browsers accept.
  if (/^[/\\]{2}/.test(url)) return 'external';
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

function originOf(publicUrl: string | undefined): string | null {
  if (!publicUrl) return null;
  try {
    const origin = new URL(publicUrl).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// markdown-it layer
// ---------------------------------------------------------------------------------------------

const ENV_KEY = Symbol('hearth.markdown');

interface RenderEnv {
  known: ReadonlyMap<string, string> | undefined;
  ownOrigin: string | null;
  /** Every syntactically valid mention, lowercase, in order (a Set keeps insertion order). */
  found: Set<string>;
  /** The ones that became links. */
  linked: Set<string>;
}

function renderEnv(state: StateCore): RenderEnv | undefined {
  return state.env[ENV_KEY] as RenderEnv | undefined;
}

const MENTION_RE = /@([a-z0-9_][a-z0-9_.-]*)/gi;
const WORD_CHAR_RE = /[\p{L}\p{N}\p{M}_]/u;

/** Plain text of inline tokens, the way markdown-it builds an image's alt text. */
function inlineText(tokens: Token[] | null): string {
  if (!tokens) return '';
  let out = '';
  for (const token of tokens) {
    if (token.type === 'softbreak' || token.type === 'hardbreak') out += '\n';
    else if (token.type === 'image') out += inlineText(token.children);
    else out += token.content;
  }
  return out;
}

/**
 * Core rule: splits text tokens on @mentions. Runs after linkify and text_join, on inline
 * children only, so code spans, code blocks, link text (including linkified e-mail addresses)
 * and image alt text are never touched.
 */
function mentionRule(state: StateCore): void {
  const env = renderEnv(state);
  if (!env) return;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const children = block.children;
    const out: Token[] = [];
    let linkDepth = 0;
    let changed = false;
    for (let i = 0; i < children.length; i++) {
      const token = children[i];
      if (token.type === 'link_open') linkDepth++;
      else if (token.type === 'link_close') linkDepth = Math.max(0, linkDepth - 1);
      if (token.type !== 'text' || linkDepth > 0 || !token.content.includes('@')) {
        out.push(token);
        continue;
      }
      const previous = i > 0 ? children[i - 1] : undefined;
      const before = previous && (previous.type === 'text' || previous.type === 'code_inline') ? previous.content.slice(-1) : '';
      const pieces = splitMentions(state, token, before, env);
      if (pieces) {
        out.push(...pieces);
        changed = true;
      } else {
        out.push(token);
      }
    }
    if (changed) block.children = out;
  }
}

/** Returns replacement tokens for a text token, or null when nothing was linked. */
function splitMentions(state: StateCore, token: Token, charBefore: string, env: RenderEnv): Token[] | null {
  const text = token.content;
  const pieces: Token[] = [];
  let last = 0;
  MENTION_RE.lastIndex = 0;
  for (let match = MENTION_RE.exec(text); match !== null; match = MENTION_RE.exec(text)) {
    const at = match.index;
    const prev = at === 0 ? charBefore : text[at - 1];
    if (prev && WORD_CHAR_RE.test(prev)) continue;
    // A trailing '.' or '-' is punctuation ("thanks @ada."), not part of the handle.
    const handle = match[1].replace(/[.-]+$/, '');
    if (handle.length > MAX_HANDLE_LENGTH) continue;
    const end = at + 1 + handle.length;
    const key = handle.toLowerCase();
    env.found.add(key);
    const href = env.known?.get(key);
    if (href === undefined) continue;
    const kind = classifyUrl(href, false, env.ownOrigin);
    if (kind !== 'relative' && kind !== 'internal') continue;
    env.linked.add(key);

    if (at > last) pieces.push(textToken(state, text.slice(last, at), token.level));
    const open = new state.Token('link_open', 'a', 1);
    open.attrs = [
      ['href', href],
      ['class', MENTION_CLASS],
    ];
    open.level = token.level;
    open.meta = { mention: true };
    const close = new state.Token('link_close', 'a', -1);
    close.level = token.level;
    pieces.push(open, textToken(state, text.slice(at, end), token.level + 1), close);
    last = end;
  }
  if (pieces.length === 0) return null;
  if (last < text.length) pieces.push(textToken(state, text.slice(last), token.level));
  return pieces;
}

function textToken(state: StateCore, content: string, level: number): Token {
  const token = new state.Token('text', '', 0);
  token.content = content;
  token.level = level;
  return token;
}

/**
 * Core rule: enforces the URL policy on every link and image markdown-it produced (explicit,
 * reference, autolink, linkified), sets `rel` on external links, `loading="lazy"` on images,
 * drops table alignment styles and normalises fence languages.
 */
function policyRule(state: StateCore): void {
  const ownOrigin = renderEnv(state)?.ownOrigin ?? null;
  for (const block of state.tokens) {
    if (block.type === 'th_open' || block.type === 'td_open') {
      block.attrs = null;
    } else if (block.type === 'fence') {
      const lang = block.info.trim().split(/\s+/)[0].toLowerCase();
      block.info = LANG_RE.test(lang) ? lang : '';
    } else if (block.type === 'inline' && block.children) {
      block.children = vetInline(state, block.children, ownOrigin);
    }
  }
}

function vetInline(state: StateCore, children: Token[], ownOrigin: string | null): Token[] {
  const out: Token[] = [];
  // Links cannot nest in markdown, so a stack of "was this link_open hidden?" is enough.
  const hiddenStack: boolean[] = [];
  for (const token of children) {
    if (token.type === 'link_open') {
      const href = String(token.attrGet('href') ?? '');
      const kind = classifyUrl(href, false, ownOrigin);
      const isMention = token.meta?.mention === true;
      if (kind === 'forbidden') {
        token.hidden = true;
      } else {
        const attrs: [string, string][] = [['href', href]];
        const title = token.attrGet('title');
        if (title !== null && title !== '') attrs.push(['title', String(title)]);
        if (kind === 'external') attrs.push(['rel', EXTERNAL_REL]);
        else if (isMention) attrs.push(['class', MENTION_CLASS]);
        token.attrs = attrs;
      }
      hiddenStack.push(token.hidden);
      out.push(token);
    } else if (token.type === 'link_close') {
      token.hidden = hiddenStack.pop() ?? false;
      out.push(token);
    } else if (token.type === 'image') {
      const src = String(token.attrGet('src') ?? '');
      const kind = classifyUrl(src, true, ownOrigin);
      if (kind === 'forbidden' || kind === 'mailto') {
        out.push(textToken(state, inlineText(token.children), token.level));
      } else {
        const attrs: [string, string][] = [
          ['src', src],
          ['alt', ''],
        ];
        const title = token.attrGet('title');
        if (title !== null && title !== '') attrs.push(['title', String(title)]);
        attrs.push(['loading', 'lazy']);
        token.attrs = attrs;
        out.push(token);
      }
    } else {
      out.push(token);
    }
  }
  return out;
}

const md = new MarkdownIt('default', {
  html: false,
  xhtmlOut: false,
  breaks: true,
  linkify: true,
  typographer: false,
});
// Parse every link destination as a link; `policyRule` decides what may keep an href, so a
// `[text](javascript:…)` shows its text instead of its raw markdown source.
md.validateLink = () => true;
md.core.ruler.push('hearth_mentions', mentionRule);
md.core.ruler.push('hearth_url_policy', policyRule);

// ---------------------------------------------------------------------------------------------
// sanitize-html layer
// ---------------------------------------------------------------------------------------------

const ALLOWED_TAGS = [
  'p', 'br', 'strong', 'em', 'del', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'a', 'img',
  'table', 'thead', 'tbody', 'tr', 'th', 'td',
];

function sanitizerOptions(ownOrigin: string | null): sanitizeHtml.IOptions {
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
        return { tagName, attribs: out };
      },
      img: (tagName, attribs) => {
        const out: sanitizeHtml.Attributes = {};
        const kind = attribs.src === undefined ? 'forbidden' : classifyUrl(attribs.src, true, ownOrigin);
        if (kind !== 'forbidden' && kind !== 'mailto') out.src = attribs.src;
        out.alt = attribs.alt ?? '';
        if (attribs.title) out.title = attribs.title;
        out.loading = 'lazy';
        return { tagName, attribs: out };
      },
    },
    // An image whose src did not survive is dropped rather than left as a broken <img>.
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  };
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

function parseWithEnv(body: string, options: RenderOptions): { tokens: Token[]; env: RenderEnv; mdEnv: MarkdownIt.Env } {
  const env: RenderEnv = {
    known: options.mentions,
    ownOrigin: originOf(options.publicUrl),
    found: new Set(),
    linked: new Set(),
  };
  const mdEnv: MarkdownIt.Env = { [ENV_KEY]: env };
  const tokens = md.parse(body, mdEnv);
  return { tokens, env, mdEnv };
}

/** Counts `<a …>` start tags in sanitized output that carry an href and are not mentions. */
function countRenderedLinks(html: string): number {
  let count = 0;
  // sanitize-html escapes `<`, `>` and `"` inside attribute values, so a tag ends at the first '>'.
  for (const match of html.matchAll(/<a(\s[^>]*)?>/g)) {
    const attrs = match[1] ?? '';
    if (/\shref="/.test(attrs) && !/\sclass="mention"/.test(attrs)) count++;
  }
  return count;
}

export function renderMarkdown(body: string, options: RenderOptions = {}): Rendered {
  const { tokens, env, mdEnv } = parseWithEnv(body, options);
  const unsafe = md.renderer.render(tokens, md.options, mdEnv);
  const html = sanitizeHtml(unsafe, sanitizerOptions(env.ownOrigin));
  return { html, linkCount: countRenderedLinks(html), mentions: [...env.linked] };
}

/**
 * Handles a post mentions, lowercase, unique, in order of first appearance. Ignores code
 * spans/blocks, link text and e-mail addresses (`ada@example.com` is not a mention).
 */
export function findMentionHandles(body: string): string[] {
  return [...parseWithEnv(body, {}).env.found];
}

/** Links a reader would see: explicit markdown links, autolinks and linkified bare URLs. */
export function countLinks(body: string): number {
  return renderMarkdown(body).linkCount;
}
