/** The bench's plain-text report: machine and settings lines, the result and latency tables. */
import * as os from 'node:os';
import type { BenchSettings, RouteResult } from './harness';

/** A run that cannot be trusted: errors, or no response at all. */
export const failedRun = (r: RouteResult) => r.errors > 0 || r.totalRequests === 0;

export function machineInfo(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.replace(/\s+/g, ' ').trim();
  return `machine: ${cpus.length} cores${model ? ` (${model})` : ''}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}, node ${process.version}`;
}

export function settingsInfo(settings: BenchSettings): string {
  return (
    `settings: ${settings.duration} s per route (BENCH_DURATION), ${settings.connections} connections (BENCH_CONNECTIONS), ` +
    `${settings.warmup} s warm-up (BENCH_WARMUP); latency tables at ${settings.latencyConnections} connections (BENCH_LATENCY_CONNECTIONS)`
  );
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(2);
}

/**
 * Formats the results as an aligned plain-text table (numbers right-aligned). `baseline` overrides the
 * row the `vs baseline` column divides by (default: the baseline route among the results, or the first).
 */
export function formatTable(results: RouteResult[], baseline?: RouteResult): string {
  const base = baseline ?? results.find((r) => r.baseline) ?? results[0];
  return alignedTable(['name', 'route', ...MEASURE_HEADER], results.map((r) => [r.name, `${r.method} ${r.path}`, ...measureCells(r, base)])).join('\n');
}

/** The measured columns of a result row, and their header: req/s, latencies, errors, ratio to `base`. */
export const MEASURE_HEADER = ['req/s', 'p50 ms', 'p90 ms', 'p97.5 ms', 'p99 ms', 'errors', 'vs baseline'];
export function measureCells(r: RouteResult, base: RouteResult | undefined): string[] {
  return [
    r.reqPerSec.toFixed(1),
    formatMs(r.p50),
    formatMs(r.p90),
    formatMs(r.p97_5),
    formatMs(r.p99),
    String(r.errors),
    base && base.reqPerSec > 0 ? `${(r.reqPerSec / base.reqPerSec).toFixed(2)}x` : 'n/a',
  ];
}

/** A plain-text table: the first two columns left-aligned, the others right-aligned; header and rule first. */
export function alignedTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** ok when p97.5 (>= p95) is under the p95 target and there were no errors: a conservative verdict. */
export function latencyVerdict(r: RouteResult, targetMs: number): 'ok' | 'MISS' {
  return !failedRun(r) && r.p97_5 < targetMs ? 'ok' : 'MISS';
}

/**
 * The latency table: like formatTable, with each route's p95 target and the verdict (judged on p97.5)
 * instead of the `vs baseline` ratio. `targets` maps route names to their p95 target in ms.
 */
export function formatLatencyTable(results: RouteResult[], targets: Record<string, number | undefined>): string {
  const header = ['name', 'route', 'req/s', 'p50 ms', 'p90 ms', 'p97.5 ms', 'p99 ms', 'errors', 'p95 target', 'p97.5 vs target'];
  const rows = results.map((r) => {
    const target = targets[r.name];
    return [
      r.name,
      `${r.method} ${r.path}`,
      ...measureCells(r, undefined).slice(0, 6), // req/s, the latencies, errors (not the ratio)
      target === undefined ? (r.baseline ? 'baseline' : '-') : `< ${target} ms`,
      target === undefined ? '' : latencyVerdict(r, target),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export interface PrintTableOptions {
  /** A heading line printed above the table. */
  title?: string;
  /** Skip the machine and settings lines (when an earlier table of the same run printed them). */
  omitMachine?: boolean;
}

export function printTable(results: RouteResult[], settings?: BenchSettings, opts: PrintTableOptions = {}): void {
  const out: string[] = [''];
  if (opts.title) out.push(opts.title);
  if (!opts.omitMachine) {
    out.push(machineInfo());
    if (settings) out.push(settingsInfo(settings));
  }
  const base = results.find((r) => r.baseline) ?? results[0];
  if (base) out.push(`baseline: ${base.method} ${base.path}`);
  out.push('', formatTable(results), ...errorLines(results));
  process.stdout.write(out.join('\n') + '\n');
}

/** The latency table, with a title and legend lines under it. */
export function printLatencyTable(results: RouteResult[], targets: Record<string, number | undefined>, opts: { title: string; legend?: string[] }): void {
  const out = ['', opts.title, '', formatLatencyTable(results, targets), ...errorLines(results), ...(opts.legend ?? [])];
  process.stdout.write(out.join('\n') + '\n');
}

function errorLines(results: RouteResult[]): string[] {
  const out: string[] = [];
  for (const r of results.filter((x) => x.totalRequests === 0)) {
    out.push(`! ${r.method} ${r.path}: no response within the ${r.name} run (${r.errors} errors); the server is too slow for this duration or concurrency`);
  }
  for (const r of results.filter((x) => x.errors > 0)) {
    const codes = Object.entries(r.statusCodes)
      .map(([code, n]) => `${code}: ${n}`)
      .join(', ');
    out.push(`! ${r.method} ${r.path}: ${r.errors} errors (status counts ${codes || 'none'}; socket errors ${r.socketErrors}; timeouts ${r.timeouts})`);
  }
  return out;
}
