import { Db } from '../src/core/database/db.service';
import { WebhookSender } from '../src/store/webhook-sender';
import { WebhookSettings } from '../src/store/webhook-settings';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, setSettings } from './support/content';
import { createCommunity, createMember, eventually, loginAdmin, registerUser, TestUser } from './support/factories';
import { expectProblem } from './support/http';
import { connectStore, Receiver, verifyDelivery } from './support/store';

describe('store webhooks: connection, signing, retries, delivery log', () => {
  let t: TestApp;
  let admin: TestUser;
  let settings: WebhookSettings;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    admin = await loginAdmin(t.http);
    settings = t.app.get(WebhookSettings);
    settings.retryDelaysMs = [150, 150, 150];
    settings.jitter = 0;
    settings.pollMs = 50;
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    receiver.answer = () => ({ status: 200, body: 'ok' });
  });

  async function community() {
    const { slug, id } = await createCommunity(t.http, admin.accessToken);
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    return { slug, id };
  }

  const deliveries = async (slug: string, query = '') => (await t.http.get(`/api/v1/communities/${slug}/store/deliveries${query}`, { token: admin.accessToken })).body;

  it('shows the secrets once, refuses unknown event types and non-admins', async () => {
    const { slug } = await community();
    const member = await createMember(t.http, admin.accessToken, slug, 'moderator');
    const other = await community();
    const otherAdmin = await createMember(t.http, admin.accessToken, other.slug, 'admin');

    const first = await connectStore(t.http, admin.accessToken, slug, receiver.url);
    for (const s of [first.webhookSecret, first.inboundSecret, first.ssoSecret]) {
      expect(s).toMatch(/^whsec_/);
      expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    }
    expect(new Set([first.webhookSecret, first.inboundSecret, first.ssoSecret]).size).toBe(3);
    expect(first.events).toEqual(expect.arrayContaining(['member.joined', 'thread.created', 'post.created', 'answer.accepted', 'points.earned', 'member.sanctioned']));
    expect(first.events).not.toContain('chat.message_sent');

    const again = await t.http.put(`/api/v1/communities/${slug}/store`, { webhookUrl: receiver.url, events: ['member.joined'] }, { token: admin.accessToken });
    expect(again.status).toBe(200);
    expect(again.body.webhookSecret).toBeUndefined();
    expect(again.body.events).toEqual(['member.joined']);
    const read = await t.http.get(`/api/v1/communities/${slug}/store`, { token: admin.accessToken });
    expect(read.body).toEqual(expect.objectContaining({ webhookUrl: receiver.url, enabled: true }));
    expect(read.body.inboundSecret).toBeUndefined();

    expectProblem(await t.http.put(`/api/v1/communities/${slug}/store`, { webhookUrl: receiver.url, events: ['member.joined', 'nope.never'] }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.put(`/api/v1/communities/${slug}/store`, { webhookUrl: receiver.url, events: ['test.ping'] }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.http.put(`/api/v1/communities/${slug}/store`, { webhookUrl: receiver.url }, { token: member.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.put(`/api/v1/communities/${slug}/store`, { webhookUrl: receiver.url }, { token: otherAdmin.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/store/deliveries`, { token: otherAdmin.accessToken }), 403, 'FORBIDDEN');
    expectProblem(await t.http.post(`/api/v1/communities/${slug}/store/rotate-secrets`, undefined, { token: member.accessToken }), 403, 'FORBIDDEN');
  });

  it('delivers selected events signed per Standard Webhooks, with the member and the body {type, timestamp, data}', async () => {
    const { slug, id: communityId } = await community();
    const conn = await connectStore(t.http, admin.accessToken, slug, receiver.url, ['member.joined', 'thread.created']);
    const member = await createMember(t.http, admin.accessToken, slug);
    const board = await createBoard(t.http, admin.accessToken, slug, { slug: 'talk' });
    const thread = await createThread(t.http, member.accessToken, board.id, { title: 'My grinder', productSkus: ['GR-1'] });

    const joined = (await eventually(() => receiver.events('member.joined').find((e) => e.data.userId === member.id)))!;
    const created = (await eventually(() => receiver.events('thread.created').find((e) => e.data.threadId === thread.id)))!;
    expect(joined).toEqual(expect.objectContaining({ type: 'member.joined', timestamp: expect.any(String), data: expect.objectContaining({ communityId, userId: member.id, role: 'member' }) }));
    expect(created.data).toEqual(expect.objectContaining({ userId: member.id, authorId: member.id, productSkus: ['GR-1'] }));
    expect(created.data.storeCustomerId).toBeUndefined();
    for (const r of receiver.received.filter((x) => [joined.webhookId, created.webhookId].includes(x.id))) {
      expect(r.signature).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      expect(verifyDelivery(conn.webhookSecret, r)).toEqual(JSON.parse(r.body));
    }
    // Not selected: post.created is not sent for this community.
    const log = await deliveries(slug);
    expect(log.items.map((d: any) => d.type).sort()).toEqual(expect.arrayContaining(['member.joined', 'thread.created']));
    expect(log.items.every((d: any) => ['member.joined', 'thread.created'].includes(d.type))).toBe(true);
  });

  it('retries 5xx with the same webhook-id, each attempt signed afresh, and logs every attempt', async () => {
    const { slug } = await community();
    const conn = await connectStore(t.http, admin.accessToken, slug, receiver.url, ['member.joined']);
    let calls = 0;
    receiver.answer = (r) => {
      if (!r.body.includes('"member.joined"')) return { status: 200 };
      calls++;
      return calls <= 2 ? { status: 503, body: `down ${calls}` } : { status: 204 };
    };
    const member = await createMember(t.http, admin.accessToken, slug);
    const mine = () => receiver.received.filter((r) => r.body.includes(member.id));
    await eventually(() => mine().length >= 3 && mine()[2]);
    const ids = new Set(mine().map((r) => r.id));
    expect(ids.size).toBe(1);
    for (const r of mine()) expect(verifyDelivery(conn.webhookSecret, r)).toBeTruthy();

    const log = await eventually(async () => {
      const body = await deliveries(slug, '?status=delivered');
      return body.items.find((d: any) => d.webhookId === [...ids][0]);
    });
    expect(log.attemptCount).toBe(3);
    expect(log.attempts.map((a: any) => a.statusCode)).toEqual([503, 503, 204]);
    expect(log.attempts[0]).toEqual(expect.objectContaining({ response: 'down 1', durationMs: expect.any(Number), at: expect.any(String) }));
    expect(log.payload.data.userId).toBe(member.id);
  });

  it('fails other 4xx at once; retry and retry-failed resend the same webhook-id and body with a new signature', async () => {
    const { slug } = await community();
    const conn = await connectStore(t.http, admin.accessToken, slug, receiver.url, ['member.joined']);
    receiver.answer = () => ({ status: 400, body: 'x'.repeat(3000) });
    const member = await createMember(t.http, admin.accessToken, slug);
    const failed = await eventually(async () => (await deliveries(slug, '?status=failed')).items.find((d: any) => d.payload.data.userId === member.id));
    expect(failed.attemptCount).toBe(1);
    expect(failed.attempts[0].response).toHaveLength(1024);
    const firstBody = receiver.received.find((r) => r.id === failed.webhookId)!;

    receiver.answer = () => ({ status: 200 });
    const otherAdmin = await createMember(t.http, admin.accessToken, (await community()).slug, 'admin');
    expectProblem(await t.http.post(`/api/v1/store/deliveries/${failed.id}/retry`, undefined, { token: otherAdmin.accessToken }), 404, 'NOT_FOUND');
    const retried = await t.http.post(`/api/v1/store/deliveries/${failed.id}/retry`, undefined, { token: admin.accessToken });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(expect.objectContaining({ id: failed.id, webhookId: failed.webhookId, status: 'pending' }));
    await eventually(() => receiver.received.filter((r) => r.id === failed.webhookId).length === 2);
    const resent = receiver.received.filter((r) => r.id === failed.webhookId)[1];
    expect(resent.body).toBe(firstBody.body);
    expect(verifyDelivery(conn.webhookSecret, resent)).toBeTruthy();

    // retry-failed replays every failed delivery since a time.
    receiver.answer = () => ({ status: 422 });
    const more = [await createMember(t.http, admin.accessToken, slug), await createMember(t.http, admin.accessToken, slug)];
    await eventually(async () => (await deliveries(slug, '?status=failed')).items.length === 2);
    receiver.answer = () => ({ status: 200 });
    expectProblem(await t.http.post(`/api/v1/communities/${slug}/store/deliveries/retry-failed`, { since: 'yesterday' }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
    const replay = await t.http.post(`/api/v1/communities/${slug}/store/deliveries/retry-failed`, { since: new Date(Date.now() - 60_000).toISOString() }, { token: admin.accessToken });
    expect(replay.body).toEqual({ replayed: 2 });
    await eventually(async () => (await deliveries(slug, '?status=delivered')).items.filter((d: any) => more.some((m) => m.id === d.payload.data.userId)).length === 2);
  });

  it('honours Retry-After on 429, and a 410 disables the connection', async () => {
    const { slug } = await community();
    await connectStore(t.http, admin.accessToken, slug, receiver.url, ['member.joined']);
    receiver.answer = () => ({ status: 429, headers: { 'retry-after': '120' } });
    const member = await createMember(t.http, admin.accessToken, slug);
    const waiting = await eventually(async () => (await deliveries(slug, '?status=pending')).items.find((d: any) => d.attemptCount === 1 && d.payload.data.userId === member.id));
    const waitMs = new Date(waiting.nextAttemptAt).getTime() - new Date(waiting.attempts[0].at).getTime();
    expect(waitMs).toBeGreaterThanOrEqual(119_000);

    const other = await community();
    await connectStore(t.http, admin.accessToken, other.slug, receiver.url, ['member.joined']);
    receiver.answer = () => ({ status: 410 });
    await createMember(t.http, admin.accessToken, other.slug);
    const conn = await eventually(async () => {
      const res = await t.http.get(`/api/v1/communities/${other.slug}/store`, { token: admin.accessToken });
      return res.body.enabled === false && res.body;
    });
    expect(conn.disabledReason).toMatch(/410/);
    const before = receiver.received.length;
    await createMember(t.http, admin.accessToken, other.slug);
    await new Promise((r) => setTimeout(r, 300));
    expect((await deliveries(other.slug, '?status=pending')).items).toHaveLength(0);
    expect(receiver.received.length).toBe(before);
  });

  it('signs with the old and the new secret for 24 h after a rotation', async () => {
    const { slug } = await community();
    const conn = await connectStore(t.http, admin.accessToken, slug, receiver.url, ['member.joined']);
    const rotated = await t.http.post(`/api/v1/communities/${slug}/store/rotate-secrets`, undefined, { token: admin.accessToken });
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhookSecret).not.toBe(conn.webhookSecret);
    const member = await createMember(t.http, admin.accessToken, slug);
    const r = (await eventually(() => receiver.received.find((x) => x.body.includes(member.id))))!;
    expect(r.signature.split(' ')).toHaveLength(2);
    expect(verifyDelivery(conn.webhookSecret, r)).toBeTruthy();
    expect(verifyDelivery(rotated.body.webhookSecret, r)).toBeTruthy();

    settings.advance(25 * 3_600_000);
    try {
      const later = await createMember(t.http, admin.accessToken, slug);
      const r2 = (await eventually(() => receiver.received.find((x) => x.body.includes(later.id))))!;
      expect(r2.signature.split(' ')).toHaveLength(1);
      expect(() => verifyDelivery(conn.webhookSecret, r2)).toThrow();
    } finally {
      settings.advance(-25 * 3_600_000);
    }
  });

  it('lists deliveries by status and type with cursors, and prunes delivered ones after 30 days', async () => {
    const { slug } = await community();
    await connectStore(t.http, admin.accessToken, slug, receiver.url, ['member.joined']);
    for (let i = 0; i < 3; i++) await createMember(t.http, admin.accessToken, slug);
    await eventually(async () => (await deliveries(slug, '?status=delivered')).items.length === 3);
    const page1 = await deliveries(slug, '?limit=2&type=member.joined');
    expect(page1.items).toHaveLength(2);
    const page2 = await deliveries(slug, `?limit=2&type=member.joined&cursor=${encodeURIComponent(page1.nextCursor)}`);
    expect(page2.items).toHaveLength(1);
    expect(page2.nextCursor).toBeNull();
    expectProblem(await t.http.get(`/api/v1/communities/${slug}/store/deliveries?status=lost`, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');

    settings.advance(31 * 24 * 3_600_000);
    try {
      await t.app.get(WebhookSender).prune();
    } finally {
      settings.advance(-31 * 24 * 3_600_000);
    }
    expect((await deliveries(slug)).items).toHaveLength(0);
  });

  it('sends nothing for communities without a connection and for unselected types', async () => {
    const { slug, id } = await community();
    const user = await registerUser(t.http);
    await t.http.post(`/api/v1/communities/${slug}/join`, undefined, { token: user.accessToken });
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received.some((r) => r.body.includes(user.id))).toBe(false);
    const [row] = await t.app.get(Db).query<{ n: string }>('SELECT count(*) AS n FROM store_deliveries WHERE community_id = $1', [id]);
    expect(Number(row.n)).toBe(0);
  });
});
