/**
 * Markdown → safe HTML for community posts. Rendered once, at write time; the stored HTML is
 * served as-is, so everything here is security-critical.
 *
 * Two independent layers:
 *  1. markdown-it with raw HTML off (`html: false`, so `<script>` in a post is escaped as text),
 *     plus a core rule that vets every link/image URL against our own allowlist (url-policy.ts:
 *     links whose scheme is not allowed lose their href and render as plain text, such images
 *     as their alt text), adds `rel` to external links; known @mentions become links.
 *  2. sanitize-html over the produced HTML (post-sanitizer.ts) with an explicit tag/attribute/
 *     class/scheme allowlist, re-running the same URL policy, so a bug in layer 1 cannot by
 *     itself produce script.
 *
 * Privacy: only our own uploads (`/api/v1/uploads/<name>`, relative or on our own origin) render
 * as `<img>`, in both layers. Any other image would make every reader's browser call a third
 * party (or load plain http into an https page), so it renders as a link to the image instead,
 * with the alt text (or the URL) as its text. External links carry `rel="nofollow ugc noopener
 * noreferrer"`, so a thread's address (perhaps on a private board) is not sent as Referer.
 *
 * Mentions are parsed once, with the rest of the markdown: `parseMarkdown` finds the handles,
 * the caller looks them up, and `render` links the known ones in the saved tokens:
 *   const parsed = parseMarkdown(body, { publicUrl });
 *   const known = lookUp(parsed.mentionHandles);                 // handle → '/u/<userId>'
 *   const { html, linkCount, mentions } = parsed.render(known);
 *
 * Pure: no Nest, no database. Every regular expression here runs on user input and is linear
 * (see MARKDOWN_PATTERNS and src/core/security/regex-linear.spec.ts).
 */
import MarkdownIt from 'markdown-it';
import { MENTION_CLASS, sanitizePostHtml } from './post-sanitizer';
import { classifyUrl, EXTERNAL_REL, isOwnUpload, originOf } from './url-policy';

export { EXTERNAL_REL } from './url-policy';

type Token = MarkdownIt.Token;
type StateCore = MarkdownIt.StateCore;

export interface ParseOptions {
  /** Our own origin, e.g. 'https://community.example.com' — links to it are not "external". */
  publicUrl?: string;
}

export interface RenderOptions extends ParseOptions {
  /** Resolves @mentions: given lowercase handles found in the text, returns those that are members, mapped to a profile path (e.g. '/u/<userId>'). */
  mentions?: ReadonlyMap<string, string>;
}

export interface Rendered {
  html: string;
  /** Rendered links with an href, mention links excluded (an image shown as a link counts). */
  linkCount: number;
  /** Lowercase handles that were linked, unique, in order of first appearance. */
  mentions: string[];
}

export interface ParsedMarkdown {
  /** Handles the text mentions, lowercase, unique, in order of first appearance. */
  readonly mentionHandles: readonly string[];
  /** Links the known mentions (handle → profile path) and renders; the parsed tokens are not changed. */
  render(known?: ReadonlyMap<string, string>): Rendered;
}

const MAX_HANDLE_LENGTH = 30;
const LANG_RE = /^[a-z0-9+-]+$/;
const INFO_SPLIT_RE = /\s+/;
/**
 * A handle: letters, digits and `_`, with single `.` or `-` between them, so trailing dots and
 * dashes are punctuation ("thanks @ada."). At most 30 units (≤ 59 characters) are taken, and the
 * lookahead refuses a handle that goes on past them rather than cutting it, so a match costs
 * bounded work and a body linear time. (The former `[a-z0-9_.-]*` followed by trimming
 * `/[.-]+$/` was quadratic on a long run of dots.) The 30-character cap is checked on the match.
 */
const MENTION_RE = /@([a-z0-9_](?:[.-]?[a-z0-9_]){0,29})(?![a-z0-9_]|[.-][a-z0-9_])/gi;
const WORD_CHAR_RE = /[\p{L}\p{N}\p{M}_]/u;

/** Every pattern of this module (all run on user input), for the linear-time audit in src/core/security. */
export const MARKDOWN_PATTERNS = { LANG_RE, INFO_SPLIT_RE, MENTION_RE, WORD_CHAR_RE } as const;

// ---------------------------------------------------------------------------------------------
// markdown-it layer
// ---------------------------------------------------------------------------------------------

const ENV_KEY = Symbol('hearth.markdown');
/** Token.meta key of a text token's mention candidates, found at parse time. */
const MENTIONS_META = 'hearthMentions';

interface ParseEnv {
  ownOrigin: string | null;
  /** Every syntactically valid mention, lowercase, in order (a Set keeps insertion order). */
  found: Set<string>;
}

