/**
 * Set-up for `npm run bench:chat` (chat.ts): settings, the server instances on a scratch database, the
 * community, room and members over HTTP, and the forked client processes (chat-client.ts).
 */
import { ChildProcess, fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { createScratchDatabase } from '../support/database';
import { call, findFreePort, RunningServer, startServer } from './harness';
import { pool, WorkerCommand, WorkerReply } from './chat-client';
import { MemoryProbe, MemorySample } from './memory';

export const ADMIN = { email: 'bench-admin@hearth.test', password: 'bench admin password 1' };
export const MAX_SOCKETS_PER_USER = 10;

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return Number(raw);
}

export function readSettings() {
  const clients = intEnv('BENCH_CHAT_CLIENTS', 1000, 1);
  const senders = intEnv('BENCH_CHAT_SENDERS', 10, 1);
  const users = intEnv('BENCH_CHAT_USERS', Math.max(senders, Math.ceil(clients / 5)), 1);
  const s = {
    clients,
    seconds: intEnv('BENCH_CHAT_SECONDS', 30, 1),
    rate: intEnv('BENCH_CHAT_RATE', 20, 1),
    senders,
    users,
    workers: intEnv('BENCH_CHAT_WORKERS', 2, 1),
    instances: (process.env.BENCH_CHAT_INSTANCES || '1,2').split(',').map((x) => Number(x.trim())),
    databaseUrl: process.env.DATABASE_URL || null,
    redisUrl: process.env.REDIS_URL || null,
  };
  if (senders > clients) throw new Error(`BENCH_CHAT_SENDERS (${senders}) must not exceed BENCH_CHAT_CLIENTS (${clients})`);
  if (users < senders) throw new Error(`BENCH_CHAT_USERS (${users}) must be at least BENCH_CHAT_SENDERS (${senders})`);
  if (users * MAX_SOCKETS_PER_USER < clients) throw new Error(`${clients} clients need at least ${Math.ceil(clients / MAX_SOCKETS_PER_USER)} users (the server allows ${MAX_SOCKETS_PER_USER} sockets per user)`);
  if (s.instances.some((n) => n !== 1 && n !== 2)) throw new Error('BENCH_CHAT_INSTANCES lists runs of 1 and/or 2 instances, e.g. "1,2"');
  return s;
}
export type Settings = ReturnType<typeof readSettings>;

/** Clean-up steps, run in reverse order by chat.ts (also on error or Ctrl-C). */
export type Cleanups = Array<() => Promise<void> | void>;
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
const note = (line: string) => process.stderr.write(line + '\n');

// ---------------------------------------------------------------------------------------------
// Client worker processes
// ---------------------------------------------------------------------------------------------

export class Worker {
  private readonly child: ChildProcess;
  private waiting: { type: WorkerReply['type']; resolve: (m: WorkerReply) => void; reject: (e: Error) => void } | null = null;
  private exited = false;

  constructor(readonly id: number) {
    this.child = fork(resolve(__dirname, 'chat-client.js'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: WorkerReply) => {
      const w = this.waiting;
      if (!w) return;
      this.waiting = null;
      if (m.type === 'error') w.reject(new Error(`client worker ${id}: ${m.message}`));
      else if (m.type !== w.type) w.reject(new Error(`client worker ${id}: expected ${w.type}, got ${m.type}`));
      else w.resolve(m);
    });
    this.child.on('exit', (code) => {
      this.exited = true;
      this.waiting?.reject(new Error(`client worker ${id} exited (code ${code})`));
      this.waiting = null;
    });
  }

  get pid() {
    return this.child.pid;
  }

  ask<T extends WorkerReply['type']>(cmd: WorkerCommand, type: T): Promise<Extract<WorkerReply, { type: T }>> {
    if (this.exited) return Promise.reject(new Error(`client worker ${this.id} has exited`));
    return new Promise((res, rej) => {
      this.waiting = { type, resolve: res as (m: WorkerReply) => void, reject: rej };
      this.child.send(cmd);
    });
  }

  async close() {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    try {
      this.child.send({ type: 'close' } satisfies WorkerCommand);
    } catch {
      /* already disconnected */
    }
    if ((await Promise.race([gone.then(() => 'exited'), sleep(5000)])) !== 'exited') this.child.kill('SIGKILL');
  }
}
// ---------------------------------------------------------------------------------------------
// One run
// ---------------------------------------------------------------------------------------------

export interface Instance {
  server: RunningServer;
  memory: MemoryProbe;
  samples: Record<'baseline' | 'connected' | 'after', MemorySample | null>;
}

