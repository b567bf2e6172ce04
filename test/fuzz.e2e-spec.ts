import { startApp, TestApp, usingPostgres } from './support/app';
import { buildWorld, poolFor } from './support/fuzz/fixtures';
import { listOperations, OpenApiDocument, Operation } from './support/fuzz/openapi';
import { formatReport, missingPools, undeclaredPathParams } from './support/fuzz/report';
import { Fuzzer, Summary } from './support/fuzz/runner';
import { World } from './support/fuzz/world';

/**
 * Every operation of the running app's own OpenAPI document, fuzzed with fast-check: valid-shaped
 * and broken bodies, path and query values, cursors and content types, as a guest, a bad token, a
 * member, a community admin, the platform admin and a member of another community. Never a 5xx;
 * every error problem+json; every 2xx documented and matching its schema; nothing hidden leaks.
 *
 *   FUZZ_SEED=123 replays a run; FUZZ_RUNS=200 sends more requests per operation;
 *   FUZZ_OPS='threads' fuzzes only the operations whose "METHOD /path" matches.
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
// 300 requests per operation on PostgreSQL; 100 on the embedded database, whose one connection makes
// each request wait on the one before (CI fuzzes every operation on all three of its runs: 700 in all;
// at 150 the embedded run's fuzz alone took over 9 minutes of CI).
const RUNS = Number(process.env.FUZZ_RUNS ?? (usingPostgres ? 300 : 100));
const ONLY = process.env.FUZZ_OPS ? new RegExp(process.env.FUZZ_OPS) : undefined;
const REPLAY = `FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}${ONLY ? ` FUZZ_OPS='${ONLY.source}'` : ''}`;

describe('fuzz: every documented operation', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let ops: Operation[];
  let world: World;

  beforeAll(async () => {
    console.log(`fuzz: ${REPLAY}`);
    t = await startApp({ env: { SEARCHES_PER_IP_PER_MINUTE: '1000000', REGISTRATIONS_PER_IP_PER_HOUR: '1000000', LOGINS_PER_IP_PER_MINUTE: '1000000' } });
    const res = await t.http.get('/api/docs-json');
    if (res.status !== 200) throw new Error(`no OpenAPI document: ${res.status}`);
    doc = res.body;
    ops = listOperations(doc);
    world = await buildWorld(t.http, t.baseUrl);
  }, 300_000);
  afterAll(() => t?.close());

  it('has real values for every path parameter in the document', () => {
    expect(ops.length).toBeGreaterThan(0);
    expect(missingPools(ops, (name) => Boolean(poolFor(world, name)?.length))).toEqual([]);
  });

  it('declares every path parameter its routes use', () => {
    expect(undeclaredPathParams(ops)).toEqual([]);
  });

  it(
    'answers every request without a 5xx, errors as problem+json, successes as documented, and leaks nothing',
    async () => {
      const summary: Summary = await new Fuzzer(world, doc, t.baseUrl, { seed: SEED, runs: RUNS, only: ONLY }).run(ops);
      console.log(
        `fuzz: operations=${summary.operations} requests=${summary.requests} seconds=${summary.seconds.toFixed(1)} failures=${summary.failures.length} (${REPLAY})\n` +
          `slowest: ${summary.slowest.map(([op, s]) => `${op} ${s.toFixed(1)}s`).join(', ')}\n` +
          `never 2xx: ${summary.never2xx.join(', ') || 'none'}`,
      );
      if (process.env.FUZZ_VERBOSE) {
        console.log(Object.entries(summary.statuses).map(([c, s]) => `${c}: ${Object.entries(s).map(([k, v]) => `${k}×${v}`).join(' ')}`).join('\n'));
      }
      expect(summary.failures.length ? formatReport(summary.failures, REPLAY) : 'no failures').toBe('no failures');
    },
    60 * 60_000,
  );
});
