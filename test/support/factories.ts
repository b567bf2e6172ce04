import { randomBytes } from 'node:crypto';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './app';
import { Http } from './http';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  displayName: string;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;
export function unique(prefix = 'x'): string {
  counter += 1;
  return `${prefix}${counter}${randomBytes(3).toString('hex')}`;
}

export async function registerUser(http: Http, overrides: Partial<{ email: string; password: string; displayName: string }> = {}): Promise<TestUser> {
  const email = overrides.email ?? `${unique('user')}@example.com`;
  const password = overrides.password ?? `a fine password ${randomBytes(4).toString('hex')}`;
  const displayName = overrides.displayName ?? unique('Member ');
  const res = await http.post('/api/v1/auth/register', { email, password, displayName });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { id: res.body.user.id, email, password, displayName, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

export async function loginAdmin(http: Http): Promise<TestUser> {
  const res = await http.post('/api/v1/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${res.text}`);
  return {
    id: res.body.user.id,
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
    displayName: res.body.user.displayName,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
  };
}

export async function createCommunity(http: Http, adminToken: string, slug = unique('c')): Promise<{ id: string; slug: string }> {
  const res = await http.post('/api/v1/communities', { slug, name: `Community ${slug}` }, { token: adminToken });
  if (res.status !== 201) throw new Error(`create community failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Registers a user and gives them `role` in the community (joining as member, then promoted by the platform admin). */
export async function createMember(http: Http, adminToken: string, slug: string, role: 'member' | 'staff' | 'moderator' | 'admin' = 'member'): Promise<TestUser> {
  const user = await registerUser(http);
  const joined = await http.post(`/api/v1/communities/${slug}/join`, undefined, { token: user.accessToken });
  if (joined.status !== 201) throw new Error(`join failed: ${joined.status} ${joined.text}`);
  if (role !== 'member') {
    const res = await http.put(`/api/v1/communities/${slug}/members/${user.id}/role`, { role }, { token: adminToken });
    if (res.status !== 200) throw new Error(`set role failed: ${res.status} ${res.text}`);
  }
  return user;
}

/** Polls until `check` returns a truthy value (for after-commit work such as event dispatch). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
