import { openPostgres } from '../../../storage/database.js';
import { appliedMigrations, migrate, MIGRATIONS, type Migration } from '../../../storage/migrations.js';
import { PostgresDatabase } from '../../../storage/postgres/postgres-database.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => server.stop());

const tables = (db: PostgresDatabase) =>
  db.prepare<[], string>("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename").pluck().all();

test('every migration is applied once, with BIGINT integers, and reopening runs none again', async () => {
  const url = await server.createDatabase();
  let db = openPostgres(url);
  try {
    const applied = appliedMigrations(db);
    expect(applied.map(m => m.version)).toEqual(MIGRATIONS.map(m => m.version));
    expect(tables(db)).toEqual(expect.arrayContaining(['instances', 'auth_keys', 'messages', 'event_log', 'event_seq', 'queues', 'webhooks', 'media', 'groups', 'instance_settings']));
    const types = db
      .prepare<[], { data_type: string }>("SELECT DISTINCT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND column_name IN ('created_at', 'seq', 'timestamp', 'file_length')")
      .all();
    expect(types).toEqual([{ data_type: 'bigint' }]);
    db.close();
    db = openPostgres(url);
    expect(migrate(db)).toEqual([]);
    expect(appliedMigrations(db)).toEqual(applied);
  } finally {
    db.close();
  }
});

test('a failing migration leaves no trace (PostgreSQL DDL is transactional) and is applied once fixed', async () => {
  const db = new PostgresDatabase(await server.createDatabase());
  try {
    const one: Migration = { version: 1, name: 'one', sql: 'CREATE TABLE one (x INTEGER)' };
    const broken: Migration = { version: 2, name: 'two', sql: 'CREATE TABLE two (x INTEGER); INSERT INTO one VALUES (1); CREATE TABLE one (y INTEGER)' };
    expect(() => migrate(db, [one, broken])).toThrow(/already exists/);
    expect(appliedMigrations(db).map(m => m.version)).toEqual([1]);
    expect(tables(db)).toEqual(['migrations', 'one']);
    expect(db.prepare('SELECT COUNT(*) FROM one').pluck().get()).toBe(0);
    expect(migrate(db, [one, { ...broken, sql: 'CREATE TABLE two (x INTEGER); INSERT INTO one VALUES (1)' }])).toEqual([2]);
    expect(db.prepare('SELECT COUNT(*) FROM one').pluck().get()).toBe(1);
  } finally {
    db.close();
  }
});

test('a build that knows fewer migrations than the database has refuses it', async () => {
  const db = openPostgres(await server.createDatabase());
  try {
    expect(() => migrate(db, MIGRATIONS.slice(0, 1))).toThrow(/schema version 10; this build knows up to 1/);
  } finally {
    db.close();
  }
});

test('a database that must hold the hub data and is empty is refused', async () => {
  const url = await server.createDatabase();
  expect(() => openPostgres(url, { mustHoldData: true })).toThrow(/empty/);
});
