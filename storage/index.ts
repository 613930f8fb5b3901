import { useSqliteAuthState, type SqliteAuthState } from './auth-state.js';
import { chatsRepository, type ChatsRepository } from './chats-repository.js';
import { contactsRepository, type ContactsRepository } from './contacts-repository.js';
import { isPostgresUrl, openStore, type OpenOptions } from './database.js';
import type { SyncClientOptions } from './postgres/sync-client.js';
import type { SqlDatabase } from './sql-database.js';
import { SqliteDatabase } from './sqlite-database.js';
import { storeHealth, type StoreHealth } from './store-health.js';
import { eventLog, type EventLog } from './event-log.js';
import { FencedOutError, instanceFence, type InstanceFence } from './fence.js';
import { groupsRepository, type GroupsRepository } from './groups-repository.js';
import { instancesRepository, type InstancesRepository } from './instances-repository.js';
import { instanceSettingsRepository, type InstanceSettingsRepository } from './instance-settings-repository.js';
import { mediaRepository, type MediaRepository } from './media-repository.js';
import { messagesRepository, type MessagesRepository } from './messages-repository.js';
import { queuesRepository, type QueuesRepository } from './queues-repository.js';
import { sendsRepository, type SendsRepository } from './sends-repository.js';
import { settingsRepository, type SettingsRepository } from './settings-repository.js';
import { withTransaction } from './transaction.js';
import { webhooksRepository, type WebhooksRepository } from './webhooks-repository.js';
import type { InstanceId } from './types.js';

export { useSqliteAuthState, type SqliteAuthState, type WriteGuard } from './auth-state.js';
export { chatsRepository, type ChatPatch, type ChatRow, type ChatsRepository } from './chats-repository.js';
export { contactsRepository, type ContactPatch, type ContactRow, type ContactsRepository } from './contacts-repository.js';
export { EmptyDatabaseError, isPostgresUrl, openDatabase, openPostgres, openStore, type OpenOptions } from './database.js';
export { refusePromise, type Dialect, type RunResult, type SqlDatabase, type Statement, type Transaction } from './sql-database.js';
export { SqliteDatabase } from './sqlite-database.js';
export { PostgresDatabase } from './postgres/postgres-database.js';
export { ConnectionLostError, PostgresError } from './postgres/sync-client.js';
export { createPrivateFile, makePrivateDir, wideModes, PRIVATE_DIR, PRIVATE_FILE, type WideMode } from './file-modes.js';
export { storeHealth, storeProblemOf, type StoreHealth, type StoreProblem } from './store-health.js';
export { groupsRepository, type GroupsRepository } from './groups-repository.js';
export { FencedOutError, instanceFence, type InstanceFence } from './fence.js';
export { eventLog, type AppendedEvent, type EventLog, type LoggedEvent, type PayloadBuilder, type PruneOptions } from './event-log.js';
export { instancesRepository, type InstanceRow, type InstancesRepository, type NewInstance } from './instances-repository.js';
export { instanceSettingsRepository, type InstanceSettingsRepository } from './instance-settings-repository.js';
export {
  messagesRepository,
  type MessageCursor,
  type MessagePage,
  type MessageRow,
  type MessagesRepository,
  type StoredMessage
} from './messages-repository.js';
export { mediaRepository, type MediaRepository, type MediaRow, type NewMedia } from './media-repository.js';
export { appliedMigrations, migrate, MIGRATIONS, type AppliedMigration, type Migration } from './migrations.js';
export { queuesRepository, type QueueCounts, type QueueRow, type QueuesRepository, type RecipientRow } from './queues-repository.js';
export { sendsRepository, type SendsRepository } from './sends-repository.js';
export { settingsRepository, type SettingsRepository } from './settings-repository.js';
export { withTransaction } from './transaction.js';
export { webhooksRepository, type DeadLetterRow, type NewWebhook, type WebhookRow, type WebhooksRepository } from './webhooks-repository.js';
export type { InstanceId, Jid, MessageId } from './types.js';

