import { Db } from '../src/core/database/db.service';
import { WebhookSettings } from '../src/store/webhook-settings';
import { startApp, TestApp } from './support/app';
import { Cast, createCast } from './support/content';
import { createCommunity, createMember, eventually, TestUser } from './support/factories';
import { expectProblem } from './support/http';
import { PageClient, signInPage } from './support/page-client';
import { Receiver, verifyDelivery } from './support/store';

/**
 * The admin's loyalty, store and export pages over plain HTTP (issue 24): who may open them, CSRF,
 * rules and rewards with errors next to the fields, the CSV codes upload (plain form and the script's
 * JSON answer, bad files), the store secrets shown once, the test event, retry of a failed delivery,
 * and the export's download.
 */
describe('web admin pages: loyalty, store, export (HTTP)', () => {
  let t: TestApp;
  let cast: Cast;
  let owner: TestUser;
  let settings: WebhookSettings;
  let receiver: Receiver;
  let admin: PageClient;

  const page = (path: string) => `/c/${cast.slug}/admin/${path}`;
  const api = (path: string) => `/api/v1/communities/${cast.slug}${path}`;
  const csv = (text: string) => new Blob([text], { type: 'text/csv' });
  const decode = (s: string) => s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');
  /** The error shown next to a field: the element with that id. */
  const fieldError = (html: string, id: string) => new RegExp(`id="${id}-error" class="field-error">([^<]*)<`).exec(html)?.[1];

  beforeAll(async () => {
    t = await startApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    settings = t.app.get(WebhookSettings);
    settings.retryDelaysMs = [];
    settings.jitter = 0;
    settings.pollMs = 50;
    receiver = await new Receiver().start();
    cast = await createCast(t.http);
    owner = await createMember(t.http, cast.admin.accessToken, cast.slug, 'admin');
    admin = await signInPage(t.baseUrl, owner.email, owner.password);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.answer = () => ({ status: 200, body: 'ok' });
  });

  it('opens only for the community\'s admins: a guest logs in, members, staff, moderators and other communities\' admins get the 404 page', async () => {
    for (const path of ['loyalty', 'store', 'export', 'export/download?format=csv']) {
      const guest = await new PageClient(t.baseUrl).get(page(path));
      expect(guest.status).toBe(303);
      expect(guest.headers.get('location')).toBe(`/login?next=${encodeURIComponent(page(path))}`);
      for (const user of [cast.member, cast.staff, cast.moderator, cast.outsider]) {
        const b = await signInPage(t.baseUrl, user.email, user.password);
        const res = await b.get(page(path));
        expect(res.status).toBe(404);
        expect(res.text).toContain('Page not found');
        expect(res.text).not.toContain('engagement-');
      }
      expect((await admin.get(page(path))).status).toBe(200);
    }
    // A form of another role is refused too (its CSRF token is valid: the role decides).
    const staff = await signInPage(t.baseUrl, cast.staff.email, cast.staff.password);
    const token = staff.csrfFrom((await staff.get(`/c/${cast.slug}/points`)).text);
    expect((await staff.post(page('loyalty/rewards'), { _csrf: token, name: 'Free mug', cost: '10' })).status).toBe(404);
    expect((await staff.post(page('store'), { _csrf: token, webhookUrl: receiver.url })).status).toBe(404);
    expect((await t.http.get(api('/store'), { token: owner.accessToken })).status).toBe(404); // nothing was connected
  });

  it('refuses forms without the CSRF token or from another site', async () => {
    const html = (await admin.get(page('loyalty'))).text;
    const token = admin.csrfFrom(html);
    expect((await admin.post(page('loyalty/rewards'), { name: 'No token', cost: '10' })).status).toBe(403);
    expect((await admin.post(page('loyalty/rewards'), { _csrf: 'forged', name: 'Forged', cost: '10' })).status).toBe(403);
    expect((await admin.post(page('loyalty/rewards'), { _csrf: token, name: 'Elsewhere', cost: '10' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await admin.post(page('store/rotate'), {})).status).toBe(403);
    const rewards = await t.http.get(api('/loyalty/rewards'), { token: owner.accessToken });
    expect(rewards.body.items.map((r: any) => r.name)).toEqual([]);
  });

  it('saves the points rules, the moderation window and the tiers, with errors next to the fields', async () => {
    const html = (await admin.get(page('loyalty'))).text;
    expect(html).toContain('value="5"'); // threadCreated's default
    const token = admin.csrfFrom(html);
    const bad = await admin.post(page('loyalty/rules'), {
      _csrf: token, threadCreated: '-1', replyCreated: 'two', showcasePhoto: '10', answerAccepted: '15', answerOfficial: '10', reactionReceived: '1',
      firstPostOfDay: '1', orderPointsPerUnit: '0', pointsPendingHours: '721', dailyPointsCap: '200', expiryInactiveDays: '0',
      tierName0: 'Bronze', tierMin0: '0', tierName1: 'Silver', tierMin1: 'lots',
    });
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'rule-threadCreated')).toBe('Must be at least 0');
    expect(fieldError(bad.text, 'rule-replyCreated')).toBe('Must be an integer');
    expect(fieldError(bad.text, 'rule-pointsPendingHours')).toBe('Must be at most 720');
    expect(fieldError(bad.text, 'tier-min-1')).toMatch(/^Must (be an integer|not be greater than)/);
    expect(bad.text).toContain('id="rule-threadCreated" name="threadCreated" type="number" value="-1"');
    // Tiers out of order: the service's own check, shown at the tiers.
    const order = await admin.post(page('loyalty/rules'), {
      _csrf: token, threadCreated: '7', replyCreated: '2', showcasePhoto: '10', answerAccepted: '15', answerOfficial: '10', reactionReceived: '1',
      firstPostOfDay: '1', orderPointsPerUnit: '0', pointsPendingHours: '24', dailyPointsCap: '200', expiryInactiveDays: '0',
      tierName0: 'Bronze', tierMin0: '0', tierName1: 'Silver', tierMin1: '900', tierName2: 'Gold', tierMin2: '800',
    });
    expect(order.status).toBe(400);
    expect(decode(/id="tiers-error" class="field-error">([^<]*)</.exec(order.text)![1])).toBe('minLifetime must increase from one tier to the next');
    expect((await t.http.get(api('/loyalty/rules'), { token: owner.accessToken })).body.threadCreated).toBe(5);

    const ok = await admin.post(page('loyalty/rules'), {
      _csrf: token, threadCreated: '7', replyCreated: '3', showcasePhoto: '10', answerAccepted: '20', answerOfficial: '10', reactionReceived: '1',
      firstPostOfDay: '2', orderPointsPerUnit: '1', pointsPendingHours: '48', dailyPointsCap: '150', expiryInactiveDays: '365',
      tierName0: 'Bronze', tierMin0: '0', tierName1: 'Silver', tierMin1: '400', tierName4: 'Gold', tierMin4: '1500',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/c/${cast.slug}/admin/loyalty?saved=rules#rules`);
    const rules = (await t.http.get(api('/loyalty/rules'), { token: owner.accessToken })).body;
    expect(rules).toEqual(expect.objectContaining({ threadCreated: 7, replyCreated: 3, answerAccepted: 20, firstPostOfDay: 2, orderPointsPerUnit: 1, expiryInactiveDays: 365 }));
    expect(rules.tiers).toEqual([{ name: 'Bronze', minLifetime: 0 }, { name: 'Silver', minLifetime: 400 }, { name: 'Gold', minLifetime: 1500 }]);
    const community = (await t.http.get(api('/settings'), { token: owner.accessToken })).body;
    expect(community).toEqual(expect.objectContaining({ pointsPendingHours: 48, dailyPointsCap: 150 }));
    const after = (await admin.get(page('loyalty?saved=rules'))).text;
    expect(after).toContain('The rules and tiers are saved.');
    expect(after).toContain('id="tier-name-2" name="tierName2" maxlength="50" value="Gold"');
  });

  it('creates rewards and adds coupon codes from a CSV file, counting duplicates; bad files add nothing', async () => {
    let html = (await admin.get(page('loyalty'))).text;
    const token = admin.csrfFrom(html);
    const bad = await admin.post(page('loyalty/rewards'), { _csrf: token, name: ' ', cost: '0' });
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'reward-cost')).toBe('Must not be less than 1');
    expect(fieldError(bad.text, 'reward-name')).toMatch(/longer than or equal to 1/);
    const created = await admin.post(page('loyalty/rewards'), { _csrf: token, name: 'Travel mug', cost: '40', description: 'Keeps coffee hot' });
    expect(created.status).toBe(303);
    const reward = (await t.http.get(api('/loyalty/rewards'), { token: owner.accessToken })).body.items.find((r: any) => r.name === 'Travel mug');
    expect(created.headers.get('location')).toBe(`/c/${cast.slug}/admin/loyalty?saved=reward#reward-${reward.id}`);
    const upload = page(`loyalty/rewards/${reward.id}/codes`);

    // Without the script: the page comes back with the result.
    const first = await admin.post(upload, { _csrf: token, file: csv('code\r\nMUG-001\r\n"MUG-002",unused,columns\r\n\r\nMUG-003\r\nMUG-001\r\n') }, {}, 'codes.csv');
    expect(first.status).toBe(200);
    expect(first.text).toContain('3 codes added, 1 duplicate skipped. 3 codes available now.');
    const again = await admin.post(upload, { _csrf: token, file: csv('MUG-003\nMUG-004\n') }, {}, 'codes.csv');
    expect(again.text).toContain('1 code added, 1 duplicate skipped. 4 codes available now.');

    // Bad lines: each reported by number, nothing added.
    const broken = await admin.post(upload, { _csrf: token, file: csv(`MUG-010\n"MUG-011\n${'X'.repeat(201)}\n,second column only\nMUG-012\u0007\n`) }, {}, 'codes.csv');
    expect(broken.status).toBe(400);
    const listed = [...broken.text.matchAll(/<li>(Line [^<]*)<\/li>/g)].map((m) => decode(m[1]));
    expect(listed).toEqual([
      'Line 2: a quote is not closed',
      'Line 3: the code is longer than 200 characters',
      'Line 4: no code in the first column',
      'Line 5: the code contains a control character',
    ]);
    expect(broken.text).toContain('The file was not used: nothing was added.');
    expect(broken.text).toContain(`id="codes-${reward.id}" name="file" type="file"`);
    expect(broken.text).toMatch(new RegExp(`id="codes-${reward.id}"[^>]*aria-invalid="true"`));
    const notUtf8 = await admin.post(upload, { _csrf: token, file: new Blob([Buffer.from([0x4d, 0xff, 0xfe, 0x0a])]) }, {}, 'codes.csv');
    expect(notUtf8.text).toContain('The file is not UTF-8 text');
    expect((await admin.post(upload, { _csrf: token })).text).toContain('Choose a CSV file of codes');
    const tooMany = await admin.post(upload, { _csrf: token, file: csv(Array.from({ length: 10_001 }, (_, i) => `M${i}`).join('\n')) }, {}, 'codes.csv');
    expect(decode(tooMany.text)).toContain('The file has more than 10,000 codes: split it into several files');
    const tooBig = await admin.post(upload, { _csrf: token, file: csv('A'.repeat(150).concat('\n').repeat(7200)) }, {}, 'codes.csv');
    expect(tooBig.status).toBe(413);
    expect(tooBig.text).toContain('The file is larger than 1 MiB');

    // The script's way: the CSRF header, a JSON answer.
    const json = await admin.post(upload, { file: csv(Array.from({ length: 10_000 }, (_, i) => `BULK-${i}`).join('\n')) }, { 'x-csrf-token': token, accept: 'application/json' }, 'codes.csv');
    expect(json.status).toBe(200);
    expect(JSON.parse(json.text)).toEqual({ added: 10_000, duplicates: 0, available: 10_004, message: '10,000 codes added, 0 duplicates skipped. 10,004 codes available now.' });
    const jsonBad = await admin.post(upload, { file: csv('"open') }, { 'x-csrf-token': token, accept: 'application/json' }, 'codes.csv');
    expect(jsonBad.status).toBe(400);
    expect(JSON.parse(jsonBad.text)).toEqual({ message: 'The file was not used: nothing was added.', errors: ['Line 1: a quote is not closed'] });
    const jsonForged = await admin.post(upload, { file: csv('A') }, { 'x-csrf-token': 'forged', accept: 'application/json' }, 'codes.csv');
    expect(jsonForged.status).toBe(403);
    expect(JSON.parse(jsonForged.text).message).toMatch(/expired/);

    expect((await t.http.get(api('/loyalty/rewards'), { token: owner.accessToken })).body.items.find((r: any) => r.id === reward.id).available).toBe(10_004);
    // Another community's admin cannot add codes to it through their own community's page.
    const elsewhere = await createCommunity(t.http, cast.admin.accessToken);
    const otherAdmin = await createMember(t.http, cast.admin.accessToken, elsewhere.slug, 'admin');
    const outsider = await signInPage(t.baseUrl, otherAdmin.email, otherAdmin.password);
    const otherToken = outsider.csrfFrom((await outsider.get(`/c/${elsewhere.slug}/admin/loyalty`)).text);
    expect((await outsider.post(`/c/${elsewhere.slug}/admin/loyalty/rewards/${reward.id}/codes`, { _csrf: otherToken, file: csv('STOLEN') }, {}, 'codes.csv')).status).toBe(404);
    html = (await admin.get(page('loyalty'))).text;
    expect(html).toContain(`<span data-available="${reward.id}">10004</span>`);
  });

  it('edits a reward and disables it: members no longer see or redeem it; enabled again it is back', async () => {
    const token = admin.csrfFrom((await admin.get(page('loyalty'))).text);
    const reward = (await t.http.get(api('/loyalty/rewards'), { token: owner.accessToken })).body.items.find((r: any) => r.name === 'Travel mug');
    expect(reward.enabled).toBe(true);
    const bad = await admin.post(page(`loyalty/rewards/${reward.id}`), { _csrf: token, name: 'Travel mug', cost: 'free', description: '' });
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, `edit-${reward.id}-cost`)).toMatch(/^Must/);
    expect(bad.text).toContain(`id="edit-${reward.id}-cost" name="cost" type="number" value="free"`);
    const edited = await admin.post(page(`loyalty/rewards/${reward.id}`), { _csrf: token, name: 'Steel travel mug', cost: '45', description: 'Keeps coffee hot for 6 hours' });
    expect(edited.status).toBe(303);
    expect(edited.headers.get('location')).toBe(`/c/${cast.slug}/admin/loyalty?saved=edited#reward-${reward.id}`);

    const give = await t.http.post(api('/loyalty/adjustments'), { userId: cast.member.id, points: 100, reason: 'Thanks' }, { token: cast.staff.accessToken });
    expect(give.status).toBe(201);
    const disabled = await admin.post(page(`loyalty/rewards/${reward.id}/enabled`), { _csrf: token, enabled: 'false' });
    expect(disabled.headers.get('location')).toBe(`/c/${cast.slug}/admin/loyalty?saved=disabled#reward-${reward.id}`);
    expect((await admin.post(page(`loyalty/rewards/${reward.id}/enabled`), { _csrf: token, enabled: 'maybe' })).status).toBe(400);
    const html = (await admin.get(page('loyalty'))).text;
    expect(html).toContain('Steel travel mug <span class="badge loyalty-badge-disabled">Disabled</span>');
    expect((await t.http.get(api('/loyalty/rewards'), { token: cast.member.accessToken })).body.items.map((r: any) => r.id)).not.toContain(reward.id);
    expect((await t.http.get(api('/loyalty/rewards?includeDisabled=true'), { token: cast.member.accessToken })).body.items.map((r: any) => r.id)).not.toContain(reward.id);
    const all = (await t.http.get(api('/loyalty/rewards?includeDisabled=true'), { token: owner.accessToken })).body.items;
    expect(all.find((r: any) => r.id === reward.id)).toEqual(expect.objectContaining({ name: 'Steel travel mug', cost: 45, description: 'Keeps coffee hot for 6 hours', enabled: false }));
    const member = await signInPage(t.baseUrl, cast.member.email, cast.member.password);
    expect((await member.get(`/c/${cast.slug}/points`)).text).not.toContain('Steel travel mug');
    const redeem = (key: string) => t.http.post(api('/loyalty/redemptions'), { rewardId: reward.id }, { token: cast.member.accessToken, headers: { 'idempotency-key': key } });
    expectProblem(await redeem('disabled-1'), 409, 'REWARD_DISABLED');

    const enabled = await admin.post(page(`loyalty/rewards/${reward.id}/enabled`), { _csrf: token, enabled: 'true' });
    expect(enabled.headers.get('location')).toBe(`/c/${cast.slug}/admin/loyalty?saved=enabled#reward-${reward.id}`);
    expect((await member.get(`/c/${cast.slug}/points`)).text).toContain('Steel travel mug');
    const ok = await redeem('enabled-1');
    expect(ok.status).toBe(201);
    expect(ok.body.redemption.points).toBe(45);
  });

  it('PATCH /loyalty/rewards/:rewardId (API): admins of the community only; fields left out keep their value', async () => {
    const created = await t.http.post(api('/loyalty/rewards'), { name: 'Apron', cost: 30 }, { token: owner.accessToken });
    const path = api(`/loyalty/rewards/${created.body.id}`);
    expectProblem(await t.http.patch(path, { cost: 5 }, { token: cast.staff.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.patch(path, { cost: 0 }, { token: owner.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.patch(path, { enabled: 'no' }, { token: owner.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.patch(api('/loyalty/rewards/00000000-0000-4000-8000-000000000000'), { cost: 5 }, { token: owner.accessToken }), 404, 'NOT_FOUND');
    const elsewhere = await createCommunity(t.http, cast.admin.accessToken);
    const otherAdmin = await createMember(t.http, cast.admin.accessToken, elsewhere.slug, 'admin');
    expectProblem(await t.http.patch(`/api/v1/communities/${elsewhere.slug}/loyalty/rewards/${created.body.id}`, { cost: 5 }, { token: otherAdmin.accessToken }), 404, 'NOT_FOUND');
    const res = await t.http.patch(path, { enabled: false }, { token: owner.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ name: 'Apron', cost: 30, description: '', enabled: false, available: 0 }));
    expect((await t.http.patch(path, { cost: 35 }, { token: owner.accessToken })).body).toEqual(expect.objectContaining({ cost: 35, enabled: false }));
  });

  it('connects the store and shows the three secrets once, never cached; rotation shows new ones once', async () => {
    let html = (await admin.get(page('store'))).text;
    expect(html).toContain('Connect your store');
    const token = admin.csrfFrom(html);
    const unknown = await admin.post(page('store'), { _csrf: token, webhookUrl: receiver.url, events: 'nope.never' });
    expect(unknown.status).toBe(400);
    expect(fieldError(unknown.text, 'store-events')).toBe('unknown event types: nope.never');
    const badUrl = await admin.post(page('store'), { _csrf: token, webhookUrl: 'file:///etc/passwd' });
    expect(badUrl.status).toBe(400);
    expect(fieldError(badUrl.text, 'store-webhookUrl')).toMatch(/http/);
    expect(badUrl.text).toContain('value="file:///etc/passwd"');

    const form = new FormData();
    form.append('_csrf', token);
    form.append('webhookUrl', receiver.url);
    for (const e of ['member.joined', 'points.earned']) form.append('events', e);
    const res = await fetch(t.baseUrl + page('store'), { method: 'POST', body: form, headers: { cookie: admin.cookieHeader() }, redirect: 'manual' });
    const connected = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const secrets = Object.fromEntries([...connected.matchAll(/data-secret="(\w+)">(whsec_[^<]+)</g)].map((m) => [m[1], m[2]]));
    expect(Object.keys(secrets).sort()).toEqual(['inbound', 'sso', 'webhook']);
    expect(connected).toContain('They are shown only on this page, this once.');
    const conn = (await t.http.get(api('/store'), { token: owner.accessToken })).body;
    expect(conn.events).toEqual(['member.joined', 'points.earned']);

    html = (await admin.get(page('store'))).text;
    for (const s of Object.values(secrets)) expect(html).not.toContain(s);
    expect(html).not.toContain('data-secret');
    expect(html).toContain('id="event-member.joined" name="events" value="member.joined" checked');
    expect(html).not.toContain('id="event-thread.created" name="events" value="thread.created" checked');

    // Saving again keeps the secrets (none shown).
    const saved = await admin.post(page('store'), { _csrf: token, webhookUrl: receiver.url, events: 'member.joined' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`/c/${cast.slug}/admin/store?done=saved`);

    const rotated = await admin.post(page('store/rotate'), { _csrf: token });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toContain('no-store');
    const fresh = Object.fromEntries([...rotated.text.matchAll(/data-secret="(\w+)">(whsec_[^<]+)</g)].map((m) => [m[1], m[2]]));
    expect(Object.keys(fresh)).toHaveLength(3);
    for (const k of Object.keys(fresh)) expect(fresh[k]).not.toBe(secrets[k]);
    html = (await admin.get(page('store'))).text;
    for (const s of Object.values(fresh)) expect(html).not.toContain(s);

    // A test event arrives signed with the new secret (and the old one, for 24 h).
    const before = receiver.received.length;
    const test = await admin.post(page('store/test-event'), { _csrf: token });
    expect(test.status).toBe(303);
    const arrived = (await eventually(() => receiver.received.slice(before).find((r) => JSON.parse(r.body).type === 'store.test')))!;
    expect(verifyDelivery(fresh.webhook, arrived)).toEqual(expect.objectContaining({ type: 'store.test', data: expect.objectContaining({ requestedBy: owner.id, test: true }) }));
    expect(verifyDelivery(secrets.webhook, arrived)).toBeTruthy();
    html = (await eventually(async () => {
      const text = (await admin.get(page('store?status=delivered'))).text;
      return text.includes('<code>store.test</code>') ? text : null;
    }))!;
    expect(html).toContain(arrived.id);
  });

  it('lists a failed delivery with its error, sends it again from the log, and replays the failed ones', async () => {
    const token = admin.csrfFrom((await admin.get(page('store'))).text);
    receiver.answer = () => ({ status: 500, body: 'store is down' });
    const before = receiver.received.length;
    expect((await admin.post(page('store/test-event'), { _csrf: token })).status).toBe(303);
    const failedRow = (await eventually(async () => {
      const text = (await admin.get(page('store?status=failed'))).text;
      return /<tr data-delivery="([0-9a-f-]{36})" data-status="failed">[\s\S]*?<\/tr>/.exec(text);
    }))!;
    expect(failedRow[0]).toContain('HTTP 500');
    const webhookId = receiver.received[before].id;
    expect(failedRow[0]).toContain(webhookId);
    const all = (await admin.get(page('store?status=pending'))).text;
    expect(all).not.toContain(webhookId);

    receiver.answer = () => ({ status: 200, body: 'ok' });
    const retried = await admin.post(page(`store/deliveries/${failedRow[1]}/retry`), { _csrf: token });
    expect(retried.status).toBe(303);
    expect((await admin.get(retried.headers.get('location')!)).text).toContain('The delivery is being sent again');
    await eventually(async () => (await admin.get(page('store?status=delivered'))).text.includes(webhookId));
    const again = receiver.received.filter((r) => r.id === webhookId);
    expect(again).toHaveLength(2);
    expect(again[1].body).toBe(again[0].body);

    // Bulk: two failures, then "send failed again" for the last hour.
    receiver.answer = () => ({ status: 503 });
    await admin.post(page('store/test-event'), { _csrf: token });
    await admin.post(page('store/test-event'), { _csrf: token });
    await eventually(async () => (await t.http.get(api('/store/deliveries?status=failed'), { token: owner.accessToken })).body.items.length === 2);
    receiver.answer = () => ({ status: 200 });
    const bad = await admin.post(page('store/deliveries/retry-failed'), { _csrf: token, period: 'forever' });
    expect(bad.status).toBe(400);
    const replay = await admin.post(page('store/deliveries/retry-failed'), { _csrf: token, period: 'hour' });
    expect(replay.status).toBe(303);
    expect((await admin.get(replay.headers.get('location')!)).text).toContain('2 failed deliveries are being sent again.');
    await eventually(async () => (await t.http.get(api('/store/deliveries?status=failed'), { token: owner.accessToken })).body.items.length === 0);
    expect((await admin.get(page('store?status=bogus'))).status).toBe(400);
  });

  it('POST /store/test-event (API): admin only, 404 without a connection, documented', async () => {
    const res = await t.http.post(api('/store/test-event'), undefined, { token: owner.accessToken });
    expect(res.status).toBe(202);
    expect(res.body).toEqual(expect.objectContaining({ type: 'store.test', status: 'pending', webhookId: expect.stringMatching(/^msg_/) }));
    expectProblem(await t.http.post(api('/store/test-event'), undefined, { token: cast.member.accessToken }), 403, 'FORBIDDEN');
    const other = await createCast(t.http);
    expectProblem(await t.http.post(`/api/v1/communities/${other.slug}/store/test-event`, undefined, { token: other.admin.accessToken }), 404, 'STORE_NOT_CONNECTED');
    const doc = (await t.http.get('/api/docs-json')).body;
    expect(Object.keys(doc.paths['/api/v1/communities/{slug}/store/test-event'].post.responses)).toEqual(expect.arrayContaining(['202', '404', '409']));
  });

  it('downloads the engagement export as CSV or NDJSON, the same bytes as the API', async () => {
    const db = t.app.get(Db);
    await eventually(async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_deliveries WHERE consumer = 'insights' AND status <> 'done'`))[0].n === 0);
    const fromApi = await fetch(`${t.baseUrl}${api('/engagement/export?format=csv')}`, { headers: { authorization: `Bearer ${owner.accessToken}` } });
    const apiCsv = await fromApi.text();
    const csvRes = await fetch(`${t.baseUrl}${page('export/download?format=csv&segment=')}`, { headers: { cookie: admin.cookieHeader() } });
    expect(csvRes.status).toBe(200);
    expect(csvRes.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csvRes.headers.get('content-disposition')).toBe(`attachment; filename="engagement-${cast.slug}.csv"`);
    expect(csvRes.headers.get('cache-control')).toContain('no-store');
    const body = await csvRes.text();
    expect(body).toBe(apiCsv);
    const lines = body.split('\r\n');
    expect(lines[0]).toMatch(/^userId,email,storeCustomerId,role,/); // emails: the store is connected
    expect(lines.find((l) => l.startsWith(`${owner.id},${owner.email},`))).toBeDefined();
    const nd = await fetch(`${t.baseUrl}${page('export/download?format=ndjson&segment=A')}`, { headers: { cookie: admin.cookieHeader() } });
    expect(nd.headers.get('content-disposition')).toBe(`attachment; filename="engagement-${cast.slug}.ndjson"`);
    for (const line of (await nd.text()).split('\n').filter(Boolean)) expect(JSON.parse(line).segment).toBe('A');
    const bad = await admin.get(page('export/download?format=xml&since=yesterday'));
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'export-since')).toMatch(/ISO 8601/);
    expect(bad.text).toContain('format must be ndjson or csv');
  });
});
