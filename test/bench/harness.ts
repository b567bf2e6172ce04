import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Client } from 'pg';

// ---------------------------------------------------------------------------------------------
// Types shared with routes.ts
// ---------------------------------------------------------------------------------------------

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What the seeding step produced; route functions read it to build their requests. */
export interface BenchContext {
  baseUrl: string;
  /** Free-form values filled by the seed (tokens, slugs, ids...). */
  [key: string]: unknown;
}

/** A value given directly, or computed from the seeded context once before the route runs. */
export type FromContext<T> = T | ((ctx: BenchContext) => T);

export interface RequestSpec {
  path: string;
  headers: Record<string, string>;
  /** An object is sent as JSON (content-type added); a string is sent as is. */
  body?: string | object;
}

export interface BenchRoute {
  /** Row label in the table. */
  name: string;
  method: HttpMethod;
  path: FromContext<string>;
  headers?: FromContext<Record<string, string>>;
  body?: FromContext<string | object>;
  /**
   * Runs once before the warm-up (e.g. to create the rows the route reads); what it returns overrides
   * path/headers/body. Every request of a run is identical, so a POST must be repeatable (idempotent,
   * or creating something without a unique constraint).
   */
  setup?: (ctx: BenchContext) => Promise<Partial<RequestSpec> | void>;
  /**
   * Variations that successive requests of the run take in turn, across all connections (e.g. many
   * members replying to many threads): each overrides the path and the body (as sent: a string) and
   * adds headers. Resolved after setup.
   */
  rotate?: (ctx: BenchContext) => Array<{ path?: string; headers?: Record<string, string>; body?: string }>;
  /** The route every other one is compared with (`vs baseline`); defaults to the first route. */
  baseline?: boolean;
  /** Measured again after the large seed (read routes whose cost may grow with the data). */
  rerunAtScale?: boolean;
  /**
   * A latency target (p95, ms): the route is also measured at BENCH_LATENCY_CONNECTIONS and shown in the
   * latency table, judged on p97.5 (autocannon has no p95; p97.5 is the conservative side).
   */
  p95TargetMs?: number;
}

export interface BenchSettings {
  /** Measured run, seconds. */
  duration: number;
  /** Warm-up run before the measured one, seconds (0 skips it). */
  warmup: number;
  connections: number;
  /** Connections for the latency tables (targets on p95 at a realistic load, not queueing under 50). */
  latencyConnections: number;
}

export interface RouteResult {
  name: string;
  method: HttpMethod;
  path: string;
  baseline: boolean;
  reqPerSec: number;
  p50: number;
  p90: number;
  /** NaN when autocannon does not report it. Every percentile is NaN when no request completed. */
  p97_5: number;
  p99: number;
  /** Non-2xx answers plus socket errors and timeouts in the measured run. */
  errors: number;
  statusCodes: Record<string, number>;
  socketErrors: number;
  timeouts: number;
  /** Responses in the measured run; 0 means the percentiles are NaN (nothing completed in time). */
  totalRequests: number;
}

