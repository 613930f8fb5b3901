import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createPrivateFile, makePrivateDir } from './file-modes.js';
import { migrate } from './migrations.js';
import { PostgresDatabase } from './postgres/postgres-database.js';
import type { SyncClientOptions } from './postgres/sync-client.js';
import type { SqlDatabase } from './sql-database.js';
import { SqliteDatabase } from './sqlite-database.js';

export type { SqlDatabase } from './sql-database.js';

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
export function openDatabase(file: string, opts: OpenOptions = {}): SqliteDatabase {
  if (file !== ':memory:' && file !== '') {
    makePrivateDir(dirname(file));
    // Not when the file must hold data: a missing one is the error to report, not a file to create.
    if (!opts.mustHoldData) createPrivateFile(file);
  }
  let db: BetterSqlite3.Database;
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
    migrate(new SqliteDatabase(db));
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteDatabase(db);
}

/** `postgres://` or `postgresql://`: where the hub's data lives when it is not a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Connects to the PostgreSQL database at `url` and brings its schema up to date. */
export function openPostgres(url: string, opts: OpenOptions & SyncClientOptions = {}): PostgresDatabase {
  const db = new PostgresDatabase(url, opts);
  try {
    if (opts.mustHoldData && !db.prepare("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'migrations'").get()) {
      throw new EmptyDatabaseError('the PostgreSQL database is empty');
    }
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** A SQLite file, or a PostgreSQL database when `location` is a postgres:// URL. */
export function openStore(location: string, opts: OpenOptions & SyncClientOptions = {}): SqlDatabase {
  return isPostgresUrl(location) ? openPostgres(location, opts) : openDatabase(location, opts);
}
