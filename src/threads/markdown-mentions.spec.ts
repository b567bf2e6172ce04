import { countLinks, EXTERNAL_REL, findMentionHandles, parseMarkdown, renderMarkdown } from './markdown';
import { tags } from '../../test/support/html-tags';

/** Mentions, external links and link counting; rendering and sanitizing: markdown.spec.ts. */

const PUBLIC_URL = 'https://community.example.com';
const members = new Map([
  ['ada', '/u/1'],
  ['grace.hopper', '/u/2'],
]);

function render(body: string) {
  return renderMarkdown(body, { mentions: members, publicUrl: PUBLIC_URL });
}

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
