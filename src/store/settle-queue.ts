import type { Settlement } from './deliveries.repository';

interface Waiting {
  settlement: Settlement;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for delivery results: each finished send queues its settlement and waits; one writer
 * records everything queued so far in one transaction, and whatever arrives meanwhile goes in the
 * next. At a few hundred deliveries a second that turns one transaction per delivery into a few per
 * second, with no added wait when traffic is light (a lone settlement is written at once). A batch
 * that fails is retried one settlement at a time, so one bad row only fails itself.
 */
export class SettleQueue {
  private waiting: Waiting[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly write: (batch: Settlement[]) => Promise<void>,
    private readonly maxBatch = 250,
  ) {}

  settle(settlement: Settlement): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ settlement, resolve, reject });
      this.writing ??= this.drain().finally(() => {
        this.writing = null;
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        await this.write(batch.map((w) => w.settlement));
        batch.forEach((w) => w.resolve());
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        else for (const w of batch) await this.write([w.settlement]).then(w.resolve, w.reject);
      }
    }
  }
}
