import sharp from 'sharp';
import { startApp, TestApp, usingPostgres, usingRedis } from './support/app';
import { Cast, createCast } from './support/content';
import { eventually, TestUser } from './support/factories';

/** Two instances need one database both reach (PostgreSQL) and Redis to tell each other. */
const describeIfCluster = usingPostgres && usingRedis ? describe : describe.skip;
import { expectProblem } from './support/http';

/** The brand look's API (issues 23 and 24): GET for anyone who may see the community, PUT for its admin; what the pages link. */
describe('community look', () => {
  let t: TestApp;
  let cast: Cast;
  let look: string;

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    look = `/api/v1/communities/${cast.slug}/look`;
  });
  afterAll(() => t?.close());

  const put = (body: unknown, who: TestUser = cast.admin) => t.http.put(look, body, { token: who.accessToken });
  /** An absolute URL of ours (PUBLIC_URL) on the test server. */
  const local = (url: string) => t.baseUrl + new URL(url).pathname;

  async function upload(user: TestUser, width = 300, height = 120): Promise<string> {
    const png = await sharp({ create: { width, height, channels: 3, background: { r: 20, g: 60, b: 160 } } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'logo.png');
    const res = await fetch(`${t.baseUrl}/api/v1/communities/${cast.slug}/uploads`, { method: 'POST', body: form, headers: { authorization: `Bearer ${user.accessToken}` } });
    if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  it('starts with the default theme: nothing to link', async () => {
    const other = await createCast(t.http);
    const res = await t.http.get(`/api/v1/communities/${other.slug}/look`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ logoUrl: null, primaryColor: null, customCss: '', stylesheetUrl: null, updatedAt: null, version: 0 });
    const page = await t.http.get(`/c/${other.slug}`);
    expect(page.text).not.toContain('/look/');
    expect((await t.http.get(`/api/v1/communities/nope-${other.slug}/look`)).status).toBe(404);
  });

  it('lets the admin set a logo, a colour and CSS; anyone reads it; the pages link the stylesheet and show the logo; the audit log has it', async () => {
    const css = '/* Acme */\n.site-header { background: linear-gradient(90deg, #fff, #eef3ff); }\n.card { border-radius: 2px }';
    const res = await put({ logoUploadId: await upload(cast.admin), primaryColor: '#1A5FD0', customCss: css });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      logoUrl: expect.stringMatching(new RegExp(`^${t.config.publicUrl}/c/${cast.slug}/look/[0-9a-f]{32}\\.webp$`)),
      primaryColor: '#1a5fd0',
      customCss: css,
      stylesheetUrl: expect.stringMatching(new RegExp(`^${t.config.publicUrl}/c/${cast.slug}/look/[0-9a-f]{16}\\.css$`)),
      updatedAt: expect.any(String),
      version: 1,
    });
    // Anyone: a guest, a member, the admin of another community.
    for (const token of [undefined, cast.member.accessToken, cast.outsider.accessToken]) {
      expect((await t.http.get(look, { token })).body).toEqual(res.body);
    }

    const sheet = await t.http.get(new URL(res.body.stylesheetUrl).pathname);
    expect({ status: sheet.status, type: sheet.headers.get('content-type'), cache: sheet.headers.get('cache-control') }).toEqual({
      status: 200,
      type: 'text/css; charset=utf-8',
      cache: 'public, max-age=31536000, immutable',
    });
    expect(sheet.text).toBe(
      ':root{--primary:#1a5fd0;--primary-text:#ffffff}\n@media (prefers-color-scheme:light){:root{--link:#1a5fd0}}\n.site-header{border-top:4px solid var(--primary)}\n.site-header{background:linear-gradient(90deg,#fff,#eef3ff)}.card{border-radius:2px}',
    );
    const base = await t.http.get(new URL(res.body.stylesheetUrl).pathname.replace('.css', '-base.css'));
    expect(base.text).toBe(':root{--primary:#1a5fd0;--primary-text:#ffffff}\n@media (prefers-color-scheme:light){:root{--link:#1a5fd0}}\n.site-header{border-top:4px solid var(--primary)}\n');

    const logo = await fetch(local(res.body.logoUrl));
    expect({ status: logo.status, type: logo.headers.get('content-type'), corp: logo.headers.get('cross-origin-resource-policy') }).toEqual({
      status: 200,
      type: 'image/webp',
      corp: 'cross-origin',
    });
    const meta = await sharp(Buffer.from(await logo.arrayBuffer())).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 256, height: 256 });

    const page = await t.http.get(`/c/${cast.slug}`);
    expect(page.text).toContain(`<link rel="stylesheet" href="${new URL(res.body.stylesheetUrl).pathname}">`);
    expect(page.text).toContain(`<img class="community-logo" src="${new URL(res.body.logoUrl).pathname}" alt="" width="32" height="32">`);
    // The page CSP still allows no inline style: the look is a stylesheet of our own origin.
    expect(page.headers.get('content-security-policy')).toContain("style-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');

    const log = await eventually(async () => {
      const entries = (await t.http.get(`/api/v1/communities/${cast.slug}/moderation/log?action=community.look_changed`, { token: cast.moderator.accessToken })).body.items;
      return entries.length ? entries : null;
    });
    expect(log[0]).toEqual(
      expect.objectContaining({
        actor: expect.objectContaining({ id: cast.admin.id }),
        action: 'community.look_changed',
        targetType: 'community',
        before: { primaryColor: null, logoFile: null, customCssChars: 0, customCssSha256: null },
        after: { primaryColor: '#1a5fd0', logoFile: expect.stringMatching(/\.webp$/), customCssChars: css.length, customCssSha256: expect.stringMatching(/^[0-9a-f]{16}$/) },
      }),
    );
  });

  it('changes the stylesheet name with the look, serves an old name uncached, drops cached guest pages and removes a replaced logo', async () => {
    const before = (await t.http.get(look)).body;
    expect((await t.http.get(look)).headers.get('x-cache')).toBe('HIT');
    const cached = await t.http.get(`/c/${cast.slug}`);
    expect((await t.http.get(`/c/${cast.slug}`)).headers.get('x-cache')).toBe('HIT');
    expect(cached.text).toContain(new URL(before.stylesheetUrl).pathname);

    const res = await put({ primaryColor: '#6b21a8', logoUploadId: await upload(cast.admin, 64, 64) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ primaryColor: '#6b21a8', customCss: before.customCss, version: before.version + 1 }));
    expect(res.body.stylesheetUrl).not.toBe(before.stylesheetUrl);
    expect(res.body.logoUrl).not.toBe(before.logoUrl);
    // The guest's cached GET of the look is gone too.
    expect((await t.http.get(look)).body).toEqual(res.body);

    const page = await t.http.get(`/c/${cast.slug}`);
    expect(page.headers.get('x-cache')).toBe('MISS');
    expect(page.text).toContain(new URL(res.body.stylesheetUrl).pathname);
    const old = await t.http.get(new URL(before.stylesheetUrl).pathname);
    expect({ status: old.status, cache: old.headers.get('cache-control') }).toEqual({ status: 200, cache: 'no-cache' });
    expect(old.text).toContain('--primary:#6b21a8');
    expect((await fetch(local(before.logoUrl))).status).toBe(404);

    // The same values again change nothing.
    const again = await put({ primaryColor: '#6b21a8', customCss: before.customCss });
    expect(again.body.version).toBe(res.body.version);

    // null removes the logo and the colour; "" the CSS: nothing left to link.
    const cleared = await put({ logoUploadId: null, primaryColor: null, customCss: '' });
    expect(cleared.body).toEqual(expect.objectContaining({ logoUrl: null, primaryColor: null, customCss: '', stylesheetUrl: null }));
    expect((await fetch(local(res.body.logoUrl))).status).toBe(404);
    expect((await t.http.get(new URL(res.body.stylesheetUrl).pathname)).status).toBe(404);
    expect((await t.http.get(`/c/${cast.slug}`)).text).not.toContain('/look/');
  });

  it('is the admin\'s alone: guests, members, staff, moderators and other communities\' admins are refused', async () => {
    const version = (await t.http.get(look)).body.version;
    expectProblem(await t.http.put(look, { primaryColor: '#000000' }), 401, 'UNAUTHENTICATED');
    for (const who of [cast.member, cast.staff, cast.moderator, cast.outsider]) expectProblem(await put({ primaryColor: '#000000' }, who), 403, 'FORBIDDEN');
    expect((await t.http.get(look)).body.version).toBe(version);
    expectProblem(await t.http.put(`/api/v1/communities/nope-${cast.slug}/look`, { primaryColor: '#000000' }, { token: cast.admin.accessToken }), 404, 'NOT_FOUND');
    // The platform admin counts as an admin everywhere.
    expect((await put({ primaryColor: '#000000' }, cast.admin)).body.version).toBe(version + 1);
    // A logo from someone else's upload is not theirs to use.
    const problem = expectProblem(await put({ logoUploadId: await upload(cast.member) }), 404, 'UPLOAD_NOT_FOUND');
    expect(problem.errors).toEqual([{ field: 'logoUploadId', message: 'is not an upload of yours' }]);
  });

  it('refuses malformed input (400) and a colour white text is unreadable on (422, with the ratio)', async () => {
    for (const [body, field] of [
      [{ primaryColor: 'red' }, 'primaryColor'],
      [{ primaryColor: '#12345' }, 'primaryColor'],
      [{ primaryColor: 7 }, 'primaryColor'],
      [{ customCss: 5 }, 'customCss'],
      [{ customCss: null }, 'customCss'],
      [{ logoUploadId: 'not-an-id' }, 'logoUploadId'],
      [{ customCss: `.a{color:red}${' '.repeat(10_000)}` }, 'customCss'],
    ] as const) {
      const problem = expectProblem(await put(body), 400, 'VALIDATION_FAILED');
      expect([...new Set(problem.errors.map((e: { field: string }) => e.field))]).toEqual([field]);
    }
    expectProblem(await put({ colour: '#000000' }), 400, 'VALIDATION_FAILED');

    const light = expectProblem(await put({ primaryColor: '#ffcc00', customCss: '.a{color:red}' }), 422, 'LOOK_REFUSED');
    expect(light.errors).toEqual([{ field: 'primaryColor', message: expect.stringMatching(/^White text on #ffcc00 has a contrast of 1\.\d\d:1; at least 4\.5:1 is needed/) }]);
    // Just below and just at the line.
    expectProblem(await put({ primaryColor: '#777777' }), 422, 'LOOK_REFUSED');
    const grey = await put({ primaryColor: '#767676' });
    expect(grey.status).toBe(200);
    // Readable under white text, but not quite as link text on the light page background: links keep the theme's colour.
    const sheet = (await t.http.get(new URL(grey.body.stylesheetUrl).pathname)).text;
    expect(sheet).toContain(':root{--primary:#767676;--primary-text:#ffffff}');
    expect(sheet).not.toContain('--link');
  });

  it('refuses CSS that could load, run or break out of anything, listing each problem with its line; the look stays as it was', async () => {
    const before = (await t.http.get(look)).body;
    const attacks = [
      ['@import url(https://evil.example/x.css);', '@import is not allowed'],
      ['@font-face { font-family: x; src: url(https://evil.example/f.woff) }', '@font-face is not allowed'],
      ['.a { background: url(https://evil.example/pixel.gif) }', 'url() is not allowed'],
      ['input[value^="a"] { background-image: url(/api/v1/uploads/x.png) }', 'url() is not allowed'],
      ['.a { width: expression(alert(1)) }', 'expression() is not allowed'],
      ['.a { behavior: url(x.htc) }', 'the behavior property is not allowed'],
      ['.a { -moz-binding: url(x.xml#y) }', 'the -moz-binding property is not allowed'],
      ['.a { background: "javascript:alert(1)" }', '"javascript:" is not allowed'],
      ['.a { content: "</style><script>alert(1)</script>" }', '"</", "<!--" and "-->" are not allowed'],
      ['.overlay { position: fixed; inset: 0; z-index: 9999 }', 'position: fixed is not allowed'],
      [':root { --primary: #ffff00 }', '--primary is set by the primary colour'],
      ['.a { background: u\\72 l(x) }', 'escapes are not allowed in function names'],
      ['.a { color: red }} body { display: none', 'could not be read'],
    ];
    for (const [css, message] of attacks) {
      const problem = expectProblem(await put({ customCss: css }), 422, 'LOOK_REFUSED');
      expect(problem.errors).toEqual(expect.arrayContaining([{ field: 'customCss', message: expect.stringContaining(message) }]));
    }
    const many = expectProblem(await put({ primaryColor: '#ffffff', customCss: '.a{color:red}\n@import "x";\n.b{background:url(x)}' }), 422, 'LOOK_REFUSED');
    expect(many.errors).toEqual([
      { field: 'primaryColor', message: expect.stringContaining('contrast of 1.00:1') },
      { field: 'customCss', message: 'line 2: @import is not allowed (allowed: @media, @supports, @keyframes, @container, @layer)' },
      { field: 'customCss', message: 'line 3: url() is not allowed: images and fonts come only from the look\'s logo and the default theme' },
    ]);
    expect((await t.http.get(look)).body).toEqual(before);
  });

  describeIfCluster('with two instances', () => {
    it('a change on one instance shows on the other\'s pages (its guest cache too) without waiting for a reload', async () => {
      const second = await startApp({ databaseUrl: t.databaseUrl! });
      try {
        const other = await createCast(t.http);
        await second.http.get(`/c/${other.slug}`);
        expect((await second.http.get(`/c/${other.slug}`)).headers.get('x-cache')).toBe('HIT');
        const res = await t.http.put(`/api/v1/communities/${other.slug}/look`, { primaryColor: '#1a5fd0' }, { token: other.admin.accessToken });
        expect(res.status).toBe(200);
        const path = new URL(res.body.stylesheetUrl).pathname;
        await eventually(async () => (await second.http.get(`/c/${other.slug}`)).text.includes(path), 5_000);
        expect((await second.http.get(path)).text).toContain('--primary:#1a5fd0');
      } finally {
        await second.close();
      }
    });
  });
});
