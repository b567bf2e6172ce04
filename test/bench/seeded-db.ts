import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Helpers the benchmarks share for working on their scratch database directly. */

/** The p-th percentile of an ascending list (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs `fn` with a connection of its own, closed afterwards. */
export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Access tokens for seeded users (sessions inserted with SQL: no password hashing for a thousand accounts). */
export async function mintTokens(databaseUrl: string, userIds: string[]): Promise<string[]> {
  const tokens = userIds.map(() => `hat_${randomBytes(32).toString('base64url')}`);
  const hashes = tokens.map((t) => createHash('sha256').update(t).digest('hex'));
  await withClient(databaseUrl, (c) =>
    c.query(
      `INSERT INTO sessions (user_id, access_token_hash, access_expires_at, refresh_expires_at)
       SELECT u, h, now() + interval '6 hours', now() + interval '6 hours' FROM unnest($1::uuid[], $2::text[]) AS x(u, h)`,
      [userIds, hashes],
    ),
  );
  return tokens;
}
