/**
 * Watched words and phrases, compiled once per rule change and matched without regular expressions:
 * the text is split into words (Intl.Segmenter: Unicode word boundaries, linear), a pattern into word
 * tokens (a `*` inside a token matches any run of word characters, so `spam*` matches "spammer" and
 * `f*ck` "fork"); a phrase matches consecutive words. Case-insensitive, whole words only. A wildcard
 * token is matched by its literal pieces in order (prefix, leftmost occurrences, suffix): linear in the
 * word, with no backtracking, whatever the pattern.
 */
export const RULE_ACTIONS = ['block', 'queue', 'flag'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];
export const MAX_RULES = 1000;
export const MAX_PATTERN_LENGTH = 100;
/** Words per phrase. */
export const MAX_PATTERN_WORDS = 10;

export interface WatchedWord {
  pattern: string;
  action: RuleAction;
}

/** A token: literal pieces between `*`s (one piece: an exact word). */
type TokenMatcher = string[];

interface CompiledRule {
  rule: WatchedWord;
  tokens: TokenMatcher[];
}

const segmenter = new Intl.Segmenter('en', { granularity: 'word' });

/** The words of a text, lowercased. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const s of segmenter.segment(text)) if (s.isWordLike) out.push(s.segment.toLowerCase());
  return out;
}

/** A pattern's tokens (word segments and `*`s that touch make one token), or an error message. */
export function parsePattern(pattern: string): TokenMatcher[] | string {
  const trimmed = pattern.trim();
  if (!trimmed) return 'pattern must not be empty';
  if (trimmed.length > MAX_PATTERN_LENGTH) return `pattern must be at most ${MAX_PATTERN_LENGTH} characters`;
  const tokens: string[] = [];
  let current = '';
  let end = -1;
  for (const s of segmenter.segment(trimmed.toLowerCase())) {
    const star = s.segment.length > 0 && [...s.segment].every((c) => c === '*');
    if (s.isWordLike || star) {
      if (current && s.index !== end) {
        tokens.push(current);
        current = '';
      }
      current += s.segment;
      end = s.index + s.segment.length;
    } else if (current) {
      tokens.push(current);
      current = '';
    }
  }
  if (current) tokens.push(current);
  if (!tokens.length) return 'pattern must contain a word';
  if (tokens.length > MAX_PATTERN_WORDS) return `a phrase may have at most ${MAX_PATTERN_WORDS} words`;
  if (tokens.some((t) => [...t].every((c) => c === '*'))) return 'a `*` must be part of a word (a lone `*` would match every word)';
  return tokens.map((t) => t.split('*'));
}

/** Does the word match the token? Pieces in order: the first a prefix, the last a suffix, the others leftmost between. */
export function tokenMatches(token: TokenMatcher, word: string): boolean {
  if (token.length === 1) return token[0] === word;
  const first = token[0];
  const last = token[token.length - 1];
  if (word.length < first.length + last.length || !word.startsWith(first) || !word.endsWith(last)) return false;
  let at = first.length;
  const limit = word.length - last.length;
  for (let i = 1; i < token.length - 1; i++) {
    const piece = token[i];
    if (!piece) continue;
    const found = word.indexOf(piece, at);
    if (found < 0 || found + piece.length > limit) return false;
    at = found + piece.length;
  }
  return true;
}

export class CompiledRules {
  private readonly exact = new Map<string, CompiledRule[]>();
  private readonly wild: CompiledRule[] = [];
  readonly size: number;

  constructor(rules: WatchedWord[]) {
    for (const rule of rules) {
      const tokens = parsePattern(rule.pattern);
      if (typeof tokens === 'string') continue; // validated on save; a stored rule that no longer parses is skipped
      const compiled = { rule, tokens };
      if (tokens[0].length === 1) {
        const list = this.exact.get(tokens[0][0]);
        if (list) list.push(compiled);
        else this.exact.set(tokens[0][0], [compiled]);
      } else this.wild.push(compiled);
    }
    this.size = rules.length;
  }

  /** The rules the text matches (each once, in rule order of discovery). */
  match(text: string): WatchedWord[] {
    if (!this.size) return [];
    const ws = words(text);
    const found = new Map<string, WatchedWord>();
    const wildByWord = new Map<string, CompiledRule[]>();
    for (let i = 0; i < ws.length; i++) {
      const word = ws[i];
      let wild = wildByWord.get(word);
      if (!wild) {
        wild = this.wild.filter((c) => tokenMatches(c.tokens[0], word));
        wildByWord.set(word, wild);
      }
      for (const candidates of [this.exact.get(word), wild]) {
        for (const c of candidates ?? []) {
          if (found.has(c.rule.pattern) || i + c.tokens.length > ws.length) continue;
          let all = true;
          for (let k = 1; k < c.tokens.length && all; k++) all = tokenMatches(c.tokens[k], ws[i + k]);
          if (all) found.set(c.rule.pattern, c.rule);
        }
      }
    }
    return [...found.values()];
  }
}