interface MentionCandidate {
  /** Offsets of `@handle` in the text token. */
  at: number;
  end: number;
  key: string;
}

function parseEnv(state: StateCore): ParseEnv | undefined {
  return state.env[ENV_KEY] as ParseEnv | undefined;
}

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

/** Syntactically valid mentions in a text, skipping those right after a word character (e-mail addresses). */
function mentionsIn(text: string, charBefore: string): MentionCandidate[] {
  const found: MentionCandidate[] = [];
  for (const match of text.matchAll(MENTION_RE)) {
    const at = match.index;
    const prev = at === 0 ? charBefore : text[at - 1];
    if (prev && WORD_CHAR_RE.test(prev)) continue;
    const handle = match[1];
    if (handle.length > MAX_HANDLE_LENGTH) continue;
    found.push({ at, end: at + 1 + handle.length, key: handle.toLowerCase() });
  }
  return found;
}

/**
 * Core rule: finds @mentions in text tokens and keeps them on the token for `linkMentions`. Runs
 * after linkify and text_join, on inline children only, so code spans, code blocks, link text
 * (including linkified e-mail addresses) and image alt text are never touched.
 */
function mentionRule(state: StateCore): void {
  const env = parseEnv(state);
  if (!env) return;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const children = block.children;
    let linkDepth = 0;
    for (let i = 0; i < children.length; i++) {
      const token = children[i];
      if (token.type === 'link_open') linkDepth++;
      else if (token.type === 'link_close') linkDepth = Math.max(0, linkDepth - 1);
      if (token.type !== 'text' || linkDepth > 0 || !token.content.includes('@')) continue;
      const previous = i > 0 ? children[i - 1] : undefined;
      const before = previous && (previous.type === 'text' || previous.type === 'code_inline') ? previous.content.slice(-1) : '';
      const candidates = mentionsIn(token.content, before);
      if (!candidates.length) continue;
      token.meta = { ...token.meta, [MENTIONS_META]: candidates };
      for (const candidate of candidates) env.found.add(candidate.key);
    }
  }
}

function newToken(type: string, tag: string, nesting: -1 | 0 | 1, level: number, content = ''): Token {
  const token = new TokenClass(type, tag, nesting);
  token.level = level;
  token.content = content;
  return token;
}

/**
 * Render step: replaces the text tokens that hold known mentions with text and mention links.
 * Returns new token arrays (changed inline blocks are copied), so the parse can be rendered again.
 */
function linkMentions(tokens: Token[], known: ReadonlyMap<string, string>, ownOrigin: string | null, linked: Set<string>): Token[] {
  if (known.size === 0) return tokens;
  return tokens.map((block) => {
    if (block.type !== 'inline' || !block.children) return block;
    let changed = false;
    const out: Token[] = [];
    for (const token of block.children) {
      const candidates = token.meta?.[MENTIONS_META] as MentionCandidate[] | undefined;
      const pieces = candidates ? splitMentions(token, candidates, known, ownOrigin, linked) : null;
      if (pieces) {
        out.push(...pieces);
        changed = true;
      } else {
        out.push(token);
      }
    }
    if (!changed) return block;
    const copy = Object.assign(Object.create(Object.getPrototypeOf(block) as object) as Token, block);
    copy.children = out;
    return copy;
  });
}

/** Replacement tokens for a text token, or null when none of its mentions is known. */
function splitMentions(token: Token, candidates: MentionCandidate[], known: ReadonlyMap<string, string>, ownOrigin: string | null, linked: Set<string>): Token[] | null {
  const text = token.content;
  const pieces: Token[] = [];
  let last = 0;
  for (const { at, end, key } of candidates) {
    const href = known.get(key);
    if (href === undefined) continue;
    const kind = classifyUrl(href, false, ownOrigin);
    if (kind !== 'relative' && kind !== 'internal') continue;
    linked.add(key);
    if (at > last) pieces.push(newToken('text', '', 0, token.level, text.slice(last, at)));
    const open = newToken('link_open', 'a', 1, token.level);
    open.attrs = [
      ['href', href],
      ['class', MENTION_CLASS],
    ];
    pieces.push(open, newToken('text', '', 0, token.level + 1, text.slice(at, end)), newToken('link_close', 'a', -1, token.level));
    last = end;
  }
  if (pieces.length === 0) return null;
  if (last < text.length) pieces.push(newToken('text', '', 0, token.level, text.slice(last)));
  return pieces;
}

/**
 * Core rule: enforces the URL policy on every link and image markdown-it produced (explicit,
 * reference, autolink, linkified), sets `rel` on external links, `loading="lazy"` on images,
 * drops table alignment styles and normalises fence languages.
 */