// The report (tables, formatMs, failedRun...) lives in report.ts; importers keep reading it from here.
export * from './report';

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`);
  return Number(raw);
}

export function readSettings(env: Record<string, string | undefined> = process.env): BenchSettings {
  return {
    duration: positiveInt(env, 'BENCH_DURATION', 10),
    connections: positiveInt(env, 'BENCH_CONNECTIONS', 50),
    warmup: positiveInt(env, 'BENCH_WARMUP', 2, 0),
    latencyConnections: positiveInt(env, 'BENCH_LATENCY_CONNECTIONS', 4),
  };
}

// ---------------------------------------------------------------------------------------------
// Server in a child process
// ---------------------------------------------------------------------------------------------

export interface RunningServer {
  baseUrl: string;
  pid: number | undefined;
  /** Stops the child (SIGTERM, then SIGKILL after 10 s); safe to call twice. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  databaseUrl: string;
  /** Extra or overriding environment for the server. */
  env?: Record<string, string>;
  /** Defaults to dist/src/main.js next to this compiled file. */
  mainPath?: string;
  readyTimeoutMs?: number;
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolvePort(port) : reject(new Error('could not find a free port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns `node dist/src/main.js` on a free port and waits until GET /health/ready answers 200. */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  // dist/test/bench/harness.js -> dist/src/main.js
  const mainPath = opts.mainPath ?? resolve(__dirname, '../../src/main.js');
  if (!existsSync(mainPath)) throw new Error(`${mainPath} not found; build first (npm run build)`);
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, mainPath], {
    env: {
      ...process.env,
      DATABASE_URL: opts.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  // The server's (warn+) log goes to our stderr, so stdout keeps only the report.
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 50) tail.shift();
      process.stderr.write(`[server] ${line}\n`);
    });
  }

  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((r) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      r();
    }),
  );

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exitPromise.then(() => false), sleep(10_000).then(() => true)]);
      if (killed && !exited) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    })();
    return stopping;
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  let lastProblem = 'no answer yet';
  try {
    for (;;) {
      if (exited) {
        const { code, signal } = exited;
        throw new Error(`the server exited before it was ready (code ${code}, signal ${signal})`);
      }
      try {
        const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
        lastProblem = `GET /health/ready answered ${res.status}`;
      } catch (err) {
        lastProblem = err?.cause?.code ?? err?.message ?? String(err);
      }
      if (Date.now() > deadline) throw new Error(`the server was not ready within ${(opts.readyTimeoutMs ?? 60_000) / 1000} s (${lastProblem})`);
      await sleep(200);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl, pid: child.pid, stop };
}

// ---------------------------------------------------------------------------------------------
// A small fetch helper for seeding
// ---------------------------------------------------------------------------------------------

export interface CallOptions {
  body?: unknown;
  token?: string;
  /** Accepted statuses; the call throws on anything else. Default: any 2xx. */
  expect?: number | number[];
}

export async function call<T = any>(baseUrl: string, method: HttpMethod, path: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(baseUrl + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  const expected = opts.expect === undefined ? null : Array.isArray(opts.expect) ? opts.expect : [opts.expect];
  const ok = expected ? expected.includes(res.status) : res.status >= 200 && res.status < 300;
  if (!ok) throw new Error(`seeding: ${method} ${path} answered ${res.status}${expected ? ` (expected ${expected.join('/')})` : ''}: ${text.slice(0, 500)}`);
  return (text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T;
}

// ---------------------------------------------------------------------------------------------
// Running one route
// ---------------------------------------------------------------------------------------------

function fromContext<T>(value: FromContext<T>, ctx: BenchContext): T {
  return typeof value === 'function' ? (value as (ctx: BenchContext) => T)(ctx) : value;
}

export async function resolveRequest(route: BenchRoute, ctx: BenchContext): Promise<RequestSpec> {
  const spec: RequestSpec = {
    path: fromContext(route.path, ctx),
    headers: { ...(route.headers === undefined ? {} : fromContext(route.headers, ctx)) },
    body: route.body === undefined ? undefined : fromContext(route.body, ctx),
  };
  const overrides = route.setup ? await route.setup(ctx) : undefined;
  if (overrides) {
    if (overrides.path !== undefined) spec.path = overrides.path;
    if (overrides.headers !== undefined) spec.headers = { ...spec.headers, ...overrides.headers };
    if (overrides.body !== undefined) spec.body = overrides.body;
  }
  return spec;
}

function encodeBody(spec: RequestSpec): { body?: string; headers: Record<string, string> } {
  if (spec.body === undefined) return { headers: spec.headers };
  if (typeof spec.body === 'string') return { body: spec.body, headers: spec.headers };
  const hasType = Object.keys(spec.headers).some((h) => h.toLowerCase() === 'content-type');
  return { body: JSON.stringify(spec.body), headers: hasType ? spec.headers : { ...spec.headers, 'content-type': 'application/json' } };
}

/**
 * Waits until no session of the database is running a query or holding a transaction open (seen
 * `quietChecks` times in a row, 50 ms apart), at most `timeoutMs`; returns the seconds waited.
 *
 * When autocannon stops it closes its connections, but the server still runs the requests in flight
 * (and those queued for a pool connection) to the end: for a slow route at 50 connections that is
 * seconds of work, which would otherwise be measured as part of the next run.
 */
export async function waitForDatabaseIdle(databaseUrl: string, opts: { quietChecks?: number; timeoutMs?: number } = {}): Promise<number> {
  const started = Date.now();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let quiet = 0;
    while (quiet < (opts.quietChecks ?? 3)) {
      const { rows } = await client.query<{ busy: number }>(
        `SELECT count(*)::int AS busy FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'`,
      );
      quiet = rows[0].busy === 0 ? quiet + 1 : 0;
      if (Date.now() - started > (opts.timeoutMs ?? 120_000)) {
        process.stderr.write(`! the database was still busy after ${(opts.timeoutMs ?? 120_000) / 1000} s; going on\n`);
        break;
      }
      await sleep(50);
    }
  } finally {
    await client.end();
  }
  return (Date.now() - started) / 1000;
}