export async function startInstances(s: Settings, count: number, cleanups: Cleanups): Promise<{ instances: Instance[]; dbLabel: string }> {
  let databaseUrl = '';
  let dataDir: string | null = null;
  let dbLabel: string;
  if (s.databaseUrl) {
    const db = await createScratchDatabase(s.databaseUrl, 'hearth_bench_chat');
    cleanups.push(() => db.drop());
    databaseUrl = db.url;
    dbLabel = `PostgreSQL (scratch database ${new URL(db.url).pathname.slice(1)})`;
  } else {
    dataDir = mkdtempSync(join(os.tmpdir(), 'hearth-bench-chat-'));
    cleanups.push(() => rmSync(dataDir!, { recursive: true, force: true }));
    dbLabel = `embedded database (DATA_DIR ${dataDir})`;
  }
  if (count > 1) cleanups.push(() => dropRedisStreams(s.redisUrl!, databaseUrl));
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const metricsPort = await findFreePort();
    const server = await startServer({
      databaseUrl,
      readyTimeoutMs: 120_000,
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
        LOGINS_PER_IP_PER_MINUTE: '1000000',
        METRICS_PORT: String(metricsPort),
        REDIS_URL: count > 1 ? s.redisUrl! : '',
        ...(dataDir ? { DATA_DIR: dataDir } : {}),
      },
    });
    cleanups.push(() => server.stop());
    instances.push({ server, memory: new MemoryProbe(`http://127.0.0.1:${metricsPort}/metrics`, server.pid), samples: { baseline: null, connected: null, after: null } });
  }
  return { instances, dbLabel };
}

/** The socket.io stream and session keys the instances used (src/chat/socket-adapter.ts names them after the database). */
async function dropRedisStreams(redisUrl: string, databaseUrl: string): Promise<void> {
  const prefix = `hearth:sio:${createHash('sha256').update(databaseUrl).digest('hex').slice(0, 24)}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const keys = [prefix, ...(await redis.keys(`${prefix}:session:*`))];
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

export interface World {
  roomId: string;
  tokens: string[];
}

/** Community, settings, public room and members over HTTP; the first `senders` members are staff. */
export async function setUpWorld(baseUrl: string, s: Settings): Promise<World> {
  const started = Date.now();
  const { accessToken: admin } = await call<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/login', { body: ADMIN, expect: 200 });
  const slug = `chat-bench-${randomBytes(3).toString('hex')}`;
  await call(baseUrl, 'POST', '/api/v1/communities', { body: { slug, name: 'Chat bench' }, token: admin, expect: 201 });
  await call(baseUrl, 'PATCH', `/api/v1/communities/${slug}/settings`, {
    body: { chatMessagesPer30Seconds: 1000, newMemberChatMessagesPer30Seconds: 1000 },
    token: admin,
    expect: 200,
  });
  const room = await call<{ id: string }>(baseUrl, 'POST', `/api/v1/communities/${slug}/chat/rooms`, { body: { name: 'Bench lobby', kind: 'public' }, token: admin, expect: 201 });
  const password = `chat bench password ${randomBytes(6).toString('hex')}`;
  const tokens: string[] = new Array(s.users);
  let done = 0;
  await pool(
    Array.from({ length: s.users }, (_, i) => i),
    4,
    async (i) => {
      const email = `chat-bench-${i}-${randomBytes(3).toString('hex')}@hearth.test`;
      const reg = await call<{ accessToken: string; user: { id: string } }>(baseUrl, 'POST', '/api/v1/auth/register', {
        body: { email, password, displayName: `Bench member ${i}` },
        expect: 201,
      });
      await call(baseUrl, 'POST', `/api/v1/communities/${slug}/join`, { token: reg.accessToken, expect: 201 });
      if (i < s.senders) await call(baseUrl, 'PUT', `/api/v1/communities/${slug}/members/${reg.user.id}/role`, { body: { role: 'staff' }, token: admin, expect: 200 });
      tokens[i] = reg.accessToken;
      if (++done % 50 === 0) note(`  registered ${done}/${s.users} members`);
    },
  );
  note(`set-up: community ${slug}, public room ${room.id}, ${s.users} members (${s.senders} staff senders) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { roomId: room.id, tokens };
}

export async function sampleAll(instances: Instance[], key: keyof Instance['samples'], label: string) {
  for (const [i, inst] of instances.entries()) inst.samples[key] = await inst.memory.sample(`${label} (instance ${i})`);
}
