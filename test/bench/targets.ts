/**
 * The targets next to the figures (run.ts prints them last), and the large-vs-small comparison.
 */
import { formatMs, latencyVerdict, RouteResult } from './harness';
import { ROUTE } from './routes';

/** Each large-case route against the small case: raw req/s, and normalized by each phase's own baseline. */
export function scaleRatios(small: RouteResult[], large: RouteResult[]) {
  const smallBase = small.find((r) => r.baseline)?.reqPerSec ?? 0;
  const largeBase = large.find((r) => r.baseline)?.reqPerSec ?? 0;
  return large
    .filter((r) => !r.baseline)
    .map((r) => {
      const s = small.find((x) => x.name === r.name);
      if (!s || s.reqPerSec <= 0 || !smallBase || !largeBase) return null;
      const smallRatio = s.reqPerSec / smallBase;
      const largeRatio = r.reqPerSec / largeBase;
      return { name: r.name, small: s.reqPerSec, large: r.reqPerSec, raw: r.reqPerSec / s.reqPerSec, smallRatio, largeRatio, normalized: largeRatio / smallRatio };
    })
    .filter((x): x is NonNullable<typeof x> => x !== null);
}

// ---------------------------------------------------------------------------------------------
// Targets (the issue's)
// ---------------------------------------------------------------------------------------------

const verdict = (ok: boolean | null) => (ok === null ? 'UNSURE' : ok ? 'ok' : 'MISS');

export function targetsReport(
  small: RouteResult[],
  large: RouteResult[] | null,
  largeLabel: string,
  low: RouteResult[],
  latencyTargets: Record<string, number | undefined>,
  lowConnections: number,
): string[] {
  const find = (rs: RouteResult[] | null, name: string) => rs?.find((r) => r.name === name);
  const ratio = (rs: RouteResult[] | null, name: string) => {
    const r = find(rs, name);
    const base = rs?.find((x) => x.baseline);
    return r && base && base.reqPerSec > 0 ? r.reqPerSec / base.reqPerSec : null;
  };
  const rows: [string, string, string, string][] = [];

  // As a guest (the rows; the guest cache answers) and as a member (the database path every time).
  for (const name of [ROUTE.threadPosts, ROUTE.boardThreads, ROUTE.threadPostsMember, ROUTE.boardThreadsMember]) {
    const sizes = [
      ['small', ratio(small, name)],
      ['large', ratio(large, name)],
    ].filter(([, v]) => v !== null) as [string, number][];
    rows.push([name, '>= 0.50x baseline req/s', sizes.map(([s, v]) => `${s} ${v.toFixed(2)}x`).join(', '), verdict(sizes.length ? sizes.every(([, v]) => v >= 0.5) : null)]);
  }

  const reply = find(small, ROUTE.reply);
  if (reply) {
    rows.push([
      ROUTE.reply,
      '>= 1,000 req/s and p99 < 100 ms',
      `${reply.reqPerSec.toFixed(1)} req/s, p99 ${formatMs(reply.p99)} ms`,
      verdict(reply.reqPerSec >= 1000 && reply.p99 < 100 && reply.errors === 0),
    ]);
  }

  // autocannon has no p95: it lies between p90 and p97.5, so the verdict is sure only outside that range.
  const searchRuns = [
    ['small', find(small, ROUTE.search)],
    ['large', find(large, ROUTE.search)],
  ].filter(([, r]) => r) as [string, RouteResult][];
  if (searchRuns.length) {
    const sure = searchRuns.map(([, r]) => (r.p97_5 < 50 ? true : r.p90 >= 50 ? false : null));
    rows.push([
      ROUTE.search,
      'p95 < 50 ms (shown: p90 / p97.5)',
      searchRuns.map(([s, r]) => `${s} ${formatMs(r.p90)} / ${formatMs(r.p97_5)} ms`).join(', '),
      verdict(sure.includes(false) ? false : sure.includes(null) ? null : true),
    ]);
  }

  // The latency targets at low concurrency, judged on p97.5 (>= p95, so ok is sure; MISS may be pessimistic).
  for (const r of low) {
    const target = latencyTargets[r.name];
    if (target === undefined) continue;
    rows.push([
      `${r.name} @${lowConnections}`,
      `p95 < ${target} ms (judged on p97.5)`,
      `${formatMs(r.p90)} / ${formatMs(r.p97_5)} ms (p90 / p97.5)`,
      latencyVerdict(r, target),
    ]);
  }

  if (large) {
    const pcts = scaleRatios(small, large);
    rows.push([
      `${largeLabel}/small`,
      '>= 80% of small (vs-baseline ratios)',
      pcts.map((p) => `${p.name} ${(p.normalized * 100).toFixed(0)}%`).join(', '),
      verdict(pcts.every((p) => p.normalized >= 0.8)),
    ]);
  }

  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return ['targets (from the issue; informational, they do not change the exit code):', ...rows.map((r) => `  ${r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join('   ')}`)];
}
