import { startApp, TestApp } from './support/app';
import { Cast, createCast } from './support/content';
import { eventually, TestUser } from './support/factories';
import { PageClient, signInPage } from './support/page-client';

/**
 * The moderators' audit page over plain HTTP: the target type and UTC-day filters (the other moderator
 * pages: web-moderation.e2e-spec.ts).
 */
describe('web pages: moderator pages (HTTP)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  let cast: Cast;
  const signed = new Map<string, PageClient>();

  const as = async (user: TestUser) => {
    if (!signed.has(user.id)) signed.set(user.id, await signInPage(t.baseUrl, user.email, user.password));
    return signed.get(user.id)!;
  };
  const decode = (s: string) => s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');

  beforeAll(async () => {
    t = await startApp();
    cast = await createCast(t.http);
    // The targetType=user check needs entries of that type: the role changes of createCast (staff and
    // moderator), which reach the log through the outbox.
    await eventually(
      async () =>
        (await t.http.get(`/api/v1/communities/${cast.slug}/moderation/log?targetType=user`, { token: cast.moderator.accessToken })).body.items.length >= 2,
    );
  }, 180_000);
  afterAll(() => t?.close());

  describe('audit log: target type and UTC-day filters', () => {
    const entries = (html: string) => [...html.matchAll(/<li class="thread-row" data-audit-action="([^"]+)">[\s\S]*?<time datetime="([^"]+)">[\s\S]*?<\/li>/g)].map((m) => ({ action: m[1], at: m[2] }));
    const links = (html: string) => Object.fromEntries([...html.matchAll(/<a href="([^"]+)"(?: rel="next")?>(Newest|Older)<\/a>/g)].map((m) => [m[2], decode(m[1])]));

    beforeAll(async () => {
      // Entries at chosen times, straight into the table (INSERT is all the append-only log allows).
      const { Db } = await import('../src/core/database/db.service');
      const db = t.app.get(Db);
      const times = [
        '2025-03-09T23:59:59Z', '2025-03-12T00:00:00Z', // just outside 10 to 11 March
        ...Array.from({ length: 30 }, (_, i) => new Date(Date.parse('2025-03-10T00:00:00Z') + i * 47 * 60_000).toISOString()),
        ...Array.from({ length: 30 }, (_, i) => new Date(Date.parse('2025-03-11T23:59:59Z') - i * 47 * 60_000).toISOString()),
      ];
      for (const at of times) {
        await db.query(`INSERT INTO moderation_audit (community_id, action, target_type, target_id, created_at) VALUES ($1, 'test.page', 'message', 'm1', $2)`, [cast.communityId, at]);
      }
      await db.query(`INSERT INTO moderation_audit (community_id, action, target_type, target_id, created_at) VALUES ($1, 'test.page', 'community', $2, '2025-03-10T12:00:00Z')`, [cast.communityId, cast.communityId]);
    });

    it('has a target type select and two UTC date fields, kept in the form and in the page links', async () => {
      const client = await as(cast.moderator);
      const blank = await client.get(`/c/${cast.slug}/mod/audit`);
      expect(blank.status).toBe(200);
      expect(blank.text).toContain('<select id="audit-target-type" name="targetType">');
      for (const [value, label] of [['', 'Any target'], ['post', 'Post'], ['thread', 'Thread'], ['message', 'Chat message'], ['user', 'Member'], ['community', 'Community']]) {
        expect(blank.text).toContain(`<option value="${value}">${label}</option>`);
      }
      expect(blank.text).toMatch(/<input id="audit-from" name="from" type="date" value=""/);
      expect(blank.text).toMatch(/<input id="audit-to" name="to" type="date" value=""/);
      expect(blank.text).toContain('Days are UTC days: From starts at 00:00 UTC of its day, To ends at 24:00 UTC of its day (both days included).');

      const base = `/c/${cast.slug}/mod/audit?targetType=message&from=2025-03-10&to=2025-03-11`;
      const first = await client.get(base);
      expect(first.status).toBe(200);
      expect(first.text).toContain('<option value="message" selected>Chat message</option>');
      expect(first.text).toMatch(/name="from" type="date" value="2025-03-10"/);
      expect(first.text).toMatch(/name="to" type="date" value="2025-03-11"/);
      const page1 = entries(first.text);
      expect(page1).toHaveLength(50);
      const older = links(first.text).Older;
      expect(older).toMatch(new RegExp(`^/c/${cast.slug}/mod/audit\\?targetType=message&from=2025-03-10&to=2025-03-11&cursor=`));
      const second = await client.get(older);
      expect(second.status).toBe(200);
      expect(second.text).toMatch(/name="from" type="date" value="2025-03-10"/);
      const page2 = entries(second.text);
      expect(page2).toHaveLength(10);
      expect(links(second.text)).toEqual({ Newest: base });
      // The whole of both days, from 00:00 on the first to 23:59:59 on the last; nothing outside, no other type.
      const shown = [...page1, ...page2];
      expect(new Set(shown.map((e) => e.action))).toEqual(new Set(['test.page']));
      const times = shown.map((e) => e.at);
      expect(times[0]).toBe('2025-03-11T23:59:59.000Z');
      expect(times.at(-1)).toBe('2025-03-10T00:00:00.000Z');
      expect([...times].sort().reverse()).toEqual(times);
      expect(times).not.toContain('2025-03-12T00:00:00.000Z');
      expect(times).not.toContain('2025-03-09T23:59:59.000Z');

      const oneDay = await client.get(`/c/${cast.slug}/mod/audit?targetType=community&from=2025-03-10&to=2025-03-10`);
      expect(entries(oneDay.text)).toEqual([{ action: 'test.page', at: '2025-03-10T12:00:00.000Z' }]);
      const byType = await client.get(`/c/${cast.slug}/mod/audit?targetType=user`);
      const api = (await t.http.get(`/api/v1/communities/${cast.slug}/moderation/log?targetType=user&limit=50`, { token: cast.moderator.accessToken })).body.items;
      expect(api.length).toBeGreaterThan(0);
      expect(entries(byType.text).map((e) => e.action)).toEqual(api.map((e: any) => e.action));
      expect((await client.get(`/c/${cast.slug}/mod/audit?to=2025-03-08`)).text).not.toContain('data-audit-action="test.page"');
    });

    it('shows bad target types and dates next to their fields, never a 500', async () => {
      const client = await as(cast.moderator);
      const page = (query: string) => client.get(`/c/${cast.slug}/mod/audit?${query}`);
      const badType = await page('targetType=board');
      expect(badType.status).toBe(422);
      expect(badType.text).toContain('<p id="audit-target-type-error" class="field-error">Choose a target type from the list</p>');
      expect(badType.text).toContain('No entry matches these filters.');
      for (const value of ['2025-02-30', 'yesterday', '1969-12-31', '99999-01-01', '2025-3-1', '<b>x</b>']) {
        const from = await page(`from=${encodeURIComponent(value)}`);
        expect(from.status).toBe(422);
        expect(from.text).toContain('<p id="audit-from-error" class="field-error">Enter a date (YYYY-MM-DD), 1970 or later</p>');
        expect(from.text).toContain('aria-describedby="audit-dates-help audit-from-error" aria-invalid="true"');
        const to = await page(`to=${encodeURIComponent(value)}`);
        expect(to.status).toBe(422);
        expect(to.text).toContain('<p id="audit-to-error" class="field-error">Enter a date (YYYY-MM-DD), 1970 or later</p>');
      }
      expect((await page('from=%3Cb%3Ex%3C%2Fb%3E')).text).toContain('value="&lt;b&gt;x&lt;/b&gt;"');
      const reversed = await page('from=2025-03-11&to=2025-03-10');
      expect(reversed.status).toBe(422);
      expect(reversed.text).toContain('<p id="audit-to-error" class="field-error">The last day is before the first day</p>');
      expect(reversed.text).toMatch(/name="from" type="date" value="2025-03-11"/);
      const lastDay = await page('to=9999-12-31');
      expect(lastDay.status).toBe(422);
      expect(lastDay.text).toContain('id="audit-to-error"');
      // Still the moderators' page only.
      expect((await (await as(cast.staff)).get(`/c/${cast.slug}/mod/audit?targetType=user`)).status).toBe(404);
    });
  });
});
