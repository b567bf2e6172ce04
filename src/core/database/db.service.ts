import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral, QueryRunner, Repository } from 'typeorm';

interface TxContext {
  queryRunner: QueryRunner;
  afterCommit: Array<() => void>;
}

const PG_UNIQUE_VIOLATION = '23505';

/**
 * The database as services see it. `manager` and `repo()` resolve to the current transaction's
 * manager when called inside `transaction()`, so a service never passes managers around and every
 * query of one unit of work runs on one connection. Nested `transaction()` calls use savepoints.
 */
export class Db {
  private readonly als = new AsyncLocalStorage<TxContext>();

  constructor(readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.als.getStore()?.queryRunner.manager ?? this.dataSource.manager;
  }

  get inTransaction(): boolean {
    return this.als.getStore() !== undefined;
  }

  repo<T extends ObjectLiteral>(entity: EntityTarget<T>): Repository<T> {
    return this.manager.getRepository(entity);
  }

  /** Raw SQL on the current transaction (or the pool); returns the rows (also for UPDATE ... RETURNING). */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.execute<T>(sql, params)).rows;
  }

  /**
   * Raw SQL returning the rows and the number of rows affected. Parameterised statements go to the
   * driver as named prepared statements (one name per SQL text), so PostgreSQL plans each query once
   * per connection instead of on every request.
   */
  async execute<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<{ rows: T[]; affected: number }> {
    const ctx = this.als.getStore();
    const runner = ctx?.queryRunner ?? this.dataSource.createQueryRunner();
    try {
      if (!params.length) {
        const result = await runner.query(sql, params, true);
        return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
      }
      const client = (await runner.connect()) as { query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[]; rowCount: number | null }> };
      const result = await client.query({ name: this.statementName(sql), text: sql, values: params });
      return { rows: result.rows, affected: result.rowCount ?? 0 };
    } finally {
      if (!ctx) await runner.release();
    }
  }

  /** Statement names by SQL text: at most 10,000 texts and 4 MB of them (the rest are hashed on each use). */
  private readonly statementNames = new Map<string, string>();
  private statementBytes = 0;

  private statementName(sql: string): string {
    let name = this.statementNames.get(sql);
    if (!name) {
      name = `h${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
      if (this.statementNames.size < 10_000 && this.statementBytes + sql.length <= 4 * 1024 * 1024) {
        this.statementNames.set(sql, name);
        this.statementBytes += sql.length + 64;
      }
    }
    return name;
  }

  /** Runs `fn` after the outermost transaction commits (never if it rolls back). Outside a transaction: soon. */
  afterCommit(fn: () => void) {
    const ctx = this.als.getStore();
    if (ctx) ctx.afterCommit.push(fn);
    else setImmediate(fn);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const current = this.als.getStore();
    if (current) {
      const qr = current.queryRunner;
      // What the savepoint's work asked to run after commit is dropped if the savepoint rolls back.
      const hooks = current.afterCommit.length;
      await qr.startTransaction(); // a SAVEPOINT at depth > 0
      try {
        const result = await fn();
        await qr.commitTransaction();
        return result;
      } catch (err) {
        current.afterCommit.length = hooks;
        await qr.rollbackTransaction();
        throw err;
      }
    }
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    const ctx: TxContext = { queryRunner, afterCommit: [] };
    try {
      await queryRunner.startTransaction();
      const result = await this.als.run(ctx, fn);
      await queryRunner.commitTransaction();
      for (const cb of ctx.afterCommit) {
        try {
          cb();
        } catch {
          // after-commit hooks are wake-ups; a failing one must not fail the committed work
        }
      }
      return result;
    } catch (err) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await queryRunner.release();
    }
  }
}

/** The PostgreSQL error under TypeORM's wrapper, or the driver's own error (prepared statements). */
function pgError(err: unknown): { code?: string; constraint?: string } {
  const e = err as { driverError?: { code?: string; constraint?: string }; code?: string; constraint?: string } | undefined;
  return e?.driverError ?? e ?? {};
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = pgError(err);
  return e.code === PG_UNIQUE_VIOLATION && (!constraint || e.constraint === constraint);
}