export interface RunRouteOptions {
  /** Awaited after the warm-up and after the measured run, e.g. () => waitForDatabaseIdle(url). */
  settle?: () => Promise<unknown>;
}

/** Sets up the route, sends one request as a smoke check, warms up, then measures. */
export async function runRoute(baseUrl: string, route: BenchRoute, ctx: BenchContext, settings: BenchSettings, opts: RunRouteOptions = {}): Promise<RouteResult> {
  const spec = await resolveRequest(route, ctx);
  const { body, headers } = encodeBody(spec);
  const url = baseUrl + spec.path;

  // One plain request first: a route that fails shows why here rather than as a bare count in the table.
  const probe = await fetch(url, { method: route.method, headers, body });
  const probeText = await probe.text();
  if (probe.status < 200 || probe.status >= 300) {
    process.stderr.write(`! ${route.name}: ${route.method} ${spec.path} answered ${probe.status}: ${probeText.slice(0, 300)}\n`);
  }

  const options: autocannon.Options = { url, method: route.method, connections: settings.connections, headers, body, title: route.name };
  const variations = route.rotate?.(ctx) ?? [];
  if (variations.length) {
    let next = 0;
    options.requests = [
      {
        setupRequest: (req) => {
          const v = variations[next++ % variations.length];
          return { ...req, path: v.path ?? req.path, headers: { ...req.headers, ...v.headers }, body: v.body ?? req.body };
        },
      },
    ];
  }
  if (settings.warmup > 0) {
    await autocannon({ ...options, duration: settings.warmup });
    await opts.settle?.();
  }
  const r = await autocannon({ ...options, duration: settings.duration });
  await opts.settle?.();
  return toRouteResult({ name: route.name, method: route.method, path: spec.path, baseline: route.baseline ?? false }, r);
}

/** An autocannon result as a table row. */
export function toRouteResult(row: Pick<RouteResult, 'name' | 'method' | 'path' | 'baseline'>, r: autocannon.Result): RouteResult {
  // No response in the whole run: autocannon reports 0 for every percentile, which must not read as fast.
  const none = r.requests.total === 0;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = count;
  return {
    ...row,
    reqPerSec: r.requests.mean,
    p50: none ? Number.NaN : r.latency.p50,
    p90: none ? Number.NaN : r.latency.p90,
    p97_5: none ? Number.NaN : (r.latency.p97_5 ?? Number.NaN),
    p99: none ? Number.NaN : r.latency.p99,
    errors: r.non2xx + r.errors,
    statusCodes,
    socketErrors: r.errors - r.timeouts,
    timeouts: r.timeouts,
    totalRequests: r.requests.total,
  };
}

/**
 * After a bulk seed, the kernel is still writing the seed's pages to disk for a while, which slows
 * whatever is measured next. Waits (at most `maxSeconds`) until the dirty page cache is below 64 MiB,
 * on Linux; returns the seconds waited.
 */
export async function waitForWriteback(maxSeconds = 60): Promise<number> {
  const dirtyKiB = () => {
    try {
      const match = /^Dirty:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  };
  const started = Date.now();
  while (dirtyKiB() > 64 * 1024 && Date.now() - started < maxSeconds * 1000) await sleep(500);
  return (Date.now() - started) / 1000;
}
