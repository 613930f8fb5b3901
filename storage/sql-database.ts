/**
 * What the repositories need from a database, and no more: better-sqlite3's
 * synchronous shape (prepare → run/get/all, pluck, transaction), so the same
 * repositories run on SQLite and on PostgreSQL. Statements use `?` or `@name`
 * placeholders; the PostgreSQL backend rewrites them to `$n`.
 */

/** Which SQL the database speaks, for the few statements that differ (see `dialect.ts`). */
export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export interface Statement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  /** Answers the first column of each row instead of the row; `R` is then that column's type. */
  pluck(): this;
}

/** `transaction(fn)`: a function that runs `fn` in one transaction, or in a savepoint of the open one. */
export type Transaction<F extends (...args: never[]) => unknown> = (...args: Parameters<F>) => ReturnType<F>;

export interface SqlDatabase {
  readonly dialect: Dialect;
  /** False once closed. */
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): P extends unknown[] ? Statement<P, R> : Statement<[P], R>;
  /** Runs one or more statements without parameters (migrations, triggers). */
  exec(sql: string): void;
  /**
   * Wraps `fn` so that it runs in one transaction; a nested call becomes a
   * savepoint. `fn` must be synchronous: a promise is refused, because an `await`
   * inside would let other writes slip into the open transaction.
   */
  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
  /**
   * A transaction that holds the database's one writer lock from its start, so
   * two processes never run it at once (schema migrations): SQLite's BEGIN
   * IMMEDIATE, PostgreSQL's transaction-scoped advisory lock.
   */
  exclusive<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
  close(): void;
}

/**
 * A one-column subquery of the strings in the JSON array bound at `param` (`?` or
 * `@name`): one statement for any number of values, where `IN (?, ?, ...)` would
 * need one statement per count.
 */
export function jsonStrings(dialect: Dialect, param: string): string {
  return dialect === 'postgres' ? `SELECT jsonb_array_elements_text(CAST(${param} AS jsonb))` : `SELECT value FROM json_each(${param})`;
}

/** Refused for the same reason better-sqlite3 refuses it, with the same message. */
export function refusePromise(value: unknown): void {
  if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
    throw new TypeError('Transaction function cannot return a promise');
  }
}