function policyRule(state: StateCore): void {
  const ownOrigin = parseEnv(state)?.ownOrigin ?? null;
  for (const block of state.tokens) {
    if (block.type === 'th_open' || block.type === 'td_open') {
      block.attrs = null;
    } else if (block.type === 'fence') {
      const lang = block.info.trim().split(INFO_SPLIT_RE)[0].toLowerCase();
      block.info = LANG_RE.test(lang) ? lang : '';
    } else if (block.type === 'inline' && block.children) {
      block.children = vetInline(block.children, ownOrigin);
    }
  }
}

/** href, then title, then rel for external links: the attributes of a vetted link. */
function linkAttrs(href: string, title: unknown, kind: 'relative' | 'internal' | 'external' | 'mailto'): [string, string][] {
  const attrs: [string, string][] = [['href', href]];
  if (title !== null && title !== undefined && title !== '') attrs.push(['title', String(title)]);
  if (kind === 'external') attrs.push(['rel', EXTERNAL_REL]);
  return attrs;
}

function vetInline(children: Token[], ownOrigin: string | null): Token[] {
  const out: Token[] = [];
  // Links cannot nest in markdown, so a stack of "was this link_open hidden?" is enough.
  const hiddenStack: boolean[] = [];
  for (const token of children) {
    if (token.type === 'link_open') {
      const href = String(token.attrGet('href') ?? '');
      const kind = classifyUrl(href, false, ownOrigin);
      if (kind === 'forbidden') token.hidden = true;
      else token.attrs = linkAttrs(href, token.attrGet('title'), kind);
      hiddenStack.push(token.hidden);
      out.push(token);
    } else if (token.type === 'link_close') {
      token.hidden = hiddenStack.pop() ?? false;
      out.push(token);
    } else if (token.type === 'image') {
      out.push(...vetImage(token, ownOrigin, hiddenStack.length > 0));
    } else {
      out.push(token);
    }
  }
  return out;
}

/** An own upload stays an image; any other allowed image becomes a link to it (plain text inside another link). */
function vetImage(token: Token, ownOrigin: string | null, insideLink: boolean): Token[] {
  const src = String(token.attrGet('src') ?? '');
  const title = token.attrGet('title');
  const alt = inlineText(token.children);
  if (isOwnUpload(src, ownOrigin)) {
    const attrs: [string, string][] = [
      ['src', src],
      ['alt', ''],
    ];
    if (title !== null && title !== '') attrs.push(['title', String(title)]);
    attrs.push(['loading', 'lazy']);
    token.attrs = attrs;
    return [token];
  }
  const kind = classifyUrl(src, true, ownOrigin);
  if (kind === 'forbidden' || kind === 'mailto') return [newToken('text', '', 0, token.level, alt)];
  if (insideLink) return [newToken('text', '', 0, token.level, alt || src)];
  const open = newToken('link_open', 'a', 1, token.level);
  open.attrs = linkAttrs(src, title, kind);
  return [open, newToken('text', '', 0, token.level + 1, alt || src), newToken('link_close', 'a', -1, token.level)];
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
const TokenClass = new md.core.State('', md, {}).Token;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/** Parses a post once; see the module comment. */
export function parseMarkdown(body: string, options: ParseOptions = {}): ParsedMarkdown {
  const env: ParseEnv = { ownOrigin: originOf(options.publicUrl), found: new Set() };
  const mdEnv: MarkdownIt.Env = { [ENV_KEY]: env };
  const tokens = md.parse(body, mdEnv);
  return {
    mentionHandles: [...env.found],
    render(known = new Map<string, string>()): Rendered {
      const linked = new Set<string>();
      const unsafe = md.renderer.render(linkMentions(tokens, known, env.ownOrigin, linked), md.options, mdEnv);
      return { ...sanitizePostHtml(unsafe, env.ownOrigin), mentions: [...linked] };
    },
  };
}

/** Parses and renders in one go, for callers that know the mentions up front (or need none). */
export function renderMarkdown(body: string, options: RenderOptions = {}): Rendered {
  return parseMarkdown(body, options).render(options.mentions);
}

/**
 * Handles a post mentions, lowercase, unique, in order of first appearance. Ignores code
 * spans/blocks, link text and e-mail addresses (`ada@example.com` is not a mention).
 */
export function findMentionHandles(body: string): string[] {
  return [...parseMarkdown(body).mentionHandles];
}

/** Links a reader would see: explicit markdown links, autolinks and linkified bare URLs. */
export function countLinks(body: string): number {
  return renderMarkdown(body).linkCount;
}
