import { CssNode, generate, parse, walk } from 'css-tree';

/**
 * The brand look's rules as pure functions (no Nest, no database): the primary colour's contrast and
 * the custom CSS check. Custom CSS is parsed with css-tree and checked against an allowlist; anything
 * outside it is refused with its line (nothing is dropped silently: what the admin wrote is what
 * members get). The stylesheet served is css-tree's regeneration of the checked tree, not the text.
 */

export const CUSTOM_CSS_MAX_CHARS = 10_000;
/** WCAG 2.2 AA for normal text: the primary colour carries white text (buttons, badges). */
export const MIN_CONTRAST_WITH_WHITE = 4.5;
export const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/** WCAG relative luminance of #rrggbb. */
export function relativeLuminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** The WCAG contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The contrast ratio of white text on the colour (1 to 21). */
export function contrastWithWhite(hex: string): number {
  return contrastRatio(hex, '#ffffff');
}

/** Why a primary colour is refused, or null when white text on it is readable. */
export function primaryColorProblem(hex: string): string | null {
  const ratio = contrastWithWhite(hex);
  if (ratio >= MIN_CONTRAST_WITH_WHITE) return null;
  return `White text on ${hex.toLowerCase()} has a contrast of ${(Math.floor(ratio * 100) / 100).toFixed(2)}:1; at least ${MIN_CONTRAST_WITH_WHITE}:1 is needed (WCAG AA): choose a darker colour`;
}

/** At-rules a brand needs for a theme; everything else (@import, @font-face, @namespace, @page...) is refused. */
const AT_RULES = new Set(['media', 'supports', 'keyframes', 'container', 'layer']);

/** CSS functions allowed in values: colours, maths, gradients, transforms, timing. No url(), image-set(), src(), attr(), expression(). */
const FUNCTIONS = new Set([
  'rgb', 'rgba', 'hsl', 'hsla', 'hwb', 'lab', 'lch', 'oklab', 'oklch', 'color', 'color-mix', 'light-dark',
  'var', 'calc', 'min', 'max', 'clamp', 'round', 'mod', 'rem', 'abs', 'sign',
  'linear-gradient', 'radial-gradient', 'conic-gradient', 'repeating-linear-gradient', 'repeating-radial-gradient', 'repeating-conic-gradient',
  'translate', 'translatex', 'translatey', 'translate3d', 'rotate', 'rotatex', 'rotatey', 'rotatez', 'scale', 'scalex', 'scaley', 'skew', 'skewx', 'skewy',
  'matrix', 'perspective', 'cubic-bezier', 'steps', 'minmax', 'repeat', 'fit-content',
  'blur', 'brightness', 'contrast', 'drop-shadow', 'grayscale', 'hue-rotate', 'invert', 'opacity', 'saturate', 'sepia',
]);

/** Properties that run code or bind behaviour in old browsers. */
const FORBIDDEN_PROPERTIES = new Set(['behavior', '-ms-behavior', '-moz-binding']);
/** Set through primaryColor (contrast checked), not custom CSS. */
const RESERVED_PROPERTIES = new Set(['--primary', '--primary-text']);
/** `position: fixed` would let a brand lay an overlay over the account menu or forms on every page; everything else is fine. */
const POSITIONS = new Set(['static', 'relative', 'absolute', 'sticky', 'inherit', 'initial', 'unset', 'revert', 'revert-layer']);

export type CssCheck = { ok: true; css: string } | { ok: false; problems: string[] };

/** At most this many problems are reported at once. */
const MAX_PROBLEMS = 10;

/**
 * Checks custom CSS. Refused: parse errors, any at-rule but @media, @supports, @keyframes,
 * @container and @layer, url() and any function not in the allowlist (expression(), image-set()...),
 * behavior and -moz-binding, `position: fixed`, declaring --primary or --primary-text, backslash
 * escapes outside strings (they could spell a refused name), "javascript:", and "</" or "<!--" anywhere.
 */
