import { startApp, TestApp } from './support/app';
import { createCommunity, loginAdmin, registerUser, TestUser, unique } from './support/factories';
import { PageClient, signInPage } from './support/page-client';
import { connectStore, ssoRequest } from './support/store';

/** The store's single sign-on landed in a browser: /c/:slug/sso signs the browser in with the session cookie. */
describe('SSO landing page', () => {
  let t: TestApp;
  let admin: TestUser;
  let slug: string;
  let ssoSecret: string;

  beforeAll(async () => {
    t = await startApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    admin = await loginAdmin(t.http);
    ({ slug } = await createCommunity(t.http, admin.accessToken));
    ({ ssoSecret } = await connectStore(t.http, admin.accessToken, slug, 'http://127.0.0.1:9/hooks', ['member.joined']));
  }, 120_000);
  afterAll(() => t?.close());

  const landing = (req: { payload: string; sig: string }, next?: string) =>
    `/c/${slug}/sso?${new URLSearchParams({ ...req, ...(next ? { next } : {}) }).toString()}`;
  const customer = () => ({ storeCustomerId: unique('cus'), email: `${unique('buyer')}@example.com`, name: 'Ann Buyer' });

  it('signs a browser in, joins the community and goes on to the page asked for; the link works once', async () => {
    const browser = new PageClient(t.baseUrl);
    const req = ssoRequest(ssoSecret, customer());
    const res = await browser.get(landing(req, `/c/${slug}/points`));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/c/${slug}/points`);
    const home = await browser.get(`/c/${slug}`);
    expect(home.text).toContain('Signed in as <strong>Ann Buyer</strong>');
    expect((await browser.get(`/c/${slug}/points`)).status).toBe(200); // a member now

    const again = await new PageClient(t.baseUrl).get(landing(req));
    expect(again.status).toBe(409);
    expect(again.text).toContain('This SSO nonce was already used');
  });

  it('refuses a bad signature, an expired or incomplete link with an error page, and never goes off-site', async () => {
    const browser = new PageClient(t.baseUrl);
    const forged = ssoRequest('whsec_not-the-secret', customer());
    const bad = await browser.get(landing(forged));
    expect(bad.status).toBe(403);
    expect(bad.text).toContain('ask the store for a new sign-in link');
    expect(browser.cookies.has('hearth_session')).toBe(false);

    const expired = await browser.get(landing(ssoRequest(ssoSecret, { ...customer(), exp: Math.floor(Date.now() / 1000) - 5 })));
    expect(expired.status).toBeGreaterThanOrEqual(400);
    expect(expired.status).toBeLessThan(500);
    expect(browser.cookies.has('hearth_session')).toBe(false);

    const incomplete = await browser.get(`/c/${slug}/sso?payload=abc`);
    expect(incomplete.status).toBe(400);
    expect(incomplete.text).toContain('This sign-in link is not complete');

    const offsite = await browser.get(landing(ssoRequest(ssoSecret, customer()), '//evil.example/x'));
    expect(offsite.status).toBe(303);
    expect(offsite.headers.get('location')).toBe('/');

    expect((await new PageClient(t.baseUrl).get(`/c/no-such-community/sso?payload=a&sig=${'0'.repeat(64)}`)).status).toBe(404);
  });

  it('asks a browser that is already signed in before switching, with a CSRF-protected form', async () => {
    const member = await registerUser(t.http);
    const browser = await signInPage(t.baseUrl, member.email, member.password);
    const req = ssoRequest(ssoSecret, customer());
    const ask = await browser.get(landing(req));
    expect(ask.status).toBe(200);
    expect(ask.text).toContain("<button type=\"submit\">Continue as the store's customer</button>");
    expect((await browser.get(`/c/${slug}`)).text).toContain(`Signed in as <strong>${member.displayName}</strong>`);

    const forged = await browser.post(`/c/${slug}/sso`, { payload: req.payload, sig: req.sig, next: `/c/${slug}` });
    expect(forged.status).toBe(403);

    const confirmed = await browser.post(`/c/${slug}/sso`, { _csrf: browser.csrfFrom(ask.text), payload: req.payload, sig: req.sig, next: `/c/${slug}` });
    expect(confirmed.status).toBe(303);
    expect((await browser.get(`/c/${slug}`)).text).toContain('Signed in as <strong>Ann Buyer</strong>');
  });
});
