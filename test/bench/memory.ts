/**
 * The server's memory after each phase of the benchmark (issue 21, item 6).
 *
 * Two sources, read from outside the server: its Prometheus metrics (run.ts starts it with METRICS_PORT, a
 * listener of its own; prom-client's default metrics give `process_resident_memory_bytes`,
 * `nodejs_heap_size_used_bytes` and `nodejs_heap_size_total_bytes`), and, as a cross-check of the resident
 * size, `/proc/<pid>/status` (VmRSS; VmHWM is the peak since start-up). Either may be missing (no metrics
 * listener, not Linux): the line then says n/a for it. Figures are in MB (10^6 bytes), like the issue's.
 * Nothing forces a garbage collection first: the heap is what the server holds at that moment.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

export interface MemorySample {
  label: string;
  /** Seconds since the probe was created (start-up). */
  atSeconds: number;
  /** From the metrics (bytes); null when unavailable. */
  rss: number | null;
  heapUsed: number | null;
  heapTotal: number | null;
  external: number | null;
  /** From /proc/<pid>/status (bytes); null when unavailable. */
  procRss: number | null;
  procPeak: number | null;
}

/** The target of the issue: resident size after the mixed phase. */
export const RSS_TARGET_MB = 250;

const mb = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1e6).toFixed(0)} MB`);

/** One sample of a Prometheus text exposition (no labels), or null. */
function metric(text: string, name: string): number | null {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

function procStatus(pid: number | undefined): { rss: number | null; peak: number | null } {
  if (!pid) return { rss: null, peak: null };
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
      return match ? Number(match[1]) * 1024 : null;
    };
    return { rss: kib('VmRSS'), peak: kib('VmHWM') };
  } catch {
    return { rss: null, peak: null };
  }
}

export function formatSample(s: MemorySample): string {
  return (
    `RSS ${mb(s.rss)} (/proc VmRSS ${mb(s.procRss)}, peak VmHWM ${mb(s.procPeak)}), ` +
    `V8 heap ${mb(s.heapUsed)} used / ${mb(s.heapTotal)} total, external ${mb(s.external)}`
  );
}

export class MemoryProbe {
  readonly samples: MemorySample[] = [];
  private readonly started = Date.now();
  private warned = false;

  /** `metricsUrl`: the server's metrics listener (http://host:port/metrics) or null; `pid`: the server's process. */
  constructor(
    private readonly metricsUrl: string | null,
    private readonly pid: number | undefined,
  ) {}

  /** Reads both sources, keeps the sample, and writes it to stderr as a progress line. */
  async sample(label: string): Promise<MemorySample> {
    let text = '';
    if (this.metricsUrl) {
      try {
        const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(5000) });
        text = await res.text();
        if (res.status !== 200) throw new Error(`answered ${res.status}`);
      } catch (err) {
        text = '';
        if (!this.warned) process.stderr.write(`! could not read the server's metrics at ${this.metricsUrl}: ${err?.message ?? err}\n`);
        this.warned = true;
      }
    }
    const proc = procStatus(this.pid);
    const s: MemorySample = {
      label,
      atSeconds: (Date.now() - this.started) / 1000,
      rss: metric(text, 'process_resident_memory_bytes'),
      heapUsed: metric(text, 'nodejs_heap_size_used_bytes'),
      heapTotal: metric(text, 'nodejs_heap_size_total_bytes'),
      external: metric(text, 'nodejs_external_memory_bytes'),
      procRss: proc.rss,
      procPeak: proc.peak,
    };
    this.samples.push(s);
    process.stderr.write(`memory after ${label}: ${formatSample(s)}\n`);
    if (process.env.BENCH_HEAP_SNAPSHOTS) await this.heapSnapshot(label);
    return s;
  }

  /**
   * BENCH_HEAP_SNAPSHOTS=1 with BENCH_SERVER_NODE_ARGS=--heapsnapshot-signal=SIGUSR2: the server writes a
   * heap snapshot (into the working directory) after each sample, to compare in Chrome's DevTools.
   */
  private async heapSnapshot(label: string): Promise<void> {
    if (!this.pid) return;
    const before = new Set(readdirSync('.').filter((f) => f.endsWith('.heapsnapshot')));
    process.kill(this.pid, 'SIGUSR2');
    for (let waited = 0; waited < 120_000; waited += 500) {
      await new Promise((r) => setTimeout(r, 500));
      const written = readdirSync('.').find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
      // V8 writes the file in one go; a size that stops changing means it is done.
      if (written) {
        const size = statSync(written).size;
        await new Promise((r) => setTimeout(r, 1000));
        if (statSync(written).size === size && size > 0) {
          process.stderr.write(`heap snapshot after ${label}: ${written}\n`);
          return;
        }
      }
    }
    process.stderr.write(`! no heap snapshot after ${label} (start the server with --heapsnapshot-signal=SIGUSR2)\n`);
  }

  /** The table of every sample so far, for the report (stdout). */
  table(): string[] {
    const header = ['after', 'at s', 'RSS MB', 'VmRSS MB', 'VmHWM MB', 'heap used MB', 'heap total MB', 'external MB'];
    const f = (b: number | null) => (b === null ? 'n/a' : (b / 1e6).toFixed(0));
    const rows = this.samples.map((s) => [s.label, s.atSeconds.toFixed(0), f(s.rss), f(s.procRss), f(s.procPeak), f(s.heapUsed), f(s.heapTotal), f(s.external)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    return [
      '',
      "server memory after each phase (RSS and V8 heap from the server's /metrics listener, METRICS_PORT; VmRSS/VmHWM from /proc/<pid>/status; MB = 10^6 bytes):",
      '',
      line(header),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...rows.map(line),
    ];
  }
}
