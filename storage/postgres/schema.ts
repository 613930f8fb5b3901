/**
 * A migration's SQLite DDL as PostgreSQL takes it. Only two spellings differ in
 * the hub's schema, so they are translated rather than kept twice:
 * - INTEGER is 32-bit in PostgreSQL and the hub stores millisecond timestamps: every INTEGER becomes BIGINT.
 * - WITHOUT ROWID (SQLite's clustered primary key) has no counterpart: PostgreSQL tables have no rowid.
 * Anything else that differs is a migration's own `postgres` text.
 */
export function postgresSchema(sql: string): string {
  return sql.replace(/\bINTEGER\b/g, 'BIGINT').replace(/\)\s*WITHOUT ROWID\s*;/g, ');');
}
