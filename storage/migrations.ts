import { postgresSchema } from './postgres/schema.js';
import type { SqlDatabase } from './sql-database.js';

/** One schema change. Once released it is never edited: a fix is a new migration. */
export interface Migration {
  version: number;
  name: string;
  /** SQLite's DDL; PostgreSQL runs it through `postgresSchema` unless `postgres` is given. */
  sql: string;
  /** PostgreSQL's own DDL, where the translation of `sql` is not enough. */
  postgres?: string;
}

/** A row of the `migrations` table: which schema changes this file has had, and when. */
export interface AppliedMigration {
  version: number;
  name: string;
  applied_at: number;
}

/** The hub's schema, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        owner TEXT,
        push_name TEXT,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE auth_creds (
        instance_id TEXT PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        creds TEXT NOT NULL
      );
      CREATE TABLE auth_keys (
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (instance_id, type, id)
      ) WITHOUT ROWID;
      CREATE TABLE chats (
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        jid TEXT NOT NULL,
        name TEXT,
        unread_count INTEGER,
        conversation_timestamp INTEGER,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (instance_id, jid)
      ) WITHOUT ROWID;
      CREATE TABLE contacts (
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        jid TEXT NOT NULL,
        lid TEXT,
        phone_number TEXT,
        name TEXT,
        notify TEXT,
        profile_picture_url TEXT,
        PRIMARY KEY (instance_id, jid)
      ) WITHOUT ROWID;
      CREATE TABLE messages (
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        chat_jid TEXT NOT NULL,
        id TEXT NOT NULL,
        from_me INTEGER NOT NULL,
        participant TEXT,
        push_name TEXT,
        message_type TEXT NOT NULL,
        content TEXT NOT NULL,
        status TEXT,
        timestamp INTEGER NOT NULL,
        PRIMARY KEY (instance_id, chat_jid, id, from_me)
      ) WITHOUT ROWID;
      CREATE INDEX messages_by_chat_time ON messages (instance_id, chat_jid, timestamp DESC, id DESC);
      CREATE INDEX messages_by_id ON messages (instance_id, id);
      CREATE TABLE event_seq (
        instance_id TEXT PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        last_seq INTEGER NOT NULL
      );
      CREATE TABLE event_log (
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (instance_id, seq)
      ) WITHOUT ROWID;
    `
  },
  {
    version: 2,
    name: 'paging and retention indexes',
    sql: `
      -- Messages of one chat often share a second; paging needs the whole key order in the index,
      -- or a message sharing the cursor's timestamp and id (the other direction) falls between pages.
      DROP INDEX messages_by_chat_time;
      CREATE INDEX messages_by_chat_page ON messages (instance_id, chat_jid, timestamp DESC, id DESC, from_me DESC);
      -- Pruning by age would otherwise scan the whole log.
      CREATE INDEX event_log_by_time ON event_log (created_at);
    `
  },
  {
    version: 3,
    name: 'send queues',
    sql: `
      CREATE TABLE queues (
        id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        state TEXT NOT NULL,
        reason TEXT,
        message TEXT NOT NULL,
        options TEXT NOT NULL,
        total INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX queues_by_instance ON queues (instance_id, created_at);
      CREATE TABLE queue_recipients (
        queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        number TEXT NOT NULL,
        jid TEXT,
        state TEXT NOT NULL,
        message_id TEXT,
        error TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (queue_id, position)
      ) WITHOUT ROWID;
      -- The daily cap counts what an instance sent since midnight.
      CREATE INDEX queue_recipients_sent ON queue_recipients (state, updated_at);
    `
  },
  {
    version: 4,
    name: 'send attempts and daily send counts',
    sql: `
      -- Transient failures are retried with the same message ID a bounded number of times, across restarts.
      ALTER TABLE queue_recipients ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      -- Every send of an instance (single or bulk) counts towards a queue's daily cap: one counter per local day.
      CREATE TABLE instance_sends (
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        day INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (instance_id, day)
      ) WITHOUT ROWID;
    `
  },
  {
    version: 5,
    name: 'webhooks',
    sql: `
      -- The secret is kept in clear: every delivery is signed with it. The cursor is the last seq
      -- the receiver acknowledged (or skipped by the filter); retention keeps what lies after it.
      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        global INTEGER NOT NULL DEFAULT 0,
        url TEXT NOT NULL,
        events TEXT,
        enabled INTEGER NOT NULL,
        secret TEXT NOT NULL,
        cursor INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'ok',
        last_error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX webhooks_by_instance ON webhooks (instance_id, created_at);
      -- An event given up on after every attempt; the envelope is copied so retention cannot take it.
      CREATE TABLE webhook_dead_letters (
        webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        failed_at INTEGER NOT NULL,
        PRIMARY KEY (webhook_id, seq)
      ) WITHOUT ROWID;
    `
  },
  {
    version: 6,
    name: 'media',
    sql: `
      -- One row per media message (received or sent). The bytes live under DATA_DIR/media,
      -- named by their SHA-256, so a file sent to many or received twice is kept once.
      -- sha256 is what WhatsApp says the plaintext hashes to; stored_at is set once the
      -- file with that digest is on disk.
      CREATE TABLE media (
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL,
        chat_jid TEXT NOT NULL,
        from_me INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        mimetype TEXT NOT NULL,
        file_length INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        stored_at INTEGER,
        PRIMARY KEY (instance_id, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX media_by_sha256 ON media (sha256);
      CREATE INDEX media_by_created ON media (created_at);
    `
  },
  {
    version: 7,
    name: 'groups',
    sql: `
      -- Baileys' group metadata as JSON, one row per group: what a group send hands to Baileys
      -- (cachedGroupMetadata) instead of asking WhatsApp for the members every time.
      CREATE TABLE groups (
        instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        jid TEXT NOT NULL,
        metadata TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (instance_id, jid)
      ) WITHOUT ROWID;
    `
  },
  {
    version: 8,
    name: 'instance settings',
    sql: `
      -- One JSON object per instance (rejectCalls, ignoreGroups, proxy...): the settings are read
      -- and written whole, never queried by field, and new ones need no new migration.
      CREATE TABLE instance_settings (
        instance_id TEXT PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        settings TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `
  },
  {
    version: 9,
    name: 'creation order on postgres',
    // SQLite numbers every row of these tables (rowid), which their lists use to order rows created in one millisecond.
    sql: '-- SQLite has the rowid already.',
    postgres: `
      ALTER TABLE instances ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;
      ALTER TABLE webhooks ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;
    `
  },
  {
    version: 10,
    name: 'instance fences',
    sql: `
      -- The largest lease token any node wrote an instance's data with (server/cluster/leases.ts):
      -- a write carrying a smaller one comes from a node that lost the lease, and is refused.
      CREATE TABLE instance_fences (
        instance_id TEXT PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        token INTEGER NOT NULL
      ) WITHOUT ROWID;
    `
  }
];

/**
 * Applies every migration the file has not had, each in its own transaction
 * together with its row in `migrations`, so a failing one leaves no trace and
 * is retried on the next open. Returns the versions it applied.
 */
