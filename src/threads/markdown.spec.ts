import { countLinks, EXTERNAL_REL, findMentionHandles, parseMarkdown, renderMarkdown } from './markdown';

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

interface Tag {
  name: string;
  attributes: [string, string][];
}

/**
 * Start tags actually emitted (escaped text such as `&lt;img …&gt;` is not a tag), with their
 * attributes. The output is sanitize-html's serialisation, so values are always double-quoted
 * and cannot contain a raw `"` or `>`.
 */
function tags(html: string): Tag[] {
  const found: Tag[] = [];
  for (const match of html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const attributes: [string, string][] = [];
    for (const attr of match[2].matchAll(/\s([^\s"'=<>/]+)(?:="([^"]*)")?/g)) attributes.push([attr[1], attr[2] ?? '']);
    found.push({ name: match[1], attributes });
  }
  return found;
}

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

describe('mentions', () => {
  it('links a known handle with the mention class, keeping its original case', () => {
    const result = render('hi @Ada!');
    expect(result.html).toBe('<p>hi <a href="/u/1" class="mention">@Ada</a>!</p>\n');
    expect(result.mentions).toEqual(['ada']);
  });

  it('handles dots inside a handle and trailing punctuation after it', () => {
    const result = render('thanks @grace.hopper. and @ada-');
    expect(result.html).toBe(
      '<p>thanks <a href="/u/2" class="mention">@grace.hopper</a>. and <a href="/u/1" class="mention">@ada</a>-</p>\n',
    );
    expect(result.mentions).toEqual(['grace.hopper', 'ada']);
  });

  it('leaves unknown handles as plain text', () => {
    const result = render('hi @nobody');
    expect(result.html).toBe('<p>hi @nobody</p>\n');
    expect(result.mentions).toEqual([]);
  });

  it('does not treat e-mail addresses as mentions', () => {
    const result = render('mail ada@example.com or ada@localhost');
    expect(result.html).not.toContain('class="mention"');
    expect(result.mentions).toEqual([]);
  });

  it('does not link mentions inside code spans, code blocks or link text', () => {
    const result = render('`@ada`\n\n```\n@ada\n```\n\n    @ada\n\n[@ada](/somewhere)');
    expect(result.html).not.toContain('class="mention"');
    expect(result.html).toContain('<code>@ada</code>');
    expect(result.mentions).toEqual([]);
  });

  it('links mentions inside emphasis, headings, lists and tables', () => {
    const result = render('# @ada\n\n- *@ada*\n\n| who |\n|---|\n| @grace.hopper |');
    expect(result.html).toContain('<h1><a href="/u/1" class="mention">@ada</a></h1>');
    expect(result.html).toContain('<em><a href="/u/1" class="mention">@ada</a></em>');
    expect(result.html).toContain('<td><a href="/u/2" class="mention">@grace.hopper</a></td>');
    expect(result.mentions).toEqual(['ada', 'grace.hopper']);
  });

  it('does not link a mention whose resolved path is not a safe internal URL', () => {
    const result = renderMarkdown('@ada @bob', {
      mentions: new Map([
        ['ada', 'javascript:alert(1)'],
        ['bob', 'https://evil.example/u/2'],
      ]),
      publicUrl: PUBLIC_URL,
    });
    expect(result.html).toBe('<p>@ada @bob</p>\n');
    expect(result.mentions).toEqual([]);
  });

  it('never lets a user-controlled class through', () => {
    const { html } = render('[x](/a){.mention} <a class="mention evil" href="/u/1">x</a>');
    expect(html).toContain('&lt;a class="mention evil"'); // shown as text
    expect(tags(html).flatMap((tag) => tag.attributes.filter(([name]) => name === 'class'))).toEqual([]);
  });
});

describe('findMentionHandles', () => {
  it('returns lowercase, unique handles in order', () => {
    expect(findMentionHandles('hi @Ada and @bob_1, @ADA again, @grace.hopper.')).toEqual(['ada', 'bob_1', 'grace.hopper']);
  });

  it('ignores code, e-mail addresses, link text and handles preceded by a word character', () => {
    const body = 'x `@code`\n\n```\n@fenced\n```\n\n    @indented\n\nada@example.com me@localhost a@b [@linked](/x) @real';
    expect(findMentionHandles(body)).toEqual(['real']);
  });

  it('ignores a bare @, and handles longer than 30 characters', () => {
    expect(findMentionHandles('@ @- @' + 'a'.repeat(31) + ' @' + 'b'.repeat(30))).toEqual(['b'.repeat(30)]);
  });

  it('returns nothing for a body without mentions', () => {
    expect(findMentionHandles('plain text')).toEqual([]);
  });
});

describe('external links', () => {
  it('uses exactly nofollow ugc noopener noreferrer on external links', () => {
    expect(EXTERNAL_REL).toBe('nofollow ugc noopener noreferrer');
    expect(render('see https://a.example').html).toBe('<p>see <a href="https://a.example" rel="nofollow ugc noopener noreferrer">https://a.example</a></p>\n');
  });
});

describe('mentions: linear grammar, parsed once', () => {
  it('finds the mention in the reported ReDoS body, and ignores the run of dots', () => {
    expect(findMentionHandles('@a' + '.'.repeat(31_000) + 'b')).toEqual(['a']);
    expect(findMentionHandles('@a' + '-'.repeat(31_000) + 'b @ada')).toEqual(['a', 'ada']);
  });

  it('takes single dots and dashes inside a handle, stops at doubled ones, and caps the length at 30', () => {
    expect(findMentionHandles('@a..b @c.-d @e-f.g_h @i-')).toEqual(['a', 'c', 'e-f.g_h', 'i']);
    const exactly30 = 'a.'.repeat(14) + 'bc';
    expect(findMentionHandles(`@${exactly30}. @${'a.'.repeat(15)}b @${'ab.'.repeat(11)}`)).toEqual([exactly30]);
  });

  it('returns the handles of a parse and renders it with what the caller found', () => {
    const parsed = parseMarkdown('hi @Ada and @grace.hopper and @nobody, `@code`', { publicUrl: PUBLIC_URL });
    expect(parsed.mentionHandles).toEqual(['ada', 'grace.hopper', 'nobody']);
    const rendered = parsed.render(members);
    expect(rendered).toEqual(render('hi @Ada and @grace.hopper and @nobody, `@code`'));
    expect(rendered.mentions).toEqual(['ada', 'grace.hopper']);
    // The parse is not consumed: another render with other members starts from the same tokens.
    expect(parsed.render(new Map([['nobody', '/u/9']])).html).toBe('<p>hi @Ada and @grace.hopper and <a href="/u/9" class="mention">@nobody</a>, <code>@code</code></p>\n');
    expect(parsed.render().html).toBe('<p>hi @Ada and @grace.hopper and @nobody, <code>@code</code></p>\n');
  });

  it('never links text that came from an image', () => {
    expect(render('![@ada](javascript:x) ![@ada](https://img.example/a.png)').mentions).toEqual([]);
  });
});

describe('link counting', () => {
  it('counts bare URLs and explicit links but not mentions', () => {
    const body = 'see https://a.example and [b](https://b.example) and @ada';
    expect(countLinks(body)).toBe(2);
    const result = render(body);
    expect(result.linkCount).toBe(2);
    expect(result.mentions).toEqual(['ada']);
  });

  it('counts autolinks, mailto and relative links, but not rejected ones', () => {
    expect(countLinks('<https://a.example> [m](mailto:a@b.example) [r](/x) [bad](javascript:x) [f](ftp://x) `https://in.code`')).toBe(3);
  });

  it('counts nothing in plain text', () => {
    expect(countLinks('just words, example.com is not linkified')).toBe(0);
  });
});
