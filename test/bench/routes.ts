import { BenchContext, BenchRoute, call } from './harness';

/** Credentials the server is started with (run.ts passes them as ADMIN_EMAIL / ADMIN_PASSWORD). */
export const ADMIN = { email: 'bench-admin@hearth.test', password: 'bench admin password 1' };
export const MEMBER = { email: 'bench-member@hearth.test', password: 'bench member password 1', displayName: 'Bench' };
export const COMMUNITY = { slug: 'bench', name: 'Bench' };

export interface SeededContext extends BenchContext {
  adminToken: string;
  memberToken: string;
  communitySlug: string;
}

/** Builds the shared world every route can rely on, over HTTP: the admin, one community, one member in it. */
export async function seed(baseUrl: string): Promise<SeededContext> {
  const { accessToken: adminToken } = await call<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/login', { body: ADMIN, expect: 200 });
  await call(baseUrl, 'POST', '/api/v1/communities', { body: COMMUNITY, token: adminToken, expect: 201 });
  const { accessToken: memberToken } = await call<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/register', { body: MEMBER, expect: 201 });
  await call(baseUrl, 'POST', `/api/v1/communities/${COMMUNITY.slug}/join`, { token: memberToken, expect: 201 });
  return { baseUrl, adminToken, memberToken, communitySlug: COMMUNITY.slug };
}

const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });

/**
 * The routes measured, in order. Add a row to benchmark a new route: `headers`, `path` and `body` take a value
 * or a function of the seeded context; `setup` runs once before the route (create what it reads, return overrides).
 */
export const routes: BenchRoute[] = [
  // Baseline: the cheapest request that still reaches the database (one `SELECT 1`).
  { name: 'health', method: 'GET', path: '/health/ready', baseline: true },
  { name: 'community', method: 'GET', path: `/api/v1/communities/${COMMUNITY.slug}` },
  { name: 'me', method: 'GET', path: '/api/v1/me', headers: (ctx) => bearer(ctx.memberToken) },
];
