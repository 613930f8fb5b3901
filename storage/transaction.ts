import type { SqlDatabase } from './sql-database.js';

/**
 * Runs `fn` in one transaction: everything it writes commits together or not at
 * all. The hub uses it so the store writes and the event-log entries of one
 * WhatsApp event land together; a nested call becomes a savepoint of the outer one.
 *
 * `fn` must be synchronous: better-sqlite3 throws if it returns a promise, because
 * an `await` inside would let other writes slip into the open transaction.
 */
export function withTransaction<T>(db: SqlDatabase, fn: () => T): T {
  return db.transaction(fn)();
}
