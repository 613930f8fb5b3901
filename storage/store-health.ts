import { statSync } from 'node:fs';
import type { SqlDatabase } from './sql-database.js';
import { appliedMigrations, MIGRATIONS } from './migrations.js';

/** Why the store cannot be trusted with a write right now; `lasting` when only a restart can fix it. */
export interface StoreProblem {
  reason: string;
  code: string;
  lasting: boolean;
}

/**
 * Reads SQLite's error codes (better-sqlite3's `SqliteError.code`) or PostgreSQL's
 * SQLSTATEs as a problem, or undefined for other errors.
 */
export function storeProblemOf(err: unknown): StoreProblem | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return postgresProblemOf(code);
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code.startsWith('SQLITE_FULL')) return { code, reason: 'the disk is full', lasting: false };
  if (code.startsWith('SQLITE_READONLY')) return { code, reason: 'the database is read-only', lasting: false };
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return { code, reason: 'the database is corrupt', lasting: true };
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return { code, reason: 'the database cannot be written', lasting: false };
  // Constraint and misuse errors are bugs in one write, not a store that is down.
  return undefined;
}

/** SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html */
function postgresProblemOf(code: string): StoreProblem | undefined {
  if (code === '53100') return { code, reason: 'the disk is full', lasting: false };
  if (code === '25006') return { code, reason: 'the database is read-only', lasting: false };
  if (code.startsWith('XX')) return { code, reason: 'the database is corrupt', lasting: true };
  // A connection that went or could not be made, a server shutting down or out of resources: it may come back.
  if (code.startsWith('08') || code.startsWith('57P') || code.startsWith('53')) return { code, reason: 'the database cannot be reached', lasting: false };
  return undefined;
}

class TruncatedError extends Error {}

export interface StoreHealth {
  /** Writes one row and checks that the file on disk is still the one opened; undefined when all is well. */
  check(): StoreProblem | undefined;
  /** Every known migration is recorded in this file. */
  migrated(): boolean;
}

/** Health checks for the store at `file` (undefined for PostgreSQL: no file to watch), opened as `db`. */
export function storeHealth(db: SqlDatabase, file: string | undefined): StoreHealth {
  // The hub never vacuums, so its file never shrinks: a smaller one was truncated behind its back,
  // which SQLite itself notices only when it next reads a page it has not cached.
  let largest = 0;
  const identity = (path: string): string => {
    const s = statSync(path);
    largest = Math.max(largest, s.size);
    if (s.size < largest) throw new TruncatedError();
    return `${s.dev}:${s.ino}`;
  };
  // A file removed or swapped under an open connection takes writes without an error: they land in
  // the old inode, which is gone at the next start. Only comparing the path's inode shows it.
  const watched = file === ':memory:' ? undefined : file;
  const opened = watched === undefined ? undefined : identity(watched);
  const probe = db.prepare<[string]>("INSERT INTO settings (key, value) VALUES ('store.probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  return {
    check() {
      if (opened && watched) {
        let now: string | undefined;
        try {
          now = identity(watched);
        } catch (err) {
          if (err instanceof TruncatedError) return { code: 'TRUNCATED', reason: 'the database file was truncated', lasting: true };
          return { code: 'REMOVED', reason: 'the database file was removed', lasting: true };
        }
        if (now !== opened) return { code: 'REPLACED', reason: 'the database file was replaced', lasting: true };
      }
      try {
        probe.run(String(Date.now()));
        return undefined;
      } catch (err) {
        return storeProblemOf(err) ?? { code: 'UNKNOWN', reason: `the database cannot be written: ${(err as Error).message}`, lasting: false };
      }
    },
    migrated: () => {
      const applied = new Set(appliedMigrations(db).map(m => m.version));
      return MIGRATIONS.every(m => applied.has(m.version));
    }
  };
}
