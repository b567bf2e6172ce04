import { listField, safeNext, titleSlug } from './forms';
import { parseCookies } from './web-session.service';

describe('web form helpers', () => {
  it('makes a thread URL slug of a title: lowercase ASCII words joined by hyphens, accents dropped, at most 80', () => {
    expect(titleSlug('How do I descale the K2 kettle?')).toBe('how-do-i-descale-the-k2-kettle');
    expect(titleSlug('  Crème brûlée -- à la maison!  ')).toBe('creme-brulee-a-la-maison');
    expect(titleSlug('日本語のタイトル')).toBe('thread');
    expect(titleSlug('a'.repeat(100))).toBe('a'.repeat(80));
    expect(titleSlug('x '.repeat(60)).length).toBe(79);
  });

  it('returns only to local paths after logging in', () => {
    expect(safeNext('/c/kettles/b/qa?sort=top')).toBe('/c/kettles/b/qa?sort=top');
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'c/kettles', '', undefined, 42, `/${'a'.repeat(600)}`]) {
      expect(safeNext(bad)).toBe('/');
    }
  });

  it('reads a typed list of tags or SKUs (commas and spaces), unique, or nothing', () => {
    expect(listField('kettles, care  care,,descaling')).toEqual(['kettles', 'care', 'descaling']);
    expect(listField(' , ')).toBeUndefined();
    expect(listField(undefined)).toBeUndefined();
  });

  it('parses a Cookie header, the first of duplicate names winning', () => {
    expect([...parseCookies('a=1; hearth_session=hrt_x=y; a=2; junk; =v')]).toEqual([
      ['a', '1'],
      ['hearth_session', 'hrt_x=y'],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
    expect(parseCookies(`a=${'x'.repeat(9000)}`).size).toBe(0);
  });
});
