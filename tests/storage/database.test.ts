import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { appliedMigrations, migrate, MIGRATIONS, type Migration } from '../../storage/migrations.js';
import { SqliteDatabase } from '../../storage/sqlite-database.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openTempDatabase, type TempDatabase } from './temp-database.js';

let temp: TempDatabase;
let raw: BetterSqlite3.Database;
beforeEach(() => {
  temp = openTempDatabase();
  raw = (temp.db as SqliteDatabase).raw;
});
afterEach(() => temp.cleanup());

test('opens in a folder it creates, with WAL, foreign keys, NORMAL sync and a busy timeout', () => {
  expect(existsSync(temp.location)).toBe(true);
  expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
  expect(raw.pragma('foreign_keys', { simple: true })).toBe(1);
  expect(raw.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
  expect(raw.pragma('busy_timeout', { simple: true })).toBe(5000);
});

test('every migration is applied once and recorded with its time', () => {
  const applied = appliedMigrations(temp.db);
  expect(applied.map(m => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(applied.map(m => m.version)).toEqual(MIGRATIONS.map(m => m.version));
  for (const m of applied) expect(m.applied_at).toBeGreaterThan(Date.now() - 60_000);
  const tables = temp.db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  expect(tables).toEqual(
    expect.arrayContaining(['instances', 'auth_creds', 'auth_keys', 'chats', 'contacts', 'messages', 'event_log', 'event_seq', 'migrations', 'queues', 'queue_recipients', 'instance_settings', 'instance_fences'])
  );
  const indexes = temp.db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").pluck().all();
  expect(indexes).toEqual(expect.arrayContaining(['messages_by_chat_page', 'event_log_by_time']));
  expect(indexes).not.toContain('messages_by_chat_time');
});

test('reopening the file runs no migration again', () => {
  const before = appliedMigrations(temp.db);
  const db = temp.reopen();
  expect(appliedMigrations(db)).toEqual(before);
  expect(migrate(db)).toEqual([]);
  expect(appliedMigrations(db)).toEqual(before);
});

test('a failing migration leaves no trace and is applied on the next run once fixed', () => {
  const dir = tempDir();
  const db = new SqliteDatabase(new BetterSqlite3(join(dir.path, 'plain.sqlite')));
  try {
    const one: Migration = { version: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER)' };
    const broken: Migration = { version: 2, name: 'two', sql: 'CREATE TABLE two (x INTEGER); INSERT INTO one VALUES (1); CREATE TABLE one (y)' };
    expect(() => migrate(db, [one, broken])).toThrow(/already exists/);
    expect(appliedMigrations(db).map(m => m.version)).toEqual([1]);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'two'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM one').pluck().get()).toBe(0);

    const fixed: Migration = { ...broken, sql: 'CREATE TABLE two (x INTEGER); INSERT INTO one VALUES (1)' };
    expect(migrate(db, [one, fixed])).toEqual([2]);
    expect(db.prepare('SELECT COUNT(*) FROM one').pluck().get()).toBe(1);
  } finally {
    db.close();
    dir.cleanup();
  }
});

test('a build that knows fewer migrations than the file has refuses to open it', () => {
  expect(() => migrate(temp.db, MIGRATIONS.slice(0, 1))).toThrow(/schema version 10; this build knows up to 1/);
  expect(appliedMigrations(temp.db).map(m => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});
