/**
 * `npm run bench`: HTTP throughput of selected routes against PostgreSQL.
 *
 * The server runs in a child process (node dist/src/main.js) on a scratch database, so autocannon and the
 * server do not share an event loop. Each route gets a warm-up then a measured run; the table compares
 * every route with the baseline (GET /health/ready, one `SELECT 1`) from the same run, which is what is
 * comparable across machines. Any non-2xx answer or socket error makes the exit code 1.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *   BENCH_DURATION (s, default 10)  BENCH_CONNECTIONS (default 50)  BENCH_WARMUP (s, default 2)
 */
import { createScratchDatabase } from '../support/database';
import { printTable, readSettings, RouteResult, RunningServer, runRoute, startServer } from './harness';
import { ADMIN, routes, seed } from './routes';

type Cleanup = () => Promise<void>;
const cleanups: Cleanup[] = [];
let cleaningUp: Promise<void> | null = null;

/** Runs the cleanups in reverse order, each once, reporting (not throwing) their failures. */
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`cleanup failed: ${err?.message ?? err}\n`);
      }
    }
  })();
  return cleaningUp;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

async function main(): Promise<number> {
  const baseDatabaseUrl = process.env.DATABASE_URL;
  if (!baseDatabaseUrl || !/^postgres(ql)?:\/\//.test(baseDatabaseUrl)) {
    process.stderr.write('set DATABASE_URL=postgres://... ; the benchmark runs against PostgreSQL\n');
    return 1;
  }
  const settings = readSettings();

  const scratch = await createScratchDatabase(baseDatabaseUrl, 'hearth_bench');
  cleanups.push(() => scratch.drop());
  process.stderr.write(`scratch database ${describeDatabase(scratch.url)}\n`);

  const server: RunningServer = await startServer({
    databaseUrl: scratch.url,
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
      LOGINS_PER_IP_PER_MINUTE: '1000000',
    },
  });
  cleanups.push(() => server.stop());
  process.stderr.write(`server pid ${server.pid} ready at ${server.baseUrl}\n`);

  const ctx = await seed(server.baseUrl);

  const results: RouteResult[] = [];
  for (const route of routes) {
    process.stderr.write(`${route.name}: ${settings.warmup} s warm-up + ${settings.duration} s...\n`);
    results.push(await runRoute(server.baseUrl, route, ctx, settings));
  }

  printTable(results, settings);
  const failed = results.filter((r) => r.errors > 0);
  if (failed.length) process.stderr.write(`FAILED: ${failed.map((r) => r.name).join(', ')} had errors\n`);
  return failed.length ? 1 : 0;
}

main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  });
