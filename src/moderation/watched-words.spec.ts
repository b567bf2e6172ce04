import { CompiledRules, parsePattern, tokenMatches, words } from './watched-words';

describe('watched words', () => {
  const rules = new CompiledRules([
    { pattern: 'spam*', action: 'flag' },
    { pattern: 'buy now', action: 'queue' },
    { pattern: 'f*ck', action: 'block' },
    { pattern: 'Casino', action: 'block' },
    { pattern: 'free *coins', action: 'flag' },
  ]);
  const patterns = (text: string) => rules.match(text).map((r) => r.pattern).sort();

  it('matches whole words, case-insensitively', () => {
    expect(patterns('Visit the CASINO tonight')).toEqual(['Casino']);
    expect(patterns('casinos are fine')).toEqual([]);
    expect(patterns('a microcasino')).toEqual([]);
  });

  it('matches wildcards inside a word', () => {
    expect(patterns('Spammers everywhere')).toEqual(['spam*']);
    expect(patterns('spam')).toEqual(['spam*']);
    expect(patterns('what the fork, fck')).toEqual(['f*ck']);
    expect(patterns('fork')).toEqual([]);
    expect(patterns('free bitcoins now')).toEqual(['free *coins']);
  });

  it('matches phrases as consecutive words, across punctuation', () => {
    expect(patterns('Buy-now!')).toEqual(['buy now']);
    expect(patterns('buy it now')).toEqual([]);
    expect(patterns('I will buy\n\nNOW')).toEqual(['buy now']);
  });

  it('refuses patterns that would match everything or nothing', () => {
    expect(parsePattern('*')).toEqual(expect.any(String));
    expect(parsePattern('buy *')).toEqual(expect.any(String));
    expect(parsePattern('   ')).toEqual(expect.any(String));
    expect(parsePattern('!!!')).toEqual(expect.any(String));
    expect(parsePattern('x'.repeat(101))).toEqual(expect.any(String));
    expect(parsePattern("don't")).toEqual([["don't"]]);
  });

  it('matches wildcards without backtracking blow-ups', () => {
    const token = ['a', 'a', 'a', 'a', 'b'];
    expect(tokenMatches(token, 'a'.repeat(50_000))).toBe(false);
    expect(tokenMatches(['a', 'b', 'c'], 'axxbyyc')).toBe(true);
    expect(tokenMatches(['ab', 'ba'], 'aba')).toBe(false);
    const many = new CompiledRules(Array.from({ length: 1000 }, (_, i) => ({ pattern: `w${i}*x*y*z`, action: 'flag' as const })));
    expect(many.match(`${'w1aaaaaaaaaaaaaaaaaaaa '.repeat(2000)}`)).toEqual([]);
  });

  it('splits text into words by Unicode rules', () => {
    expect(words('Héllo, wörld! 42 日本')).toEqual(['héllo', 'wörld', '42', '日本']);
  });
});