export function migrate(db: SqlDatabase, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const table = 'CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)';
  // Under the lock too: two PostgreSQL sessions creating the same table at once collide in its catalog.
  db.exclusive(() => db.exec(db.dialect === 'postgres' ? postgresSchema(table) : table))();
  const known = Math.max(0, ...migrations.map(m => m.version));
  const current = db.prepare<[], number>('SELECT COALESCE(MAX(version), 0) FROM migrations').pluck().get() ?? 0;
  // An older build must not write into a schema it does not know.
  if (current > known) throw new Error(`the database is at schema version ${current}; this build knows up to ${known}`);

  const isApplied = db.prepare<[number], number>('SELECT 1 FROM migrations WHERE version = ?').pluck();
  const record = db.prepare<[number, string, number]>('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const apply = db.exclusive((m: Migration): boolean => {
    // Checked again under the write lock: another process may have opened the same database at the same time.
    if (isApplied.get(m.version)) return false;
    db.exec(db.dialect === 'postgres' ? (m.postgres ?? postgresSchema(m.sql)) : m.sql);
    record.run(m.version, m.name, Date.now());
    return true;
  });

  const ran: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    // The lock is taken before the check above, so two openers never both run it.
    if (apply(m)) ran.push(m.version);
  }
  return ran;
}

/** The migrations recorded in this file, oldest first. */
export function appliedMigrations(db: SqlDatabase): AppliedMigration[] {
  return db.prepare<[], AppliedMigration>('SELECT version, name, applied_at FROM migrations ORDER BY version').all();
}