/** Everything the hub keeps, behind one object. */
export interface Storage {
  db: SqlDatabase;
  /** The SQLite file; undefined on PostgreSQL. */
  file: string | undefined;
  /** A consistent copy of the SQLite file at `path` while the hub keeps writing; PostgreSQL's copies are pg_dump's job. */
  backup(path: string): Promise<void>;
  instances: InstancesRepository;
  /** Per-instance settings (calls, ignores, presence, history, proxy). */
  instanceSettings: InstanceSettingsRepository;
  settings: SettingsRepository;
  chats: ChatsRepository;
  contacts: ContactsRepository;
  /** Group metadata, also what Baileys' group sends read instead of asking WhatsApp. */
  groups: GroupsRepository;
  messages: MessagesRepository;
  /** Media messages and whether their bytes are stored. */
  media: MediaRepository;
  events: EventLog;
  queues: QueuesRepository;
  /** Write probe, file identity and schema checks, for readiness and for noticing a store that went away. */
  health: StoreHealth;
  sends: SendsRepository;
  webhooks: WebhooksRepository;
  authState(instanceId: InstanceId): SqliteAuthState;
  /** `withTransaction` on this database: the store writes and the log entries of one WhatsApp event commit together. */
  transaction<T>(fn: () => T): T;
  /** The per-instance fence: the largest lease token each instance's data was written with. */
  fence: InstanceFence;
  /**
   * In a cluster: every `write` (and every auth-state write) for an instance carries
   * the token `tokenOf` gives for it, checked by the store in the same transaction.
   * `refused` hears of each write the store refused, once its transaction rolled back.
   */
  fenceWith(tokenOf: (instanceId: InstanceId) => number | undefined, refused?: (instanceId: InstanceId) => void): void;
  /**
   * A transaction of the instance's own data: fenced once `fenceWith` was called
   * (FencedOutError, nothing written, when another node's token is newer), a plain
   * `transaction` before.
   */
  write<T>(instanceId: InstanceId, fn: () => T): T;
  close(): void;
}

/** Opens the SQLite file or the `postgres://` database (migrating it) and builds every repository on it. */
export function createStorage(location: string, opts: OpenOptions & SyncClientOptions = {}): Storage {
  const db = openStore(location, opts);
  const file = isPostgresUrl(location) ? undefined : location;
  const fence = instanceFence(db);
  let tokenOf: ((instanceId: InstanceId) => number | undefined) | undefined;
  let refused: (instanceId: InstanceId) => void = () => {};
  const pass = (instanceId: InstanceId) => {
    if (!tokenOf) return;
    try {
      const token = tokenOf(instanceId);
      if (token === undefined) throw new FencedOutError(instanceId, undefined);
      fence.pass(instanceId, token);
    } catch (err) {
      // After the transaction rolled back, whoever started it: the node steps down outside of it.
      if (err instanceof FencedOutError) queueMicrotask(() => refused(instanceId));
      throw err;
    }
  };
  return {
    db,
    file,
    backup: async path => {
      if (!(db instanceof SqliteDatabase)) throw new Error('backups copy the SQLite file; a PostgreSQL database is backed up with pg_dump');
      // SQLite's online backup: a consistent snapshot, copied in steps between the hub's writes.
      await db.raw.backup(path);
    },
    instances: instancesRepository(db),
    instanceSettings: instanceSettingsRepository(db),
    settings: settingsRepository(db),
    chats: chatsRepository(db),
    contacts: contactsRepository(db),
    groups: groupsRepository(db),
    messages: messagesRepository(db),
    media: mediaRepository(db),
    events: eventLog(db),
    queues: queuesRepository(db),
    health: storeHealth(db, file),
    sends: sendsRepository(db),
    webhooks: webhooksRepository(db),
    authState: instanceId => useSqliteAuthState(db, instanceId, { active: () => !!tokenOf, pass: () => pass(instanceId) }),
    transaction: fn => withTransaction(db, fn),
    fence,
    fenceWith: (fn, onRefused) => {
      tokenOf = fn;
      if (onRefused) refused = onRefused;
    },
    write: (instanceId, fn) =>
      tokenOf
        ? withTransaction(db, () => {
            pass(instanceId);
            return fn();
          })
        : withTransaction(db, fn),
    close: () => void db.close()
  };
}
