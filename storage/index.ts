import { useSqliteAuthState } from './auth-state.js';
import { chatsRepository } from './chats-repository.js';
import { contactsRepository } from './contacts-repository.js';
import { openDatabase } from './database.js';
import { eventLog } from './event-log.js';
import { instancesRepository } from './instances-repository.js';
import { messagesRepository } from './messages-repository.js';
import { settingsRepository } from './settings-repository.js';

export type { SqliteAuthState } from './auth-state.js';
export type { ChatPatch, ChatRow } from './chats-repository.js';
export type { ContactPatch, ContactRow } from './contacts-repository.js';
export type { LoggedEvent } from './event-log.js';
export type { InstanceRow } from './instances-repository.js';
export type { StoredMessage } from './messages-repository.js';

/** Everything the hub keeps, behind one object; the only place SQL lives. */
export function createStorage(file: string) {
  const db = openDatabase(file);
  return {
    db,
    instances: instancesRepository(db),
    settings: settingsRepository(db),
    chats: chatsRepository(db),
    contacts: contactsRepository(db),
    messages: messagesRepository(db),
    events: eventLog(db),
    authState: (instanceId: string) => useSqliteAuthState(db, instanceId),
    /** Runs `fn` in one transaction: the store writes and the log entries of one WhatsApp event commit together. */
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    close: () => db.close()
  };
}
export type Storage = ReturnType<typeof createStorage>;
