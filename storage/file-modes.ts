import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The database holds every account's WhatsApp keys: its folder is the owner's
 * alone (0700) and its files too (0600). SQLite creates a new file 0644 less the
 * umask, and gives its -wal and -shm files the main file's mode, so a file created
 * here first at 0600 keeps all three private whatever the process's umask.
 */
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
}

/** Creates `file` empty at 0600 unless it exists (an empty file is an empty SQLite database). */
export function createPrivateFile(file: string): void {
  if (existsSync(file)) return;
  closeSync(openSync(file, 'wx', PRIVATE_FILE));
}

/** A path in the data folder that others than its owner may read or enter. */
export interface WideMode {
  path: string;
  /** Octal, as `ls -l` would make it, e.g. "644". */
  mode: string;
}

/** The data folder and its SQLite files (the database, -wal, -shm, backups) whose mode gives group or others any access. */
export function wideModes(dataDir: string): WideMode[] {
  if (!existsSync(dataDir)) return [];
  const wide: WideMode[] = [];
  const check = (path: string) => {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) wide.push({ path, mode: mode.toString(8) });
  };
  check(dataDir);
  for (const name of readdirSync(dataDir)) if (/\.sqlite(-wal|-shm)?$/.test(name)) check(join(dataDir, name));
  const backups = join(dataDir, 'backups');
  if (existsSync(backups)) {
    check(backups);
    for (const name of readdirSync(backups)) check(join(backups, name));
  }
  return wide;
}
