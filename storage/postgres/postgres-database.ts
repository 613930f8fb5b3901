import { refusePromise, type RunResult, type SqlDatabase, type Statement, type Transaction } from '../sql-database.js';
import { bindValues, numberPlaceholders, type NumberedSql } from './placeholders.js';
import { ConnectionLostError, PostgresError, SyncClient, type SyncClientOptions } from './sync-client.js';

/** The advisory lock `exclusive()` takes: one number for the hub's schema, whatever the database. */
const SCHEMA_LOCK = 0x77616875; // 'wahu'
/** Reconnects after a failed one wait this long, doubling up to the maximum. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

class PgStatement implements Statement {
  private plucked = false;

  constructor(
    private readonly db: PostgresDatabase,
    private readonly sql: NumberedSql,
    /** Server-side prepared statement name: parsed once per connection. */
    private readonly name: string
  ) {}

  pluck(): this {
    this.plucked = true;
    return this;
  }

  run(...args: unknown[]): RunResult {
    return { changes: this.db.query(this.sql.text, bindValues(this.sql, args), this.name).rowCount };
  }

  get(...args: unknown[]): unknown {
    return this.rows(args)[0];
  }

  all(...args: unknown[]): unknown[] {
    return this.rows(args);
  }

  private rows(args: unknown[]): unknown[] {
    const { rows } = this.db.query(this.sql.text, bindValues(this.sql, args), this.name, this.plucked ? 'array' : undefined);
    return this.plucked ? rows.map(row => (row as unknown[])[0]) : rows;
  }
}

/**
 * PostgreSQL behind `SqlDatabase`, on one connection held by a worker thread
 * (`SyncClient`). Transactions are BEGIN/COMMIT with savepoints for nested ones,
 * as better-sqlite3 does them. Unlike SQLite, PostgreSQL aborts a transaction at
 * its first failed statement; a caller that catches such an error and goes on
 * gets the failure again at commit instead of a silent rollback.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly client: SyncClient;
  private readonly names = new Map<string, string>();
  private depth = 0;
  /** The open transaction can only roll back: a statement in it failed, or its connection went. */
  private doomed: Error | undefined;
  private closed = false;
  /** After a failed reconnect, statements fail at once until then: each attempt blocks the thread. */
  private retryAt = 0;
  private retryDelayMs = 0;

  constructor(url: string, options: SyncClientOptions = {}) {
    this.client = new SyncClient(url, options);
  }

  get open(): boolean {
    return !this.closed;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): P extends unknown[] ? Statement<P, R> : Statement<[P], R> {
    const numbered = numberPlaceholders(sql);
    let name = this.names.get(numbered.text);
    if (!name) this.names.set(numbered.text, (name = `wahub_${this.names.size + 1}`));
    return new PgStatement(this, numbered, name) as unknown as P extends unknown[] ? Statement<P, R> : Statement<[P], R>;
  }

  exec(sql: string): void {
    this.send(() => this.client.exec(sql));
  }

  /** One statement with `$n` placeholders (what the statements call). */
  query(text: string, values: unknown[], name?: string, rowMode?: 'array'): { rows: unknown[]; rowCount: number } {
    return this.send(() => this.client.query(text, values, { name, rowMode }));
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F> {
    return ((...args: Parameters<F>) => this.run(fn, args, false)) as Transaction<F>;
  }

  exclusive<F extends (...args: never[]) => unknown>(fn: F): Transaction<F> {
    return ((...args: Parameters<F>) => this.run(fn, args, true)) as Transaction<F>;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private send<T>(call: () => T): T {
    if (this.closed) throw new TypeError('The database connection is not open');
    if (this.doomed) throw this.doomed;
    // Outside a transaction nothing is lost with the old connection: take a new one.
    // Inside one, never: its earlier writes are gone, so the transaction fails whole.
    if (this.client.lost && this.depth === 0) this.reconnect();
    try {
      return call();
    } catch (err) {
      if (this.depth > 0) this.doomed = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  private reconnect(): void {
    if (Date.now() < this.retryAt) throw this.client.lost;
    try {
      this.client.reconnect();
      this.retryDelayMs = 0;
    } catch (err) {
      this.retryDelayMs = Math.min(Math.max(2 * this.retryDelayMs, RETRY_MIN_MS), RETRY_MAX_MS);
      this.retryAt = Date.now() + this.retryDelayMs;
      throw err;
    }
  }

  private run<F extends (...args: never[]) => unknown>(fn: F, args: Parameters<F>, exclusive: boolean): ReturnType<F> {
    const outer = this.depth === 0;
    const savepoint = `wahub_sp_${this.depth}`;
    this.send(() => this.client.exec(outer ? 'BEGIN' : `SAVEPOINT ${savepoint}`));
    this.depth++;
    let result: ReturnType<F>;
    try {
      if (exclusive && outer) this.send(() => this.client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]));
      result = fn(...args) as ReturnType<F>;
      refusePromise(result);
      if (this.doomed) throw this.doomed;
    } catch (err) {
      this.depth--;
      this.rollback(outer, savepoint);
      throw err;
    }
    this.depth--;
    if (outer) this.commit();
    else this.send(() => this.client.exec(`RELEASE SAVEPOINT ${savepoint}`));
    return result;
  }

  private commit(): void {
    try {
      this.client.exec('COMMIT');
    } catch (err) {
      // A COMMIT that failed (serialization, deferred constraint) has rolled back; a lost one is unknown.
      this.doomed = undefined;
      throw err;
    }
  }

  private rollback(outer: boolean, savepoint: string): void {
    const doomed = this.doomed;
    if (doomed instanceof ConnectionLostError || this.client.lost) {
      // The server rolled the transaction back when the connection went; savepoints went with it.
      if (outer) this.doomed = undefined;
      return;
    }
    try {
      if (outer) this.client.exec('ROLLBACK');
      else this.client.exec(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
      // Rolling back to the savepoint undoes the failure too: the outer transaction can go on.
      this.doomed = undefined;
    } catch (err) {
      if (outer) this.doomed = undefined;
      else this.doomed = err instanceof Error ? err : new PostgresError(String(err));
    }
  }
}