export function checkCustomCss(text: string): CssCheck {
  if (text.length > CUSTOM_CSS_MAX_CHARS) return { ok: false, problems: [`Custom CSS may be at most ${CUSTOM_CSS_MAX_CHARS} characters (it has ${text.length})`] };
  if (!text.trim()) return { ok: true, css: '' };
  const problems: string[] = [];
  const add = (line: number | undefined, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(line ? `line ${line}: ${message}` : message);
  };
  const lower = text.toLowerCase();
  if (lower.includes('</') || lower.includes('<!--') || lower.includes('-->')) add(undefined, '"</", "<!--" and "-->" are not allowed');
  if (lower.includes('javascript:')) add(undefined, '"javascript:" is not allowed');

  const ast = parse(text, {
    positions: true,
    parseCustomProperty: true,
    onParseError: (err) => add(err.line, `the CSS could not be read here (${err.message})`),
  });
  walk(ast, (node: CssNode) => {
    const line = node.loc?.start.line;
    switch (node.type) {
      case 'Raw':
        add(line, `the CSS could not be read here ("${node.value.trim().slice(0, 40)}")`);
        break;
      case 'Atrule':
        if (!AT_RULES.has(node.name.toLowerCase())) add(line, `@${node.name} is not allowed (allowed: ${[...AT_RULES].map((a) => `@${a}`).join(', ')})`);
        break;
      case 'Url':
        add(line, 'url() is not allowed: images and fonts come only from the look\'s logo and the default theme');
        break;
      case 'Function': {
        const name = node.name.toLowerCase();
        if (name.includes('\\')) add(line, 'escapes are not allowed in function names');
        else if (!FUNCTIONS.has(name)) add(line, `${name}() is not allowed`);
        break;
      }
      case 'Declaration': {
        const property = node.property.toLowerCase();
        if (property.includes('\\')) add(line, 'escapes are not allowed in property names');
        else if (FORBIDDEN_PROPERTIES.has(property)) add(line, `the ${property} property is not allowed`);
        else if (RESERVED_PROPERTIES.has(property)) add(line, `${property} is set by the primary colour, which is checked for contrast`);
        else if (property === 'position') {
          const value = generate(node.value).trim().toLowerCase();
          if (!POSITIONS.has(value)) add(line, `position: ${value} is not allowed (fixed overlays could cover the site's own controls)`);
        }
        break;
      }
      case 'Identifier':
      case 'TypeSelector':
      case 'ClassSelector':
      case 'IdSelector':
      case 'PseudoClassSelector':
      case 'PseudoElementSelector':
        if (node.name.includes('\\')) add(line, 'escapes are only allowed inside strings');
        break;
      default:
        break;
    }
  });
  if (problems.length) return { ok: false, problems };
  const css = generate(ast);
  // Escapes in strings are decoded and written out again: check the result as well.
  if (/<\/|<!--|-->/.test(css)) return { ok: false, problems: ['"</", "<!--" and "-->" are not allowed, escaped or not'] };
  return { ok: true, css };
}

/**
 * Checked CSS confined to the elements inside `.scope` (the admin page's preview): every selector
 * gets `.scope ` before it, and `:root`, `html` and `body` become `.scope` itself. Keyframe
 * selectors (from, to, 50%) are left alone.
 */
export function scopeCss(css: string, scope: string): string {
  if (!css) return '';
  const ast = parse(css, { parseCustomProperty: true });
  walk(ast, {
    visit: 'Rule',
    enter(rule) {
      if (this.atrule && this.atrule.name.toLowerCase().endsWith('keyframes')) return;
      if (rule.prelude.type !== 'SelectorList') return;
      rule.prelude.children.forEach((selector) => {
        if (selector.type !== 'Selector') return;
        const first = selector.children.first;
        const isRoot =
          first &&
          ((first.type === 'PseudoClassSelector' && first.name.toLowerCase() === 'root') ||
            (first.type === 'TypeSelector' && ['html', 'body'].includes(first.name.toLowerCase())));
        if (isRoot) selector.children.shift();
        if (!isRoot) selector.children.prependData({ type: 'Combinator', name: ' ' });
        selector.children.prependData({ type: 'ClassSelector', name: scope });
      });
    },
  });
  return generate(ast);
}
