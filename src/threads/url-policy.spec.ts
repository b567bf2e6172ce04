import { countLinks, renderMarkdown } from './markdown';
import { sanitizePostHtml } from './post-sanitizer';
import { classifyUrl, EXTERNAL_REL, isOwnUpload } from './url-policy';

const PUBLIC_URL = 'https://community.example.com';
const OWN = 'https://community.example.com';

function render(body: string) {
  return renderMarkdown(body, { publicUrl: PUBLIC_URL });
}

describe('isOwnUpload', () => {
  it('accepts our uploads, relative or on our own origin', () => {
    expect(isOwnUpload('/api/v1/uploads/0123abcd.png', OWN)).toBe(true);
    expect(isOwnUpload('/api/v1/uploads/0123abcd.png', null)).toBe(true);
    expect(isOwnUpload('https://community.example.com/api/v1/uploads/0123abcd.webp', OWN)).toBe(true);
    expect(isOwnUpload('https://community.example.com:443/api/v1/uploads/a.jpg?x=1', OWN)).toBe(true);
  });

  it('refuses everything else', () => {
    const refused = [
      'https://img.example/api/v1/uploads/a.png',
      'http://community.example.com/api/v1/uploads/a.png',
      'https://community.example.com:8443/api/v1/uploads/a.png',
      'https://community.example.com/api/v1/uploads/../../x.png',
      'https://community.example.com/api/v1/uploads/%2e%2e/x.png',
      'https://community.example.com\\api\\v1\\uploads\\a.png',
      '//community.example.com/api/v1/uploads/a.png',
      '/api/v1/uploads/a/b.png',
      '/api/v1/uploads/',
      '/api/v1/uploadsx/a.png',
      '/api/v1/uploads\\a.png',
      'api/v1/uploads/a.png',
      '/api/v1/uploads/a .png',
      'javascript:alert(1)//api/v1/uploads/a.png',
      'data:image/png;base64,AAAA',
      '',
    ];
    expect(refused.filter((src) => isOwnUpload(src, OWN))).toEqual([]);
    expect(isOwnUpload('https://community.example.com/api/v1/uploads/a.png', null)).toBe(false);
  });

  it('agrees with classifyUrl on what is ours', () => {
    expect(classifyUrl('https://community.example.com/x', false, OWN)).toBe('internal');
    expect(classifyUrl('https://img.example/x.png', true, OWN)).toBe('external');
  });
});

describe('images: only our own uploads load in readers\' browsers', () => {
  it('renders an image from another site as an external link with its alt text, or its URL', () => {
    expect(render('![a *cat*](https://img.example/cat.png "Cat")').html).toBe(
      `<p><a href="https://img.example/cat.png" title="Cat" rel="${EXTERNAL_REL}">a cat</a></p>\n`,
    );
    expect(render('![](http://img.example/x.png)').html).toBe(`<p><a href="http://img.example/x.png" rel="${EXTERNAL_REL}">http://img.example/x.png</a></p>\n`);
    expect(render('![x](//cdn.example/a.png)').html).toBe(`<p><a href="//cdn.example/a.png" rel="${EXTERNAL_REL}">x</a></p>\n`);
  });

  it('renders other paths, look-alike origins and traversal as links, never as images', () => {
    expect(render('![x](/media/a.png)').html).toBe('<p><a href="/media/a.png">x</a></p>\n');
    expect(render('![x](https://community.example.com/media/a.png)').html).toBe('<p><a href="https://community.example.com/media/a.png">x</a></p>\n');
    const notImages = [
      '![x](http://community.example.com/api/v1/uploads/a.png)',
      '![x](https://community.example.com.evil.example/api/v1/uploads/a.png)',
      '![x](//community.example.com/api/v1/uploads/a.png)',
      '![x](/api/v1/uploads/../../evil.png)',
      '![x](/api/v1/uploads/%2e%2e/%2e%2e/evil.png)',
      '![x](/api/v1/uploads//evil.example/a.png)',
      '![x](/api/v1/uploads/)',
      '![x](./api/v1/uploads/a.png)',
    ];
    for (const body of notImages) expect({ body, html: render(body).html }).toEqual({ body, html: expect.not.stringContaining('<img') });
    expect(renderMarkdown('![x](https://community.example.com/api/v1/uploads/a.png)').html).not.toContain('<img'); // no publicUrl: no own origin
  });

  it('shows a foreign image inside a link as text, without nesting links', () => {
    expect(render('[![a cat](https://img.example/cat.png)](https://shop.example)').html).toBe(`<p><a href="https://shop.example" rel="${EXTERNAL_REL}">a cat</a></p>\n`);
    expect(render('[![x](/api/v1/uploads/a.png)](/t/1)').html).toBe('<p><a href="/t/1"><img src="/api/v1/uploads/a.png" alt="x" loading="lazy" /></a></p>\n');
  });

  it('counts an image shown as a link as a link', () => {
    expect(countLinks('![x](https://img.example/a.png) ![y](/api/v1/uploads/a.png)')).toBe(1);
  });
});

describe('the sanitizer layer enforces the image policy on its own', () => {
  it('keeps an <img> of our own uploads', () => {
    expect(sanitizePostHtml('<img src="/api/v1/uploads/a.png" alt="a" onerror="x()">', OWN)).toEqual({
      html: '<img src="/api/v1/uploads/a.png" alt="a" loading="lazy" />',
      linkCount: 0,
    });
  });

  it('turns any other <img> into a counted link, external ones with rel', () => {
    expect(sanitizePostHtml('<p><img src="https://img.example/a.png" alt="a cat" title="t"></p>', OWN)).toEqual({
      html: `<p><a href="https://img.example/a.png" title="t" rel="${EXTERNAL_REL}">a cat</a></p>`,
      linkCount: 1,
    });
    expect(sanitizePostHtml('<img src="/media/a.png">', OWN).html).toBe('<a href="/media/a.png">/media/a.png</a>');
    expect(sanitizePostHtml('<img src="http://community.example.com/api/v1/uploads/a.png" alt="x">', OWN).html).toBe(
      `<a href="http://community.example.com/api/v1/uploads/a.png" rel="${EXTERNAL_REL}">x</a>`,
    );
  });

  it('drops an <img> whose URL is forbidden, and sets rel on external links whatever they said', () => {
    expect(sanitizePostHtml('<img src="javascript:alert(1)" alt="x"><img alt="y"><img src="data:image/png;base64,AA">', OWN).html).toBe('');
    expect(sanitizePostHtml('<a href="https://a.example" rel="opener">a</a>', OWN).html).toBe(`<a href="https://a.example" rel="${EXTERNAL_REL}">a</a>`);
  });
});
