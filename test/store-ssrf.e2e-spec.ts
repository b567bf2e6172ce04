import { WebhookSettings } from '../src/store/webhook-settings';
import { startApp, TestApp } from './support/app';
import { createCommunity, createMember, eventually, loginAdmin, TestUser } from './support/factories';
import { expectProblem } from './support/http';
import { connectStore, Receiver } from './support/store';

describe('store webhooks: SSRF', () => {
  describe('with private networks not allowed (the default)', () => {
    let t: TestApp;
    let admin: TestUser;
    let slug: string;

    beforeAll(async () => {
      t = await startApp();
      admin = await loginAdmin(t.http);
      ({ slug } = await createCommunity(t.http, admin.accessToken));
    });
    afterAll(() => t?.close());

    it.each([
      'http://127.0.0.1/hooks',
      'http://10.0.0.1/hooks',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hooks',
      'http://[::ffff:127.0.0.1]/hooks',
      'http://[::ffff:a9fe:a9fe]/hooks',
      'https://192.168.1.20:8443/hooks',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://localhost:3000/hooks',
    ])('refuses %s', async (url) => {
      const res = await t.http.put(`/api/v1/communities/${slug}/store`, { webhookUrl: url }, { token: admin.accessToken });
      expectProblem(res, 422, 'WEBHOOK_URL_NOT_ALLOWED');
      expectProblem(await t.http.get(`/api/v1/communities/${slug}/store`, { token: admin.accessToken }), 404, 'STORE_NOT_CONNECTED');
    });

    it.each(['file:///etc/passwd', 'ftp://example.com/hooks', 'gopher://127.0.0.1/', 'not a url', 'https://user:pw@example.com/hooks'])('refuses %s as not http(s)', async (url) => {
      expectProblem(await t.http.put(`/api/v1/communities/${slug}/store`, { webhookUrl: url }, { token: admin.accessToken }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('at delivery time', () => {
    let t: TestApp;
    let admin: TestUser;
    let settings: WebhookSettings;
    let receiver: Receiver;
    let inside: Receiver;

    beforeAll(async () => {
      t = await startApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
      admin = await loginAdmin(t.http);
      settings = t.app.get(WebhookSettings);
      settings.retryDelaysMs = [100];
      settings.jitter = 0;
      receiver = await new Receiver().start();
      inside = await new Receiver().start('/internal');
    });
    afterAll(async () => {
      await t?.close();
      await receiver?.close();
      await inside?.close();
    });

    it('never follows a redirect (to a private address): a 3xx is a failed attempt', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      await connectStore(t.http, admin.accessToken, slug, receiver.url, ['member.joined']);
      receiver.answer = () => ({ status: 302, headers: { location: inside.url } });
      const member = await createMember(t.http, admin.accessToken, slug);
      const failed = await eventually(async () => {
        const res = await t.http.get(`/api/v1/communities/${slug}/store/deliveries?status=failed`, { token: admin.accessToken });
        return res.body.items.find((d: any) => d.payload.data.userId === member.id);
      });
      expect(failed.attempts.map((a: any) => a.statusCode)).toEqual([302]);
      expect(inside.received).toHaveLength(0);
    });

    it('checks the address actually connected to on every attempt (the setting turned off after the URL was saved)', async () => {
      const { slug } = await createCommunity(t.http, admin.accessToken);
      const localhostUrl = receiver.url.replace('127.0.0.1', 'localhost');
      await connectStore(t.http, admin.accessToken, slug, localhostUrl, ['member.joined']);
      receiver.answer = () => ({ status: 200 });
      const before = receiver.received.length;
      settings.allowPrivateNetworks = false;
      try {
        const member = await createMember(t.http, admin.accessToken, slug);
        const refused = await eventually(async () => {
          const res = await t.http.get(`/api/v1/communities/${slug}/store/deliveries`, { token: admin.accessToken });
          return res.body.items.find((d: any) => d.payload.data.userId === member.id && d.attemptCount >= 1);
        });
        expect(refused.attempts[0]).toEqual(expect.objectContaining({ statusCode: null, error: expect.stringMatching(/not a public address/) }));
        expect(receiver.received.length).toBe(before);
      } finally {
        settings.allowPrivateNetworks = true;
      }
    });
  });
});
