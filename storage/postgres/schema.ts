/**
 * A migration's SQLite DDL as PostgreSQL takes it. Only these spellings differ in
 * the hub's schema, so they are translated rather than kept twice:
 * - INTEGER is 32-bit in PostgreSQL and the hub stores millisecond timestamps: every INTEGER becomes BIGINT.
 * - TEXT compares by the database's collation in PostgreSQL (often en-US, where '_' < 'a' < 'B'), by
 *   bytes in SQLite: every TEXT column is COLLATE "C", so lists and cursors order the same on both.
 * - BLOB is BYTEA.
 * - WITHOUT ROWID (SQLite's clustered primary key) has no counterpart: PostgreSQL tables have no rowid.
 * Anything else that differs is a migration's own `postgres` text.
 */
export function postgresSchema(sql: string): string {
  return sql
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"')
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/\)\s*WITHOUT ROWID\s*;/g, ');');
}
