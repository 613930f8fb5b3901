import type { Database } from 'better-sqlite3';

/** Schema changes, in order. A migration is never edited once released; add a new one. */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
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
  }
];

/** Applies every migration not yet recorded, each in its own transaction. */
export function migrate(db: Database): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM migrations').pluck().all() as number[]);
  const ran: number[] = [];
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
    ran.push(m.version);
  }
  return ran;
}
