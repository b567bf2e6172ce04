import { resolve } from 'node:path';
import { Client } from 'pg';
import { call, RunningServer, startServer } from './bench/harness';
import { ADMIN_EMAIL, ADMIN_PASSWORD, describeIfPostgres } from './support/app';
import { createScratchDatabase } from './support/database';
import { eventually } from './support/factories';
import { Receiver, verifyDelivery } from './support/store';

const EVENTS = 1000;

/**
 * At-least-once across a crash: the server (a child process on PostgreSQL) is killed with SIGKILL
 * while it sends a burst of 1,000 webhooks, then started again on the same database. Every event
 * arrives; an event that arrives twice (sent, then its lease expired after the crash) keeps its
 * webhook-id. Needs `npm run build` (dist/src/main.js).
 */
describeIfPostgres('store webhooks survive SIGKILL mid-burst (PostgreSQL)', () => {
  jest.setTimeout(240_000);
  let db: { url: string; drop(): Promise<void> };
  let server: RunningServer | null = null;
  let receiver: Receiver;
  const env = {
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    REGISTRATIONS_PER_IP_PER_HOUR: '100000',
    LOGINS_PER_IP_PER_MINUTE: '100000',
    LOG_LEVEL: 'error',
  };
  const mainPath = resolve(__dirname, '../dist/src/main.js');

  beforeAll(async () => {
    db = await createScratchDatabase(process.env.DATABASE_URL!, 'hearth_store_crash');
    receiver = await new Receiver().start();
    // A receiver that takes a moment, so the kill lands with deliveries in flight and many still due.
    receiver.answer = () => ({ status: 200, delayMs: 30 });
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
    await db?.drop();
  });

  it('delivers every event, duplicates only under the same webhook-id', async () => {
    server = await startServer({ databaseUrl: db.url, env, mainPath });
    const login = await call(server.baseUrl, 'POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    const token = login.accessToken as string;
    await call(server.baseUrl, 'POST', '/api/v1/communities', { token, body: { slug: 'crashtest', name: 'Crash test' } });
    await call(server.baseUrl, 'PATCH', '/api/v1/communities/crashtest/settings', { token, body: { postCooldownSeconds: 0 } });
    const conn = await call(server.baseUrl, 'PUT', '/api/v1/communities/crashtest/store', { token, body: { webhookUrl: receiver.url, events: ['thread.created'] } });
    const board = await call(server.baseUrl, 'POST', '/api/v1/communities/crashtest/boards', { token, body: { slug: 'b', name: 'B', kind: 'discussion', visibility: 'public' } });

    // The burst: up to 1,000 threads (each records thread.created), 10 requests at a time; the server
    // is killed half-way, with requests, commits and deliveries in flight.
    let next = 0;
    let killed = false;
    const base = server.baseUrl;
    const pid = server.pid!;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < EVENTS && !killed) {
          const i = next++;
          try {
            await call(base, 'POST', `/api/v1/boards/${board.id}/threads`, { token, body: { title: `Burst ${i}`, body: 'x' } });
          } catch {
            return; // the server is gone
          }
          if (i === EVENTS / 2 && !killed) {
            killed = true;
            process.kill(pid, 'SIGKILL');
          }
        }
      }),
    );
    await server.stop();
    expect(killed).toBe(true);
    const atKill = new Set(receiver.received.map((r) => r.id)).size;

    server = await startServer({ databaseUrl: db.url, env, mainPath });
    const threadIdOf = (body: string) => JSON.parse(body).data.threadId as string;
    // The rest of the burst goes to the restarted server.
    const login2 = await call(server.baseUrl, 'POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    for (let i = next; i < EVENTS; i++) {
      await call(server.baseUrl, 'POST', `/api/v1/boards/${board.id}/threads`, { token: login2.accessToken, body: { title: `Burst ${i}`, body: 'x' } });
    }
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const committed = (await pg.query<{ id: string }>(`SELECT id FROM threads`)).rows.map((r) => r.id);
    expect(committed.length).toBeGreaterThanOrEqual(EVENTS - 10); // at most the 10 requests cut by the kill are lost (never answered)
    expect(atKill).toBeLessThan(committed.length);
    await eventually(() => new Set(receiver.received.map((r) => threadIdOf(r.body))).size >= committed.length, 120_000, 200);
    // Deliveries that reached the receiver just before the kill stay leased (and pending) until their
    // lease expires; then they are sent again under the same webhook-id and settle. Wait for that.
    const settled = async () => (await pg.query(`SELECT count(*)::int AS n FROM store_deliveries WHERE status <> 'delivered'`)).rows[0].n === 0;
    await eventually(settled, 120_000, 500);

    const idsByThread = new Map<string, Set<string>>();
    for (const r of receiver.received) {
      const tid = threadIdOf(r.body);
      idsByThread.set(tid, (idsByThread.get(tid) ?? new Set()).add(r.id));
      expect(verifyDelivery(conn.webhookSecret, r)).toBeTruthy();
    }
    expect([...idsByThread.keys()].sort()).toEqual([...committed].sort());
    expect([...idsByThread.values()].every((ids) => ids.size === 1)).toBe(true);

    try {
      const { rows } = await pg.query(`SELECT status, count(*)::int AS n FROM store_deliveries GROUP BY status`);
      expect(rows).toEqual([{ status: 'delivered', n: committed.length }]);
    } finally {
      await pg.end();
    }
  });
});
