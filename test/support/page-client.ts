import { expect } from '@jest/globals';

/**
 * A browser-like HTTP client for page tests without a browser: keeps cookies, posts multipart
 * forms as the pages do, reads the CSRF token out of a page.
 */
export class PageClient {
  cookies = new Map<string, string>();
  constructor(private readonly baseUrl: string) {}

  async get(path: string) {
    const res = await fetch(this.baseUrl + path, { headers: this.headers(), redirect: 'manual' });
    this.keep(res);
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  /** Posts a multipart form; a Blob field is sent as a file named `fileName`. */
  async post(path: string, fields: Record<string, string | Blob>, extra: Record<string, string> = {}, fileName = 'upload.png') {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v === 'string') form.append(k, v);
      else form.append(k, v, fileName);
    }
    const res = await fetch(this.baseUrl + path, { method: 'POST', body: form, headers: { ...this.headers(), ...extra }, redirect: 'manual' });
    this.keep(res);
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  csrfFrom(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no csrf token in page');
    return m[1];
  }

  /** The Cookie header this client sends. */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private headers(): Record<string, string> {
    return this.cookies.size ? { cookie: this.cookieHeader() } : {};
  }

  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (attrs.some((a) => a.trim() === 'Max-Age=0')) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** Logs in through the log-in page; the client then holds the session cookie. */
export async function signInPage(baseUrl: string, email: string, password: string): Promise<PageClient> {
  const client = new PageClient(baseUrl);
  const page = await client.get('/login');
  const res = await client.post('/login', { _csrf: client.csrfFrom(page.text), email, password, next: '/' });
  expect(res.status).toBe(303);
  return client;
}
