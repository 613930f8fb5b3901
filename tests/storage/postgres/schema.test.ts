import { postgresSchema } from '../../../storage/postgres/schema.js';

test("SQLite's DDL becomes PostgreSQL's: BIGINT integers, bytewise text, BYTEA, no WITHOUT ROWID", () => {
  const sqlite = `
    CREATE TABLE t (
      id TEXT NOT NULL,
      at INTEGER NOT NULL,
      bytes BLOB,
      PRIMARY KEY (id)
    ) WITHOUT ROWID;
    ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 0;`;
  expect(postgresSchema(sqlite)).toBe(`
    CREATE TABLE t (
      id TEXT COLLATE "C" NOT NULL,
      at BIGINT NOT NULL,
      bytes BYTEA,
      PRIMARY KEY (id)
    );
    ALTER TABLE t ADD COLUMN n BIGINT NOT NULL DEFAULT 0;`);
});
