import { EXTERNAL_REL, renderMarkdown } from './markdown';
import { tags } from '../../test/support/html-tags';

/** Rendering and sanitizing; mentions, links and link counting: markdown-mentions.spec.ts. */

const PUBLIC_URL = 'https://community.example.com';
const members = new Map([
  ['ada', '/u/1'],
  ['grace.hopper', '/u/2'],
]);

function render(body: string) {
  return renderMarkdown(body, { mentions: members, publicUrl: PUBLIC_URL });
}

const ALLOWED_TAGS = new Set([
  'p', 'br', 'strong', 'em', 'del', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'a', 'img', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
]);
const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ['href', 'title', 'rel', 'class'],
  img: ['src', 'alt', 'title', 'loading'],
  ol: ['start'],
  code: ['class'],
};

function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);?/g, (_, dec: string) => String.fromCodePoint(parseInt(dec, 10)))
    .replace(/&colon;/gi, ':')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Everything unsafe about an output, as readable strings (empty when safe). */
function problems(html: string): string[] {
  const found: string[] = [];
  const lower = html.toLowerCase();
  for (const needle of ['<script', '<iframe', '<svg', '<object', '<embed', '<style', '<form', '<input', '<math', '<details', '<div']) {
    if (lower.includes(needle)) found.push(`contains ${needle}`);
  }
  for (const tag of tags(html)) {
    if (!ALLOWED_TAGS.has(tag.name)) found.push(`tag <${tag.name}>`);
    for (const [name, value] of tag.attributes) {
      if (/^on/i.test(name)) found.push(`event handler ${name} on <${tag.name}>`);
      if (!(ALLOWED_ATTRIBUTES[tag.name] ?? []).includes(name)) found.push(`attribute ${name} on <${tag.name}>`);
      if (name === 'class' && !(value === 'mention' && tag.name === 'a') && !/^language-[a-z0-9+-]+$/.test(value)) {
        found.push(`class "${value}" on <${tag.name}>`);
      }
      if (name === 'href' || name === 'src') {
        // eslint-disable-next-line no-control-regex
        const url = decodeEntities(value).replace(/[\u0000-\u0020]/g, '').toLowerCase();
        if (/^(javascript|data|vbscript|file):/.test(url) || /(javascript|vbscript):/.test(url)) found.push(`${name}="${value}"`);
      }
    }
  }
  return found;
}

function expectSafe(html: string): void {
  expect(problems(html)).toEqual([]);
}

