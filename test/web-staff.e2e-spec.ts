import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { Cast, createBoard, createCast, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, eventually, TestUser } from './support/factories';
import { PageClient, signInPage } from './support/page-client';

/** The staff dashboard, the work queues and the member page over plain HTTP: figures, role boundaries, bad date ranges, claiming. */
describe('web pages: staff dashboard and work queues (HTTP)', () => {
  let t: TestApp;
  let db: Db;
  let cast: Cast;
  let qa: { id: string };
  let fast: any;
  let late: any;
  let fresh: any;
  let staff2: TestUser;
  const pages = () => [`/c/${cast.slug}/staff`, `/c/${cast.slug}/staff/questions`, `/c/${cast.slug}/staff/support`, `/c/${cast.slug}/staff/members/${cast.member.id}`];
  const clients = new Map<string, PageClient>();
  const as = async (user: TestUser) => {
    let c = clients.get(user.id);
    if (!c) clients.set(user.id, (c = await signInPage(t.baseUrl, user.email, user.password)));
    return c;
  };
  const decode = (s: string) => s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  /** A chart's table as [row label, ...cell texts]. */
  const table = (html: string, id: string) => {
    const section = new RegExp(`<section class="chart card" id="chart-${id}"[\\s\\S]*?</section>`).exec(html);
    if (!section) return null;
    return [...section[0].matchAll(/<tr><th scope="row"[^>]*>(?:<a href="[^"]*">)?([^<]*)(?:<\/a>)?<\/th>((?:<td[^>]*>[^<]*<\/td>)*)<\/tr>/g)].map((m) => [
      decode(m[1]),
      ...[...m[2].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => decode(c[1])),
    ]);
  };
  const fieldError = (html: string, field: string) => /<p id="range-([a-z]+)-error" class="field-error">([^<]*)<\/p>/g.exec(html.slice(html.indexOf(`id="range-${field}"`)))?.[2] ?? null;

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Db);
    cast = await createCast(t.http, { ...NO_LIMITS, responseTargetMinutes: 60 });
    staff2 = await createMember(t.http, cast.admin.accessToken, cast.slug, 'staff');
    qa = await createBoard(t.http, cast.admin.accessToken, cast.slug, { slug: 'help', name: 'Help desk', kind: 'qa' });
    fast = await createThread(t.http, cast.member.accessToken, qa.id, { title: 'Descaling the kettle', productSkus: ['KETTLE-1'], tags: ['descaling'] });
    late = await createThread(t.http, cast.member.accessToken, qa.id, { title: 'Grinder is noisy' });
    fresh = await createThread(t.http, cast.member2.accessToken, qa.id, { title: 'Which filter fits?' });
    await reply(t.http, cast.staff.accessToken, fast.id, 'Use citric acid.');
    // Asked 2 hours ago, target 60 minutes: overdue by an hour.
    await db.query(`UPDATE threads SET created_at = now() - interval '2 hours' WHERE id = $1`, [late.id]);
    const settled = () => eventually(async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'insights' AND status <> 'done'`))[0].n === 0);
    await settled();
    const rated = await t.http.post(`/api/v1/communities/${cast.slug}/satisfaction`, { threadId: fast.id, score: 5 }, { token: cast.member.accessToken });
    expect(rated.status).toBe(201);
    await settled();
  }, 180_000);
  afterAll(() => t?.close());

  it('sends a guest to log in, and answers a member and another community’s admin with the 404 page', async () => {
    const guest = new PageClient(t.baseUrl);
    for (const path of pages()) {
      const res = await guest.get(path);
      expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, `/login?next=${encodeURIComponent(path)}`]);
    }
    for (const user of [cast.member, cast.outsider]) {
      const b = await as(user);
      for (const path of pages()) {
        const res = await b.get(path);
        expect([path, res.status]).toEqual([path, 404]);
        expect(res.text).not.toContain('Unanswered questions');
      }
    }
    // POSTs too: the CSRF check first, then the same role check.
    const b = await as(cast.member);
    const home = await b.get(`/c/${cast.slug}`);
    const roomId = '00000000-0000-4000-8000-000000000001';
    expect((await b.post(`/c/${cast.slug}/staff/support/${roomId}/claim`, { _csrf: b.csrfFrom(home.text) })).status).toBe(404);
    expect((await (await as(cast.staff)).post(`/c/${cast.slug}/staff/support/${roomId}/claim`, { _csrf: 'forged' })).status).toBe(403);
  });

  it('shows staff the dashboard: exact Q&A shares, CSAT by board, product and staff member, charts with their tables, links to members', async () => {
    const b = await as(cast.staff);
    const res = await b.get(`/c/${cast.slug}/staff?days=7`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<script src="\/assets\/uplot\.min\.[0-9a-f]{12}\.js" defer><\/script>/);
    expect(res.text).toMatch(/<script src="\/assets\/dashboard\.[0-9a-f]{12}\.js" defer><\/script>/);
    expect(res.text).toContain('aria-current="page">Dashboard</a>');
    // 3 questions; one answered in seconds: within the target (1 h), 1 h, 4 h and 24 h alike.
    expect(table(res.text, 'answered')).toEqual([
      ['Within the target (1 h)', '33.3%'],
      ['Within 1 hour', '33.3%'],
      ['Within 4 hours', '33.3%'],
      ['Within 24 hours', '33.3%'],
    ]);
    expect(res.text).toMatch(/Of the 3 questions asked in the range, 1 has a staff answer; first answers took \d+ s \(median\)/);
    const content = table(res.text, 'content')!;
    expect(content).toHaveLength(7);
    const totals = content.reduce((acc, row) => acc.map((n, i) => n + Number(row[i + 1])), [0, 0, 0, 0]);
    expect(totals.slice(0, 3)).toEqual([3, 3, 1]); // threads, questions, replies
    expect(table(res.text, 'csat-board')).toEqual([['Help desk', '100%', '1']]);
    expect(table(res.text, 'csat-product')).toEqual([['KETTLE-1', '100%', '1']]);
    expect(table(res.text, 'csat-staff')).toEqual([[cast.staff.displayName, '100%', '1']]);
    expect(res.text).toContain(`href="/c/${cast.slug}/staff/members/${cast.staff.id}"`);
    expect(res.text).toContain('Overall: 100% of 1 ratings were 4 or 5.');
    // The first staff answers, by who gave them: one question, answered in seconds, within the target.
    const firstAnswers = table(res.text, 'answered-staff')!;
    expect(firstAnswers.map((r) => [r[0], r[1], r[3]])).toEqual([[cast.staff.displayName, '1', '100%']]);
    expect(firstAnswers[0][2]).toMatch(/^\d+ s$/);
    // Points by rule, named as on the loyalty page: the member's three questions (5 each) lead.
    const byRule = table(res.text, 'points-rule')!;
    expect(byRule[0]).toEqual(['A new thread', '15']);
    expect(byRule.map((r) => r[0])).toContain('A reply');
    expect(table(res.text, 'products')).toEqual([['KETTLE-1', '1']]);
    expect(table(res.text, 'tags')).toEqual([['descaling', '1']]);
    expect(table(res.text, 'segments')!.map((r) => r[0])).toEqual(['A: core', 'B: regular', 'C: at risk or dormant']);
    // The most engaged members link to their staff page.
    expect(res.text).toContain(`href="/c/${cast.slug}/staff/members/${cast.member.id}"`);
    expect(res.text).toMatch(/id="chart-support"/);
    expect(res.text).toMatch(/data-x="\d{4}-\d{2}-\d{2}"/);
  });

  it('shows what was searched and what found nothing, the searched text escaped', async () => {
    const search = (q: string) => t.http.get(`/api/v1/communities/${cast.slug}/search?q=${encodeURIComponent(q)}`);
    for (const q of ['kettle', 'Kettle', '<b>espresso</b> tamper', 'espresso'.toUpperCase() + ' tamper']) expect((await search(q)).status).toBe(200);
    const res = await (await as(cast.staff)).get(`/c/${cast.slug}/staff?days=7`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<b>espresso</b>');
    // "kettle" finds the descaling question; the tamper searches find nothing.
    expect(table(res.text, 'searches')).toEqual([
      ['kettle', '2', '0'],
      ['<b>espresso</b> tamper', '1', '1'],
      ['espresso tamper', '1', '1'],
    ]);
    expect(table(res.text, 'no-results')).toEqual([
      ['<b>espresso</b> tamper', '1', '1'],
      ['espresso tamper', '1', '1'],
    ]);
  });

  it('refuses bad date ranges with the error next to the field', async () => {
    const b = await as(cast.staff);
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const cases: Array<[string, string, RegExp]> = [
      [`from=2026-03-10&to=2026-03-01`, 'to', /on or after the first day/],
      [`from=2024-01-01&to=2025-06-01`, 'to', /366 days at most/],
      [`from=2026-02-30&to=${today}`, 'from', /as a date/],
      [`from=yesterday&to=${today}`, 'from', /as a date/],
      [`from=${today}&to=${tomorrow}`, 'to', /cannot be after today/],
      [`from=1999-01-01&to=2000-01-01`, 'from', /at the earliest/],
      [`from=${today}`, 'to', /Enter the last day/],
      [`days=5`, 'from', /presets/],
      [`from=${today}&to=${today}&granularity=month`, 'granularity', /days or weeks/],
      [`from=${today}&from=${today}&to=${today}`, 'from', /Enter the first day/],
    ];
    for (const [query, field, message] of cases) {
      const res = await b.get(`/c/${cast.slug}/staff?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect([query, fieldError(res.text, field)]).toEqual([query, expect.stringMatching(message)]);
      expect(res.text).toContain(`id="range-${field}"`);
      expect(res.text).toMatch(new RegExp(`id="range-${field}"[^>]*aria-invalid="true"`));
      expect(res.text).not.toContain('class="chart card"');
    }
    const ok = await b.get(`/c/${cast.slug}/staff?from=${today}&to=${today}&granularity=week`);
    expect(ok.status).toBe(200);
    expect(table(ok.text, 'active')).toHaveLength(1);
    expect(table(ok.text, 'active')![0][0]).toMatch(/^Week of /);
  });

  it('lists unanswered questions oldest first, the overdue one marked in words, linking to the thread', async () => {
    const b = await as(cast.staff);
    const res = await b.get(`/c/${cast.slug}/staff/questions`);
    expect(res.status).toBe(200);
    const rows = [...res.text.matchAll(/<li class="thread-row( is-overdue)?" data-question-id="([^"]+)">[\s\S]*?<a href="([^"]+)">([^<]*)<\/a>[\s\S]*?<strong class="time-left" data-time-left>([^<]*)<\/strong>/g)].map((m) => ({
      overdue: Boolean(m[1]), id: m[2], href: m[3], title: decode(m[4]), left: m[5],
    }));
    expect(rows.map((r) => [r.title, r.overdue])).toEqual([
      ['Grinder is noisy', true],
      ['Which filter fits?', false],
    ]);
    expect(rows[0].left).toMatch(/^Overdue by (59 min|1 h)/);
    expect(rows[1].left).toMatch(/^\d+ min left$|^1 h left$/);
    expect(rows[0].href).toBe(`/t/${late.id}/grinder-is-noisy`);
    expect(res.text).toContain('<span class="badge badge-overdue">Overdue</span>');
    expect(res.text).toContain('<strong>1 overdue</strong>');
    expect(res.text).toContain('The response target is 1 h.');
  });

  it('queues support chats: claim once (then the room page), a second claim is shown, close; another community’s room is not found', async () => {
    const customer = await createMember(t.http, cast.admin.accessToken, cast.slug);
    const opened = await t.http.post(`/api/v1/communities/${cast.slug}/chat/rooms`, { kind: 'support' }, { token: customer.accessToken });
    expect(opened.status).toBe(201);
    const roomId = opened.body.id;
    const b = await as(cast.staff);
    const queue = await b.get(`/c/${cast.slug}/staff/support`);
    expect(queue.status).toBe(200);
    expect(queue.text).toContain(`<li class="thread-row" data-room-id="${roomId}">`);
    expect(queue.text).toMatch(/<script src="\/assets\/support-queue\.[0-9a-f]{12}\.js" defer><\/script>/);
    expect(queue.text).toContain(`data-community-id="${cast.communityId}"`);
    const claim = await b.post(`/c/${cast.slug}/staff/support/${roomId}/claim`, { _csrf: b.csrfFrom(queue.text) });
    expect([claim.status, claim.headers.get('location')]).toEqual([303, `/c/${cast.slug}/chat/${roomId}`]);

    const b2 = await as(staff2);
    const queue2 = await b2.get(`/c/${cast.slug}/staff/support`);
    expect(queue2.text).toMatch(new RegExp(`data-room-id="${roomId}">[\\s\\S]*?claimed by <strong>${cast.staff.displayName}`));
    const again = await b2.post(`/c/${cast.slug}/staff/support/${roomId}/claim`, { _csrf: b2.csrfFrom(queue2.text) });
    expect(again.status).toBe(409);
    expect(again.text).toContain('<p class="form-error" role="alert">Another staff member already answers this support chat</p>');

    // A support chat of another community, posted to this community's page by someone who is staff in both: not found, still open.
    const other = await createCommunity(t.http, cast.admin.accessToken);
    const otherCustomer = await createMember(t.http, cast.admin.accessToken, other.slug);
    const otherRoom = (await t.http.post(`/api/v1/communities/${other.slug}/chat/rooms`, { kind: 'support' }, { token: otherCustomer.accessToken })).body;
    const adminPage = await as(cast.admin);
    const adminQueue = await adminPage.get(`/c/${cast.slug}/staff/support`);
    expect((await adminPage.post(`/c/${cast.slug}/staff/support/${otherRoom.id}/claim`, { _csrf: adminPage.csrfFrom(adminQueue.text) })).status).toBe(404);
    expect((await adminPage.get(`/c/${other.slug}/staff/support`)).text).toContain(`<li class="thread-row" data-room-id="${otherRoom.id}">`);

    const close = await b.post(`/c/${cast.slug}/staff/support/${roomId}/close`, { _csrf: b.csrfFrom(queue.text) });
    expect([close.status, close.headers.get('location')]).toEqual([303, `/c/${cast.slug}/staff/support?closed=1`]);
    const after = await b.get(`/c/${cast.slug}/staff/support?closed=1`);
    expect(after.text).toContain('The support chat is closed.');
    expect(after.text).not.toContain(`data-room-id="${roomId}"`);
    const closedAgain = await b.post(`/c/${cast.slug}/staff/support/${roomId}/close`, { _csrf: b.csrfFrom(after.text) });
    expect(closedAgain.status).toBe(409);
    expect((await b.post(`/c/${cast.slug}/staff/support/not-an-id/claim`, { _csrf: b.csrfFrom(after.text) })).status).toBe(404);
  });

  it('shows a member’s engagement, points and recent threads to staff; an unknown member is the 404 page', async () => {
    expect((await t.http.post(`/api/v1/communities/${cast.slug}/loyalty/adjustments`, { userId: cast.member.id, points: 40, reason: 'Thanks' }, { token: cast.staff.accessToken })).status).toBe(201);
    const b = await as(cast.staff);
    const res = await b.get(`/c/${cast.slug}/staff/members/${cast.member.id}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<h1>${cast.member.displayName}`);
    const fig = Object.fromEntries([...res.text.matchAll(/data-member="([a-z-]+)">([^<]*)</g)].map((m) => [m[1], decode(m[2]).trim()]));
    expect(fig).toMatchObject({ segment: 'B: regular', churn: 'No', 'active-days': '1 / 1 / 1', balance: '40', 'customer-id': 'Not linked to a store customer.' });
    const titles = [...res.text.matchAll(/<div class="thread-title"><a href="[^"]+">([^<]*)<\/a>/g)].map((m) => decode(m[1]));
    expect(titles).toEqual(['Descaling the kettle', 'Grinder is noisy']); // the grinder question was moved 2 hours back
    expect((await b.get(`/c/${cast.slug}/staff/members/${cast.outsider.id}`)).status).toBe(404);
    expect((await b.get(`/c/${cast.slug}/staff/members/nope`)).status).toBe(404);
  });
});
