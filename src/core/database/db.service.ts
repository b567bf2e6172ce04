import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral, QueryRunner, Repository } from 'typeorm';

interface TxContext {
  queryRunner: QueryRunner;
  afterCommit: Array<() => void>;
}

const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';

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

  /** Raw SQL returning the rows and the number of rows affected. */
  async execute<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<{ rows: T[]; affected: number }> {
    const ctx = this.als.getStore();
    const runner = ctx?.queryRunner ?? this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
    } finally {
      if (!ctx) await runner.release();
    }
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
      await qr.startTransaction(); // a SAVEPOINT at depth > 0
      try {
        const result = await fn();
        await qr.commitTransaction();
        return result;
      } catch (err) {
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

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { driverError?: { code?: string; constraint?: string }; code?: string };
  const code = e?.driverError?.code ?? e?.code;
  if (code !== PG_UNIQUE_VIOLATION) return false;
  return !constraint || e?.driverError?.constraint === constraint;
}

export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { driverError?: { code?: string }; code?: string };
  return (e?.driverError?.code ?? e?.code) === PG_FOREIGN_KEY_VIOLATION;
}