describe('renderMarkdown: happy path', () => {
  it('renders emphasis, strong and strikethrough', () => {
    const { html } = render('hello *em* **strong** ~~gone~~');
    expect(html).toBe('<p>hello <em>em</em> <strong>strong</strong> <s>gone</s></p>\n');
  });

  it('renders headings, blockquotes, lists and horizontal rules', () => {
    const { html } = render('# Title\n\n### Sub\n\n> quoted\n\n- one\n- two\n\n3. three\n4. four\n\n---');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<h3>Sub</h3>');
    expect(html).toContain('<blockquote>\n<p>quoted</p>\n</blockquote>');
    expect(html).toContain('<ul>\n<li>one</li>\n<li>two</li>\n</ul>');
    expect(html).toContain('<ol start="3">\n<li>three</li>');
    expect(html).toMatch(/<hr \/>|<hr>/);
  });

  it('turns single newlines into line breaks', () => {
    expect(render('line one\nline two').html).toMatch(/^<p>line one<br \/>\nline two<\/p>/);
  });

  it('renders fenced code with a lowercase language class, escaping its content', () => {
    const { html } = render('```TypeScript\nconst a = 1 < 2 && "<b>";\n```');
    expect(html).toBe('<pre><code class="language-typescript">const a = 1 &lt; 2 &amp;&amp; "&lt;b&gt;";\n</code></pre>\n');
  });

  it('drops a language class that does not match the allowlist', () => {
    expect(render('```c#\nx\n```').html).toBe('<pre><code>x\n</code></pre>\n');
    expect(render('```"><img src=x onerror=alert(1)>\nx\n```').html).toBe('<pre><code>x\n</code></pre>\n');
  });

  it('renders inline code and indented code blocks', () => {
    expect(render('use `a < b` here').html).toBe('<p>use <code>a &lt; b</code> here</p>\n');
    expect(render('    indented <b>').html).toBe('<pre><code>indented &lt;b&gt;\n</code></pre>\n');
  });

  it('renders tables without alignment styles', () => {
    const { html } = render('| a | b |\n|:-|-:|\n| 1 | 2 |');
    expect(html).toBe(
      '<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n',
    );
  });

  it('linkifies bare URLs as external links', () => {
    const { html, linkCount } = render('see https://a.example/path?q=1 now');
    expect(html).toBe(`<p>see <a href="https://a.example/path?q=1" rel="${EXTERNAL_REL}">https://a.example/path?q=1</a> now</p>\n`);
    expect(linkCount).toBe(1);
  });

  it('marks explicit and angle-bracket external links, including protocol-relative ones', () => {
    expect(render('[b](https://b.example "Bee")').html).toBe(`<p><a href="https://b.example" title="Bee" rel="${EXTERNAL_REL}">b</a></p>\n`);
    expect(render('<https://c.example/x>').html).toBe(`<p><a href="https://c.example/x" rel="${EXTERNAL_REL}">https://c.example/x</a></p>\n`);
    expect(render('[k](//evil.example/x)').html).toBe(`<p><a href="//evil.example/x" rel="${EXTERNAL_REL}">k</a></p>\n`);
    // Same host, different scheme or port: a different origin.
    expect(render('[h](http://community.example.com/x)').html).toContain(`rel="${EXTERNAL_REL}"`);
  });

  it('leaves internal and relative links without rel', () => {
    const { html, linkCount } = render(
      '[home](https://community.example.com/t/1) [abs](/threads/2) [dot](./x) [up](../y) [frag](#top) [query](?page=2)',
    );
    expect(html).toBe(
      '<p><a href="https://community.example.com/t/1">home</a> <a href="/threads/2">abs</a> <a href="./x">dot</a> ' +
        '<a href="../y">up</a> <a href="#top">frag</a> <a href="?page=2">query</a></p>\n',
    );
    expect(html).not.toContain('rel=');
    expect(linkCount).toBe(6);
  });

  it('treats every absolute link as external when no publicUrl is given', () => {
    expect(renderMarkdown('[home](https://community.example.com/t/1)').html).toContain(`rel="${EXTERNAL_REL}"`);
  });

  it('renders mailto links (explicit and linkified) without rel', () => {
    expect(render('[mail me](mailto:ada@example.com)').html).toBe('<p><a href="mailto:ada@example.com">mail me</a></p>\n');
    expect(render('write to ada@example.com').html).toBe('<p>write to <a href="mailto:ada@example.com">ada@example.com</a></p>\n');
  });

  it('renders our own uploads as lazy images, relative or on our origin', () => {
    expect(render('![a *cat*](/api/v1/uploads/abc.png "Cat")').html).toBe(
      '<p><img src="/api/v1/uploads/abc.png" alt="a cat" title="Cat" loading="lazy" /></p>\n',
    );
    expect(render('![x](https://community.example.com/api/v1/uploads/abc.webp)').html).toBe(
      '<p><img src="https://community.example.com/api/v1/uploads/abc.webp" alt="x" loading="lazy" /></p>\n',
    );
  });

  it('keeps the text of links whose URL is not allowed, without an href', () => {
    expect(render('[ftp](ftp://x.example/a) [page](page.html) [bad](javascript:alert(1))').html).toBe('<p>ftp page bad</p>\n');
    expect(render('![the alt](javascript:alert(1))').html).toBe('<p>the alt</p>\n');
  });

  it('returns empty output for an empty body', () => {
    expect(renderMarkdown('')).toEqual({ html: '', linkCount: 0, mentions: [] });
  });
});

