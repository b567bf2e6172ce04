import { checkCustomCss, contrastWithWhite, CUSTOM_CSS_MAX_CHARS, primaryColorProblem, scopeCss } from './community-look.css';

function problems(css: string): string[] {
  const result = checkCustomCss(css);
  if (result.ok) throw new Error(`accepted: ${result.css}`);
  return result.problems;
}

describe('primary colour contrast', () => {
  it('computes WCAG ratios against white', () => {
    expect(contrastWithWhite('#000000')).toBeCloseTo(21, 5);
    expect(contrastWithWhite('#ffffff')).toBeCloseTo(1, 5);
    expect(contrastWithWhite('#767676')).toBeCloseTo(4.54, 2);
  });

  it('accepts colours that keep white text readable and refuses the others with the ratio', () => {
    expect(primaryColorProblem('#1a5fd0')).toBeNull();
    expect(primaryColorProblem('#767676')).toBeNull();
    expect(primaryColorProblem('#777777')).toMatch(/^White text on #777777 has a contrast of 4\.47:1; at least 4\.5:1/);
    expect(primaryColorProblem('#FFCC00')).toMatch(/#ffcc00 has a contrast of 1\.\d\d:1/);
  });
});

describe('custom CSS check', () => {
  it('accepts an ordinary theme and serves css-tree\'s regeneration (comments gone)', () => {
    const result = checkCustomCss(`/* brand */\n.site-header { background: linear-gradient(90deg, #fff, rgb(0 0 0 / 5%)); }\n@media (prefers-color-scheme: dark) { .card { border-color: var(--border) !important } }\n@keyframes glow { from { opacity: .5 } to { opacity: 1 } }\n.badge::before { content: "\\2605"; position: relative }`);
    expect(result).toEqual({
      ok: true,
      css: '.site-header{background:linear-gradient(90deg,#fff,rgb(0 0 0/5%))}@media (prefers-color-scheme:dark){.card{border-color:var(--border)!important}}@keyframes glow{from{opacity:.5}to{opacity:1}}.badge::before{content:"★";position:relative}',
    });
    expect(checkCustomCss('   ')).toEqual({ ok: true, css: '' });
  });

  it.each([
    ['@import url(https://evil.example/x.css);', /line 1: @import is not allowed/],
    ['@font-face { font-family: x; src: url(https://evil.example/f.woff) }', /@font-face is not allowed/],
    ['.a { background: url(/api/v1/uploads/x.png) }', /url\(\) is not allowed/],
    ['.a { background: url("javascript:alert(1)") }', /"javascript:" is not allowed/],
    ['.a { width: expression(alert(1)) }', /expression\(\) is not allowed/],
    ['.a { behavior: url(x.htc) }', /the behavior property is not allowed/],
    ['.a { -moz-binding: url(x.xml#y) }', /-moz-binding property is not allowed/],
    ['.a { background: image-set("x.png" 1x) }', /image-set\(\) is not allowed/],
    ['.a::after { content: attr(data-x) }', /attr\(\) is not allowed/],
    ['.a { background: u\\72 l(x) }', /escapes are not allowed in function names/],
    ['.a { \\70 osition: fixed }', /escapes are not allowed in property names/],
    ['.a { position: fixed; inset: 0 }', /position: fixed is not allowed/],
    ['.a { position: var(--p) }', /position: var\(--p\) is not allowed/],
    [':root { --primary: #ffff00 }', /--primary is set by the primary colour/],
    ['.a { content: "</style><script>alert(1)</script>" }', /"<\/", "<!--" and "-->" are not allowed/],
    ['.a { color: red }} body { display: none }', /could not be read/],
    ['.a { --x: { a: b } }', /could not be read/],
    ['.a::after { content: "\\3c/style>" }', /"<\/", "<!--" and "-->" are not allowed/],
  ])('refuses %s', (css, message) => {
    expect(problems(css).join('\n')).toMatch(message);
  });

  it('reports the line of each problem, at most ten', () => {
    expect(problems('.a { color: red }\n\n@import "x";\n.b { background: url(x) }')).toEqual([
      'line 3: @import is not allowed (allowed: @media, @supports, @keyframes, @container, @layer)',
      'line 4: url() is not allowed: images and fonts come only from the look\'s logo and the default theme',
    ]);
    expect(problems('.a{background:url(x)}\n'.repeat(30))).toHaveLength(10);
  });

  it('refuses more than the size limit', () => {
    expect(problems(`.a{color:red}${' '.repeat(CUSTOM_CSS_MAX_CHARS)}`)).toEqual([`Custom CSS may be at most 10000 characters (it has ${CUSTOM_CSS_MAX_CHARS + 13})`]);
  });
});

describe('preview scoping', () => {
  it('confines every selector to the preview and leaves keyframes alone', () => {
    const checked = checkCustomCss(':root{--x:red} body{color:red} html .a, .b > p:hover {color:blue} @media (min-width:1px){.c{color:red}} @keyframes k{from{opacity:0}to{opacity:1}}');
    if (!checked.ok) throw new Error(checked.problems.join());
    expect(scopeCss(checked.css, 'look-preview')).toBe(
      '.look-preview{--x:red}.look-preview{color:red}.look-preview .a,.look-preview .b>p:hover{color:blue}@media (min-width:1px){.look-preview .c{color:red}}@keyframes k{from{opacity:0}to{opacity:1}}',
    );
    expect(scopeCss('', 'look-preview')).toBe('');
  });
});
