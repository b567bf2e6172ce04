/**
 * A paced writer for the mixed phase: POSTs at a fixed overall rate (not as fast as possible, which is
 * what autocannon does), on a schedule kept against the clock: a late timer (the bench's event loop also
 * drives autocannon) sends the writes that were due at once, so the average rate holds. At most
 * `maxInFlight` writes wait for an answer; a write due while that many are pending is skipped and counted.
 */
import { performance } from 'node:perf_hooks';

export interface Write {
  path: string;
  token: string;
  /** Sent as JSON. */
  body: object;
}

/** What the writer did between two marks. */
export interface WriteWindow {
  seconds: number;
  /** Answers with a 2xx status, per second of the window. */
  ratePerSec: number;
  ok: number;
  /** Non-2xx answers and network errors. */
  failed: number;
  skipped: number;
  p50: number;
  p99: number;
}

interface Mark {
  at: number;
  ok: number;
  failed: number;
  skipped: number;
  latencies: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export class PacedWriter {
  ok = 0;
  failed = 0;
  skipped = 0;
  readonly statuses: Record<string, number> = {};
  /** The first failures' answers (at most 3), to show why. */
  readonly problems: string[] = [];
  private readonly latencies: number[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private loop: Promise<void> | null = null;

  /** `next(k)`: the k-th write (k from 0); `ratePerSec`: writes sent per second in total. */
  constructor(
    private readonly baseUrl: string,
    private readonly next: (k: number) => Write,
    private readonly ratePerSec: number,
    private readonly maxInFlight = 100,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops sending and waits for the answers still pending. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  mark(): Mark {
    return { at: performance.now(), ok: this.ok, failed: this.failed, skipped: this.skipped, latencies: this.latencies.length };
  }

  /** The writes answered between `from` and `to` (marks). */
  window(from: Mark, to: Mark): WriteWindow {
    const seconds = (to.at - from.at) / 1000;
    const sorted = this.latencies.slice(from.latencies, to.latencies).sort((a, b) => a - b);
    const ok = to.ok - from.ok;
    return {
      seconds,
      ratePerSec: seconds > 0 ? ok / seconds : 0,
      ok,
      failed: to.failed - from.failed,
      skipped: to.skipped - from.skipped,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  }

  private async run(): Promise<void> {
    const started = performance.now();
    const interval = 1000 / this.ratePerSec;
    for (let k = 0; !this.stopped; k++) {
      const wait = started + k * interval - performance.now();
      if (wait > 0) await sleep(wait);
      if (this.stopped) break;
      if (this.inFlight.size >= this.maxInFlight) {
        this.skipped++;
        continue;
      }
      const p = this.send(this.next(k)).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private async send(write: Write): Promise<void> {
    const t0 = performance.now();
    let status = 'error';
    try {
      const res = await fetch(this.baseUrl + write.path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${write.token}` },
        body: JSON.stringify(write.body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      status = String(res.status);
      if (res.status >= 200 && res.status < 300) {
        this.ok++;
        this.latencies.push(performance.now() - t0);
      } else {
        this.failed++;
        if (this.problems.length < 3) this.problems.push(`POST ${write.path} answered ${res.status}: ${text.slice(0, 200)}`);
      }
    } catch (err) {
      this.failed++;
      if (this.problems.length < 3) this.problems.push(`POST ${write.path} failed: ${err?.cause?.code ?? err?.message ?? err}`);
    }
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
  }
}
