import BetterSqlite3 from 'better-sqlite3';
import type { SqlDatabase, Statement, Transaction } from './sql-database.js';

/** better-sqlite3 behind `SqlDatabase`: statements and transactions are better-sqlite3's own, unwrapped. */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;

  constructor(
    /** The connection itself, for what only SQLite has (pragmas, online backup). */
    readonly raw: BetterSqlite3.Database
  ) {}

  /** The file's path (`:memory:` for none). */
  get name(): string {
    return this.raw.name;
  }

  get open(): boolean {
    return this.raw.open;
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): P extends unknown[] ? Statement<P, R> : Statement<[P], R> {
    return this.raw.prepare(sql) as unknown as P extends unknown[] ? Statement<P, R> : Statement<[P], R>;
  }

  exec(sql: string): void {
    this.raw.exec(sql);
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F> {
    return this.raw.transaction(fn as unknown as (...args: unknown[]) => ReturnType<F>) as unknown as Transaction<F>;
  }

  exclusive<F extends (...args: never[]) => unknown>(fn: F): Transaction<F> {
    // IMMEDIATE takes the write lock at BEGIN, before anything in `fn` reads.
    return this.raw.transaction(fn as unknown as (...args: unknown[]) => ReturnType<F>).immediate as unknown as Transaction<F>;
  }

  close(): void {
    this.raw.close();
  }
}
