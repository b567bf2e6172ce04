import { Db } from '../src/core/database/db.service';
import { startApp, TestApp } from './support/app';
import { createBoard, createThread, NO_LIMITS, reply, setSettings } from './support/content';
import { createCommunity, createMember, eventually, loginAdmin, registerUser, TestUser, unique } from './support/factories';
import { expectProblem } from './support/http';
import { connectStore, sendInbound, ssoRequest } from './support/store';

describe('store inbound events and single sign-on', () => {
  let t: TestApp;
  let db: Db;
  let admin: TestUser;
  let slug: string;
  let communityId: string;
  let secrets: { inboundSecret: string; ssoSecret: string; webhookSecret: string };
  let board: { id: string };

  beforeAll(async () => {
    t = await startApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    db = t.app.get(Db);
    admin = await loginAdmin(t.http);
    ({ slug, id: communityId } = (await createCommunity(t.http, admin.accessToken)) as any);
    await setSettings(t.http, admin.accessToken, slug, NO_LIMITS);
    // Nothing listens there: outbound deliveries just fail; this spec is about what comes in.
    secrets = await connectStore(t.http, admin.accessToken, slug, 'http://127.0.0.1:9/hooks', ['member.joined']);
    board = await createBoard(t.http, admin.accessToken, slug, { slug: 'reviews' });
    const rules = await t.http.put(`/api/v1/communities/${slug}/loyalty/rules`, { orderPointsPerUnit: 1 }, { token: admin.accessToken });
    if (rules.status !== 200) throw new Error(`loyalty rules: ${rules.status} ${rules.text}`);
  });
  afterAll(() => t?.close());

  const sso = (claims: Parameters<typeof ssoRequest>[1], secret = secrets.ssoSecret) => t.http.post(`/api/v1/communities/${slug}/sso`, ssoRequest(secret, claims));
  const customer = () => ({ storeCustomerId: unique('cust_'), email: `${unique('buyer')}@shop.test`, name: 'Store Buyer' });
  const storeView = async (userId: string, token = admin.accessToken) => (await t.http.get(`/api/v1/communities/${slug}/store/members/${userId}`, { token })).body;
  const postOf = async (threadId: string, postId: string, token: string) =>
    (await t.http.get(`/api/v1/threads/${threadId}/posts`, { token })).body.items.find((p: any) => p.id === postId);
  const usersWithEmail = async (email: string) => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM users WHERE lower(email) = lower($1)', [email]))[0].n);
  const ledger = async (token: string) => (await t.http.get(`/api/v1/communities/${slug}/loyalty/me/ledger`, { token })).body.items;

  describe('single sign-on', () => {
    it('creates and links an account, joins it as a member, and signs the same account in next time', async () => {
      const c = customer();
      const first = await sso(c);
      expect(first.status).toBe(200);
      expect(first.body).toEqual(expect.objectContaining({ accessToken: expect.any(String), refreshToken: expect.any(String), user: expect.objectContaining({ email: c.email, displayName: 'Store Buyer' }) }));
      const me = await t.http.get('/api/v1/me', { token: first.body.accessToken });
      expect(me.body.memberships.map((m: any) => [m.community.slug, m.role])).toEqual([[slug, 'member']]);
      const again = await sso(c);
      expect(again.status).toBe(200);
      expect(again.body.user.id).toBe(first.body.user.id);
      expect((await storeView(first.body.user.id, first.body.accessToken)).storeCustomerId).toBe(c.storeCustomerId);
    });

    it('refuses a forged signature, an expired payload and a replayed nonce, with no effect', async () => {
      const c = customer();
      expectProblem(await sso(c, 'whsec_not-the-secret'), 401, 'INVALID_SIGNATURE');
      const tampered = ssoRequest(secrets.ssoSecret, c);
      tampered.payload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(tampered.payload, 'base64').toString()), email: 'evil@x.test' })).toString('base64');
      expectProblem(await t.http.post(`/api/v1/communities/${slug}/sso`, tampered), 401, 'INVALID_SIGNATURE');
      expectProblem(await sso({ ...c, exp: Math.floor(Date.now() / 1000) - 5 } as any), 401, 'SSO_EXPIRED');
      expect(await usersWithEmail(c.email)).toBe(0);

      const request = ssoRequest(secrets.ssoSecret, { ...c, nonce: unique('nonce-') } as any);
      expect((await t.http.post(`/api/v1/communities/${slug}/sso`, request)).status).toBe(200);
      const [{ n: sessionsBefore }] = await db.query<{ n: string }>('SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE lower(u.email) = lower($1)', [c.email]);
      expectProblem(await t.http.post(`/api/v1/communities/${slug}/sso`, request), 409, 'SSO_NONCE_REUSED');
      const [{ n: sessionsAfter }] = await db.query<{ n: string }>('SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE lower(u.email) = lower($1)', [c.email]);
      expect(sessionsAfter).toBe(sessionsBefore);
      expectProblem(await t.http.post(`/api/v1/communities/${slug}/sso`, { payload: 'bm90IGpzb24=', sig: 'ab'.repeat(32) }), 401, 'INVALID_SIGNATURE');
    });

    it('will not take over a local account: an email in use is 409 EMAIL_IN_USE', async () => {
      const local = await registerUser(t.http);
      expectProblem(await sso({ ...customer(), email: local.email.toUpperCase() }), 409, 'EMAIL_IN_USE');
      expect((await db.query('SELECT 1 FROM store_customers WHERE user_id = $1', [local.id])).length).toBe(0);
    });

    it('refuses a banned member', async () => {
      const c = customer();
      const first = await sso(c);
      const ban = await t.http.post(`/api/v1/communities/${slug}/sanctions`, { userId: first.body.user.id, kind: 'ban', reason: 'fraud' }, { token: admin.accessToken });
      expect(ban.status).toBe(201);
      expectProblem(await sso(c), 403, 'BANNED');
    });

    it('is per community: another community has its own secret', async () => {
      const other = await createCommunity(t.http, admin.accessToken);
      const res = await t.http.post(`/api/v1/communities/${other.slug}/sso`, ssoRequest(secrets.ssoSecret, customer()));
      expectProblem(res, 404, 'STORE_NOT_CONNECTED');
    });
  });

  describe('inbound events', () => {
    it('order.paid makes a verified buyer (earlier and later posts), records order.paid for loyalty; a refund takes both back', async () => {
      const c = customer();
      const buyer = (await sso(c)).body;
      const early = await createThread(t.http, buyer.accessToken, board.id, { title: 'Before I bought it', productSkus: ['KET-1'] });
      const unrelated = await createThread(t.http, buyer.accessToken, board.id, { title: 'Something else', productSkus: ['MUG-9'] });
      expect(early.firstPost.verifiedBuyer).toBe(false);

      const orderId = unique('ord');
      const paid = await sendInbound(t.http, slug, secrets.inboundSecret, {
        type: 'order.paid',
        data: { customerId: c.storeCustomerId, orderId, total: 42.5, currency: 'EUR', items: [{ sku: 'KET-1', quantity: 1 }] },
      });
      expect(paid.status).toBe(200);
      expect(paid.body).toEqual({ status: 'applied', webhookId: paid.webhookId });
      expect((await postOf(early.id, early.firstPost.id, buyer.accessToken)).verifiedBuyer).toBe(true);
      expect((await postOf(unrelated.id, unrelated.firstPost.id, buyer.accessToken)).verifiedBuyer).toBe(false);
      const later = await reply(t.http, buyer.accessToken, early.id, 'Still happy with it');
      expect(later.verifiedBuyer).toBe(true);
      const newThread = await createThread(t.http, buyer.accessToken, board.id, { title: 'Descaling', productSkus: ['KET-1'] });
      expect(newThread.firstPost.verifiedBuyer).toBe(true);
      expect((await storeView(buyer.user.id)).verifiedBuyerSkus).toEqual(['KET-1']);
      const earned = await eventually(async () => (await ledger(buyer.accessToken)).find((e: any) => e.rule === 'order_paid'));
      expect(earned.points).toBe(42);

      const refunded = await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.refunded', data: { customerId: c.storeCustomerId, orderId } });
      expect(refunded.status).toBe(200);
      expect((await postOf(early.id, early.firstPost.id, buyer.accessToken)).verifiedBuyer).toBe(false);
      expect((await postOf(early.id, later.id, buyer.accessToken)).verifiedBuyer).toBe(false);
      expect((await storeView(buyer.user.id)).verifiedBuyerSkus).toEqual([]);
      const reversal = await eventually(async () => (await ledger(buyer.accessToken)).find((e: any) => e.kind === 'reversal' && e.reversesEntryId === earned.id));
      expect(reversal.points).toBe(-42);
    });

    it('keeps the mark while another paid order holds the SKU', async () => {
      const c = customer();
      const buyer = (await sso(c)).body;
      const thread = await createThread(t.http, buyer.accessToken, board.id, { title: 'Grinder review', productSkus: ['GR-2'] });
      const orders = [unique('ord'), unique('ord')];
      for (const orderId of orders) {
        const res = await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.paid', data: { customerId: c.storeCustomerId, orderId, total: 10, currency: 'USD', items: [{ sku: 'GR-2', quantity: 1 }] } });
        expect(res.status).toBe(200);
      }
      await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.refunded', data: { customerId: c.storeCustomerId, orderId: orders[0] } });
      expect((await postOf(thread.id, thread.firstPost.id, buyer.accessToken)).verifiedBuyer).toBe(true);
      await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.refunded', data: { customerId: c.storeCustomerId, orderId: orders[1] } });
      expect((await postOf(thread.id, thread.firstPost.id, buyer.accessToken)).verifiedBuyer).toBe(false);
    });

    it('customer.tier_changed shows the tier badge; events for a customer not linked yet apply at their first sign-in', async () => {
      const c = customer();
      const tier = await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'customer.tier_changed', data: { customerId: c.storeCustomerId, tier: 'VIP Gold' } });
      expect(tier.body.status).toBe('pending');
      const paid = await sendInbound(t.http, slug, secrets.inboundSecret, {
        type: 'order.paid',
        data: { customerId: c.storeCustomerId, orderId: unique('ord'), total: 5, currency: 'EUR', items: [{ sku: 'BEAN-1', quantity: 2 }] },
      });
      expect(paid.body.status).toBe('pending');
      const buyer = (await sso(c)).body;
      const view = await storeView(buyer.user.id);
      expect(view).toEqual(expect.objectContaining({ storeTier: 'VIP Gold', linked: true, verifiedBuyerSkus: ['BEAN-1'], storeCustomerId: c.storeCustomerId }));
      const member = await createMember(t.http, admin.accessToken, slug);
      const seenByMember = await storeView(buyer.user.id, member.accessToken);
      expect(seenByMember.storeTier).toBe('VIP Gold');
      expect(seenByMember.storeCustomerId).toBeUndefined();
      const outsider = await createMember(t.http, admin.accessToken, (await createCommunity(t.http, admin.accessToken)).slug);
      expectProblem(await t.http.get(`/api/v1/communities/${slug}/store/members/${buyer.user.id}`, { token: outsider.accessToken }), 403, 'FORBIDDEN');
    });

    it('refuses forged, tampered, stale, replayed, unknown and malformed events, with no effect', async () => {
      const c = customer();
      const buyer = (await sso(c)).body;
      const data = { customerId: c.storeCustomerId, orderId: unique('ord'), total: 1, currency: 'EUR', items: [{ sku: 'X-1', quantity: 1 }] };
      expectProblem(await sendInbound(t.http, slug, secrets.webhookSecret, { type: 'order.paid', data }), 401, 'INVALID_SIGNATURE');
      expectProblem(await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.paid', data }, { tamper: (b) => b.replace('"total":1', '"total":1000') }), 401, 'INVALID_SIGNATURE');
      expectProblem(await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.paid', data }, { at: new Date(Date.now() - 6 * 60_000) }), 401, 'STALE_TIMESTAMP');
      expectProblem(await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.shipped', data }), 400, 'VALIDATION_FAILED');
      expectProblem(await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.paid', data: { ...data, items: [] } }), 400, 'VALIDATION_FAILED');
      expectProblem(await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.paid', data: { ...data, currency: 'euro' } }), 400, 'VALIDATION_FAILED');
      const missing = await t.http.request('POST', `/api/v1/communities/${slug}/store/events`, { body: { type: 'order.paid', timestamp: new Date().toISOString(), data } });
      expectProblem(missing, 401, 'INVALID_SIGNATURE');
      expect((await storeView(buyer.user.id)).verifiedBuyerSkus).toEqual([]);

      const ok = await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.paid', data });
      expect(ok.status).toBe(200);
      const replay = await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.paid', data: { ...data, orderId: unique('ord') } }, { id: ok.webhookId });
      expectProblem(replay, 409, 'WEBHOOK_REPLAYED');
      expect(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM store_orders WHERE customer_id = $1', [c.storeCustomerId]))[0].n)).toBe(1);
      expectProblem(await sendInbound(t.http, slug, secrets.inboundSecret, { type: 'order.refunded', data: { customerId: c.storeCustomerId, orderId: 'never-paid' } }), 422, 'ORDER_NOT_FOUND');
    });

    it('accepts the previous inbound secret for 24 h after a rotation', async () => {
      const other = await createCommunity(t.http, admin.accessToken);
      const conn = await connectStore(t.http, admin.accessToken, other.slug, 'http://127.0.0.1:9/hooks', ['member.joined']);
      const rotated = (await t.http.post(`/api/v1/communities/${other.slug}/store/rotate-secrets`, undefined, { token: admin.accessToken })).body;
      const event = { type: 'customer.tier_changed', data: { customerId: 'c1', tier: 'Gold' } };
      expect((await sendInbound(t.http, other.slug, conn.inboundSecret, event)).status).toBe(200);
      expect((await sendInbound(t.http, other.slug, rotated.inboundSecret, event)).status).toBe(200);
      expectProblem(await sendInbound(t.http, slug, rotated.inboundSecret, event), 401, 'INVALID_SIGNATURE');
    });
  });
});
