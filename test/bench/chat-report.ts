/**
 * Figures and tables for `npm run bench:chat` (chat.ts): latency percentiles, CPU use read from /proc,
 * and the summary table with the targets (issue 13, "Performance").
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { alignedTable } from './harness';

export const TARGETS = {
  /** p99 send-to-receipt, ms: one instance, two instances behind Redis. */
  p99OneMs: 50,
  p99TwoMs: 100,
  rssMb: 300,
};

export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles (nearest rank) of the values; NaN everywhere when there are none. Sorts a copy. */
export function latencyStats(values: Float64Array): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const at = (q: number) => (n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] : Number.NaN);
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: n ? sorted[n - 1] : Number.NaN, mean: n ? sum / n : Number.NaN };
}

export const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
export const mb = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? 'n/a' : (bytes / 1e6).toFixed(0));
export const int = (x: number) => x.toLocaleString('en-US');

export function formatStats(s: LatencyStats): string {
  return `p50 ${ms(s.p50)} ms, p90 ${ms(s.p90)} ms, p99 ${ms(s.p99)} ms, max ${ms(s.max)} ms, mean ${ms(s.mean)} ms (${int(s.count)} deliveries)`;
}

// ---------------------------------------------------------------------------------------------
// CPU from /proc (Linux; n/a elsewhere)
// ---------------------------------------------------------------------------------------------

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

/** CPU time (ms) a process has used so far, or null. */
export function processCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    // Fields after the command (which may hold spaces) start after the last ')': state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** The whole machine's CPU time so far: busy and total (ms, summed over cores), or null. */
export function machineCpuMs(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = v[3] + v[4];
    return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
  } catch {
    return null;
  }
}

export function loadLine(): string {
  const [one, five, fifteen] = os.loadavg();
  return `load average ${one.toFixed(2)}, ${five.toFixed(2)}, ${fifteen.toFixed(2)} (${os.cpus().length} cores)`;
}

/** Percent of one core, e.g. "85%" ; "n/a" when unknown. */
export const pctOfCore = (cpuMs: number | null, wallMs: number) => (cpuMs === null || wallMs <= 0 ? 'n/a' : `${((100 * cpuMs) / wallMs).toFixed(0)}%`);

// ---------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------

export interface RunSummary {
  name: string;
  instances: number;
  clients: number;
  messages: number;
  expected: number;
  received: number;
  ackFailures: number;
  latency: LatencyStats;
  /** Largest RSS of any instance with every socket connected, and after the run (bytes). */
  rssConnected: number | null;
  rssAfter: number | null;
}

export function summaryTable(runs: RunSummary[]): string[] {
  const header = ['run', 'clients', 'messages', 'deliveries', 'lost', 'acks failed', 'p50 ms', 'p99 ms', 'p99 target', 'RSS MB (conn/after)', 'RSS target', 'verdict'];
  const rows = runs.map((r) => {
    const target = r.instances > 1 ? TARGETS.p99TwoMs : TARGETS.p99OneMs;
    const lost = r.expected - r.received;
    const rssMax = Math.max(r.rssConnected ?? 0, r.rssAfter ?? 0);
    const misses: string[] = [];
    if (!(r.latency.p99 < target)) misses.push('p99');
    if (lost !== 0) misses.push('lost');
    if (r.ackFailures) misses.push('acks');
    if (r.rssConnected === null || rssMax / 1e6 >= TARGETS.rssMb) misses.push('RSS');
    return [
      r.name,
      int(r.clients),
      int(r.messages),
      `${int(r.received)} / ${int(r.expected)}`,
      int(lost),
      int(r.ackFailures),
      ms(r.latency.p50),
      ms(r.latency.p99),
      `< ${target}`,
      `${mb(r.rssConnected)} / ${mb(r.rssAfter)}`,
      `< ${TARGETS.rssMb}`,
      misses.length ? `MISS (${misses.join(', ')})` : 'ok',
    ];
  });
  return alignedTable(header, rows);
}
