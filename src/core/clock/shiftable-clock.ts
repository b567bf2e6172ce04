/**
 * A module's notion of "now": the wall clock plus an offset that tests move (pending windows,
 * expiry, email delays, digests), so no test sleeps. Each module has its own subclass (its own
 * injection token), so a test moves one module's time without touching another's. Queries where
 * time matters take `now()` as a parameter instead of SQL's now().
 */
export class ShiftableClock {
  offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves the clock forward (or back, with a negative value). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
