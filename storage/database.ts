import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { createPrivateFile, makePrivateDir } from './file-modes.js';
import { migrate } from './migrations.js';

export type { Database } from 'better-sqlite3';

/** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Thrown when the file should hold the hub's data and does not (missing, or without a schema). */
export class EmptyDatabaseError extends Error {
  readonly code = 'HUB_EMPTY_DATABASE';
}

export interface OpenOptions {
  /** The data folder shows this file held data before: refuse to start over on a missing or empty one. */
  mustHoldData?: boolean;
}

/** Opens (creating it and its folder if needed) the hub's SQLite file and brings its schema up to date. */
export function openDatabase(file: string, opts: OpenOptions = {}): Database {
  if (file !== ':memory:' && file !== '') {
    makePrivateDir(dirname(file));
    // Not when the file must hold data: a missing one is the error to report, not a file to create.
    if (!opts.mustHoldData) createPrivateFile(file);
  }
  let db: Database;
  try {
    db = new BetterSqlite3(file, { fileMustExist: !!opts.mustHoldData });
  } catch (err) {
    if (opts.mustHoldData && (err as { code?: string }).code === 'SQLITE_CANTOPEN') throw new EmptyDatabaseError(`${file} is missing`);
    throw err;
  }
  try {
    if (opts.mustHoldData && !db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'migrations'").get()) {
      throw new EmptyDatabaseError(`${file} is empty`);
    }
    // Set first, so that switching the journal below also waits for a lock instead of failing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL: readers (replays, REST reads) never wait for the writer, and the writer never waits for them.
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL survives a process crash; only a power loss can drop the last commits.
    db.pragma('synchronous = NORMAL');
    // Every per-instance table relies on ON DELETE CASCADE. SQLite's default is off; better-sqlite3's
    // build happens to turn them on, but a schema that depends on them should not depend on a build flag.
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