describe('renderMarkdown: raw HTML and XSS payloads', () => {
  it('shows raw HTML escaped as text', () => {
    const { html } = render('<script>alert(1)</script>');
    expect(html).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n');
    expect(render('hi <b onclick="x()">there</b>').html).toContain('&lt;b onclick=');
  });

  const payloads: string[] = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[x](javascript:alert(1))',
    '[x](JaVaScRiPt:alert(1))',
    '[x](java\nscript:alert(1))',
    '[x](java\tscript:alert(1))',
    '[x](<java\tscript:alert(1)>)',
    '[x](java&#x09;script:alert(1))',
    '[x](&#106;avascript:alert(1))',
    '[x](&#x6A;avascript&#x3A;alert(1))',
    '[x](javascript&colon;alert(1))',
    '[x]( javascript:alert(1))',
    '[x](\\javascript:alert(1))',
    '[x](data:text/html;base64,PHNjcmlwdD4=)',
    '[x](vbscript:msgbox)',
    '[x](file:///etc/passwd)',
    '![x](javascript:alert(1))',
    '![x](data:image/svg+xml;base64,PHN2Zz4=)',
    '![x](data:image/png;base64,iVBORw0KGgo=)',
    '![x](JAVASCRIPT:alert(1))',
    '<svg onload=alert(1)>',
    '<iframe src=//evil>',
    '<a href="javascript:alert(1)">x</a>',
    '<style>body{}</style>',
    '<div style="background:url(javascript:x)">',
    '<math><mi xlink:href="javascript:alert(1)">',
    '[a](<javascript:alert(1)>)',
    '<details open ontoggle=alert(1)>',
    '<javascript:alert(1)>',
    '<JavaScript:alert(1)>',
    '[x](https://ok.example/"onmouseover="alert(1))',
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    '[x]: javascript:alert(1)\n\n[x]',
    '[x][r]\n\n[r]: data:text/html,<script>alert(1)</script>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://evil"><input name="p"></form>',
    '```"><script>alert(1)</script>\ncode\n```',
    '[![img](javascript:alert(1))](javascript:alert(2))',
    '**<img src=x onerror=alert(1)>**',
    '| <script>alert(1)</script> |\n|---|\n| [x](javascript:alert(1)) |',
    '@ada<script>alert(1)</script>',
    '<!-- <script>alert(1)</script> -->',
  ];

  it('has a checker that notices unsafe output', () => {
    expect(problems('<p onclick="x()" style="a">x</p><a href=" java\tscript:alert(1)" class="evil">y</a><svg></svg>')).toEqual([
      'contains <svg',
      'event handler onclick on <p>',
      'attribute onclick on <p>',
      'attribute style on <p>',
      'href=" java\tscript:alert(1)"',
      'class "evil" on <a>',
      'tag <svg>',
    ]);
  });

  it.each(payloads)('neutralises %j', (payload) => {
    const { html } = render(payload);
    expect(typeof html).toBe('string');
    expectSafe(html);
  });

  it('drops the href of a disallowed link but keeps its text', () => {
    expect(render('[click me](JaVaScRiPt:alert(1))').html).toBe('<p>click me</p>\n');
    expect(render('<javascript:alert(1)>').html).toBe('<p>javascript:alert(1)</p>\n');
    expect(render('[x](&#106;avascript:alert(1))').linkCount).toBe(0);
  });

  it('keeps quotes inside an http URL percent-encoded, so they cannot break out of the attribute', () => {
    const { html } = render('[x](https://ok.example/"onmouseover="alert(1))');
    expect(html).toBe(`<p><a href="https://ok.example/%22onmouseover=%22alert(1)" rel="${EXTERNAL_REL}">x</a></p>\n`);
  });
});

describe('renderMarkdown: adversarial input completes', () => {
  const inputs: [string, string][] = [
    ['open brackets', '['.repeat(32_000)],
    ['emphasis runs', '*a'.repeat(16_000)],
    ['underscore runs', '_a'.repeat(16_000)],
    ['nested blockquotes', '>'.repeat(5_000) + ' deep'],
    ['nested blockquotes on lines', Array.from({ length: 5_000 }, (_, i) => '>'.repeat(i % 100) + ' x').join('\n').slice(0, 32_000)],
    ['image openers', '!['.repeat(16_000)],
    ['unclosed links', '[a]('.repeat(8_000)],
    ['angle brackets', '<a'.repeat(16_000)],
    ['backticks', '`'.repeat(32_000)],
    ['mixed delimiters', '*_[~'.repeat(8_000)],
    ['mentions', '@a '.repeat(10_666)],
    ['bare urls', 'https://a.example/ '.repeat(1_700)],
    ['table pipes', '|a'.repeat(8_000) + '\n' + '|-'.repeat(8_000)],
    ['nested lists', Array.from({ length: 3_000 }, (_, i) => ' '.repeat((i * 2) % 200) + '- x').join('\n').slice(0, 32_000)],
  ];

  it.each(inputs)('renders %s', (_name, body) => {
    const result = renderMarkdown(body, { mentions: members, publicUrl: PUBLIC_URL });
    expect(typeof result.html).toBe('string');
    expectSafe(result.html);
  });
});
