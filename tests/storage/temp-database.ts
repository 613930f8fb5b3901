import { join } from 'node:path';
import { openDatabase, type Database } from '../../storage/database.js';
import { instancesRepository, type InstanceRow } from '../../storage/instances-repository.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A real SQLite file in a fresh temp folder, opened through `openDatabase`. */
export interface TempDatabase {
  file: string;
  db: Database;
  /** Closes the file and opens it again, as a restarted hub would. */
  reopen(): Database;
  /** Closes the file and removes the folder. */
  cleanup(): void;
}

export function openTempDatabase(): TempDatabase {
  const dir = tempDir('wahub-storage-');
  const file = join(dir.path, 'data', 'hub.sqlite');
  let db: Database;
  try {
    db = openDatabase(file);
  } catch (err) {
    dir.cleanup();
    throw err;
  }
  const temp: TempDatabase = {
    file,
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

/** Instances need a row before anything can hang off them (foreign keys are on). */
export function addInstance(db: Database, name: string): InstanceRow {
  return instancesRepository(db).create({ name, token_hash: `hash-of-${name}`, state: 'close' });
}
