import { EventEmitter } from 'node:events';
import type { PGlite, Results } from '@electric-sql/pglite';

type Callback<T> = (err: Error | null, result?: T) => void;

interface PgLikeResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: unknown[];
}

function toPgResult(r: Results): PgLikeResult {
  const withMeta = r as Results & { command?: string; rowCount?: number };
  return {
    rows: r.rows,
    rowCount: withMeta.rowCount ?? r.affectedRows ?? r.rows.length,
    command: withMeta.command ?? '',
    fields: r.fields,
  };
}

/**
 * PGlite has exactly one session. TypeORM's postgres driver expects a `pg`-style pool whose
 * clients are independent sessions, so this pool lends the single session to one client at a
 * time: `connect` waits until the previous borrower has released it. That keeps one
 * transaction's statements (and its ROLLBACK) from interleaving with another's, which
 * `typeorm-pglite` as published does not (see STACK.md). It also means a borrower must never
 * wait on a second borrower: code inside a transaction uses the transaction's manager only.
 */
class PgliteSessionLock {
  private busy = false;
  private readonly waiters: Array<() => void> = [];

  acquire(): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release() {
    const next = this.waiters.shift();
    if (next) next();
    else this.busy = false;
  }
}

class PgliteClient extends EventEmitter {
  private released = false;
  constructor(
    private readonly db: PGlite,
    private readonly lock: PgliteSessionLock,
  ) {
    super();
  }

  query(text: string | { text: string; values?: unknown[] }, paramsOrCb?: unknown[] | Callback<PgLikeResult>, cb?: Callback<PgLikeResult>): Promise<PgLikeResult | PgLikeResult[]> | void {
    const sql = typeof text === 'string' ? text : text.text;
    let params = typeof text === 'string' ? undefined : text.values;
    let callback = cb;
    if (typeof paramsOrCb === 'function') callback = paramsOrCb;
    else if (paramsOrCb) params = paramsOrCb;
    const promise = this.run(sql, params);
    if (callback) {
      promise.then((r) => callback!(null, r as PgLikeResult), (e) => callback!(e));
      return;
    }
    return promise;
  }

  private async run(sql: string, params?: unknown[]): Promise<PgLikeResult | PgLikeResult[]> {
    if (this.released) throw new Error('PGlite client used after release');
    if (params && params.length) return toPgResult(await this.db.query(sql, params));
    // Without parameters use the simple protocol, as pg does: several statements may run at once.
    const results = (await this.db.exec(sql)).map(toPgResult);
    return results.length === 1 ? results[0] : results.length === 0 ? { rows: [], rowCount: 0, command: '', fields: [] } : results;
  }

  release = (_err?: unknown) => {
    if (this.released) return;
    this.released = true;
    this.lock.release();
  };
}

/** Builds a `pg`-compatible module (what TypeORM's `driver` option takes) over one PGlite instance. */
export function createPgliteDriver(db: PGlite) {
  const lock = new PgliteSessionLock();
  class Pool extends EventEmitter {
    constructor(_options?: unknown) {
      super();
    }
    connect(cb?: (err: Error | null, client?: PgliteClient, release?: (err?: unknown) => void) => void): Promise<PgliteClient> | void {
      const promise = lock.acquire().then(() => new PgliteClient(db, lock));
      if (!cb) return promise;
      promise.then((c) => cb(null, c, c.release), (e) => cb(e));
    }
    async query(sql: string, params?: unknown[]) {
      const client = (await this.connect()) as PgliteClient;
      try {
        return await client.query(sql, params);
      } finally {
        client.release();
      }
    }
    end(cb?: (err?: Error) => void) {
      if (cb) cb();
      return Promise.resolve();
    }
  }
  return { Pool, Client: PgliteClient, defaults: {} };
}
