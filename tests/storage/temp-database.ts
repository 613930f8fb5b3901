import { join } from 'node:path';
import { openDatabase, openPostgres } from '../../storage/database.js';
import { instancesRepository, type InstanceRow } from '../../storage/instances-repository.js';
import type { Dialect, SqlDatabase } from '../../storage/sql-database.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A fresh database of one backend, opened (and migrated) the way the hub opens it. */
export interface TempDatabase {
  backend: Dialect;
  /** The SQLite file, or the PostgreSQL URL. */
  location: string;
  db: SqlDatabase;
  /** Closes the connection and opens the database again, as a restarted hub would. */
  reopen(): SqlDatabase;
  /** Closes the connection (and removes the SQLite folder). */
  cleanup(): void;
}

/** A real SQLite file in a fresh temp folder, opened through `openDatabase`. */
export function openTempDatabase(): TempDatabase {
  const dir = tempDir('wahub-storage-');
  const file = join(dir.path, 'data', 'hub.sqlite');
  let db: SqlDatabase;
  try {
    db = openDatabase(file);
  } catch (err) {
    dir.cleanup();
    throw err;
  }
  const temp: TempDatabase = {
    backend: 'sqlite',
    location: file,
    db,
    reopen: () => {
      temp.db.close();
      temp.db = openDatabase(file);
      return temp.db;
    },
    cleanup: () => {
      if (temp.db.open) temp.db.close();
      dir.cleanup();
    }
  };
  return temp;
}

/** A fresh database on the server, opened through `openPostgres`; the server removes it when it stops. */
export async function openTempPostgres(server: TestPostgres): Promise<TempDatabase> {
  const url = await server.createDatabase();
  const temp: TempDatabase = {
    backend: 'postgres',
    location: url,
    db: openPostgres(url),
    reopen: () => {
      temp.db.close();
      temp.db = openPostgres(url);
      return temp.db;
    },
    cleanup: () => temp.db.close()
  };
  return temp;
}

export const BACKENDS: readonly Dialect[] = ['sqlite', 'postgres'];

/**
 * Runs `suite` once per backend, each in its own `describe`. PostgreSQL is one
 * server for the file, started before its tests and stopped after; every
 * `open()` is a database of its own.
 */
export function eachBackend(suite: (backend: { name: Dialect; open(): Promise<TempDatabase> }) => void): void {
  describe.each(BACKENDS)('on %s', name => {
    let server: TestPostgres | undefined;
    if (name === 'postgres') {
      beforeAll(async () => {
        server = await startPostgres();
      }, 60_000);
      afterAll(async () => server?.stop());
    }
    suite({
      name,
      open: async () => (name === 'sqlite' ? openTempDatabase() : openTempPostgres(server!))
    });
  });
}

/** Instances need a row before anything can hang off them (foreign keys are on). */
export function addInstance(db: SqlDatabase, name: string): InstanceRow {
  return instancesRepository(db).create({ name, token_hash: `hash-of-${name}`, state: 'close' });
}

/** What a write refused by `injectWriteFailure` throws: SQLite's trigger ABORT, or PostgreSQL's RAISE EXCEPTION. */
export const INJECTED_FAILURE_CODE: Record<Dialect, string> = { sqlite: 'SQLITE_CONSTRAINT_TRIGGER', postgres: 'P0001' };

/**
 * Makes the database refuse inserts into `table` whose `column` equals `value`,
 * with the message 'injected write failure', after earlier writes of the same
 * call ran; answers the function that lifts the fault.
 */
export function injectWriteFailure(temp: TempDatabase, table: string, column: string, value: string): () => void {
  if (temp.backend === 'sqlite') {
    temp.db.exec(
      `CREATE TEMP TRIGGER poison BEFORE INSERT ON ${table} WHEN NEW.${column} = '${value}'
       BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`
    );
    return () => temp.db.exec('DROP TRIGGER poison');
  }
  temp.db.exec(
    `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF NEW.${column} = '${value}' THEN RAISE EXCEPTION 'injected write failure'; END IF;
       RETURN NEW;
     END $$;
     CREATE TRIGGER poison BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION poison();`
  );
  return () => temp.db.exec(`DROP TRIGGER poison ON ${table}; DROP FUNCTION poison();`);
}
