import { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Housekeeping run every `intervalSeconds` (0: only when called), never twice at once in one process,
 * awaited at shutdown. A run is `pass(now)`, which returns how many rows it handled. Safe with many
 * instances only if `pass` is (the jobs here take their rows with FOR UPDATE SKIP LOCKED).
 */
export abstract class PeriodicJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  protected constructor(
    protected readonly logger: Logger,
    private readonly label: string,
    private readonly intervalSeconds: number,
  ) {}

  onApplicationBootstrap() {
    if (!this.intervalSeconds) return;
    this.timer = setInterval(() => void this.run().catch((err) => this.logger.error({ err }, `${this.label} failed`)), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One run (joins the one in progress, if any); resolves to how many rows it handled. */
  protected run(now = new Date()): Promise<number> {
    this.running ??= this.pass(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  protected abstract pass(now: Date): Promise<number>;
}

/** Runs `batch` until it handles fewer than `size` rows or `maxBatches` ran; the total handled. */
export async function inBatches(size: number, maxBatches: number, batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await batch();
    total += n;
    if (n < size) break;
  }
  return total;
}
