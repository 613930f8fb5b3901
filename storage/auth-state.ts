import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap
} from '@whiskeysockets/baileys';
import { jsonStrings, type SqlDatabase } from './sql-database.js';
import type { InstanceId } from './types.js';

/** The instance's fence, as its auth state needs it: `pass` runs first inside each write transaction. */
export interface WriteGuard {
  /** Whether writes are fenced at all (a cluster); without, credentials are written without a transaction. */
  active(): boolean;
  /** Throws (rolling the write back) when this node's token is no longer the instance's. */
  pass(): void;
}

const UNFENCED: WriteGuard = { active: () => false, pass: () => {} };

type KeyType = keyof SignalDataTypeMap;

/** What a Baileys socket needs to resume an account, kept in SQLite per instance. */
export interface SqliteAuthState {
  /** Pass to `makeWASocket({ auth })`. `creds` is a live object that Baileys mutates; persist it with `saveCreds`. */
  state: AuthenticationState;
  /** Writes the live creds; call on Baileys' `creds.update`. */
  saveCreds(): void;
  /** Forgets the account: credentials and every Signal key of this instance, and resets the live creds. */
  clear(): void;
  /** Whether the live creds name a paired account. */
  hasAccount(): boolean;
}

interface KeyRow {
  id: string;
  value: string;
}

/**
 * Baileys' `AuthenticationState` on SQLite, with the semantics of its own
 * `useMultiFileAuthState`: values round-trip through `BufferJSON`, an empty
 * value (null) in `keys.set` deletes the key, and app-state sync keys come back
 * as protobuf objects. Unlike the file store, every `keys.set` call is one
 * transaction, so a crash or a failing write never leaves a Signal session,
 * its pre-keys and its sender keys out of step with each other.
 */
export function useSqliteAuthState(db: SqlDatabase, instanceId: InstanceId, guard: WriteGuard = UNFENCED): SqliteAuthState {
  const readCreds = db.prepare<[InstanceId], string>('SELECT creds FROM auth_creds WHERE instance_id = ?').pluck();
  const writeCreds = db.prepare<[InstanceId, string]>(
    'INSERT INTO auth_creds (instance_id, creds) VALUES (?, ?) ON CONFLICT (instance_id) DO UPDATE SET creds = excluded.creds'
  );
  // One statement for any number of ids: Baileys asks for whole device lists of sessions at once.
  const readKeys = db.prepare<[InstanceId, KeyType, string], KeyRow>(
    `SELECT id, value FROM auth_keys WHERE instance_id = ? AND type = ? AND id IN (${jsonStrings(db.dialect, '?')})`
  );
  const writeKey = db.prepare<[InstanceId, KeyType, string, string]>(
    'INSERT INTO auth_keys (instance_id, type, id, value) VALUES (?, ?, ?, ?) ON CONFLICT (instance_id, type, id) DO UPDATE SET value = excluded.value'
  );
  const deleteKey = db.prepare<[InstanceId, KeyType, string]>('DELETE FROM auth_keys WHERE instance_id = ? AND type = ? AND id = ?');
  const wipeKeys = db.prepare<[InstanceId]>('DELETE FROM auth_keys WHERE instance_id = ?');
  const wipeCreds = db.prepare<[InstanceId]>('DELETE FROM auth_creds WHERE instance_id = ?');

  const stored = readCreds.get(instanceId);
  const creds: AuthenticationCreds = stored === undefined ? initAuthCreds() : (JSON.parse(stored, BufferJSON.reviver) as AuthenticationCreds);

  const setKeys = db.transaction((data: SignalDataSet) => {
    guard.pass();
    for (const type of Object.keys(data) as KeyType[]) {
      for (const [id, value] of Object.entries(data[type] ?? {})) {
        // As in Baileys' file store, any empty value means "remove this key".
        if (value) writeKey.run(instanceId, type, id, JSON.stringify(value, BufferJSON.replacer));
        else deleteKey.run(instanceId, type, id);
      }
    }
  });
  const saveCreds = () => void writeCreds.run(instanceId, JSON.stringify(state.creds, BufferJSON.replacer));
  const saveFenced = db.transaction(() => {
    guard.pass();
    saveCreds();
  });
  const clearAll = db.transaction(() => {
    guard.pass();
    wipeKeys.run(instanceId);
    wipeCreds.run(instanceId);
  });

  const state: AuthenticationState = {
    creds,
    keys: {
      // Ids with nothing stored are left out of the answer: the declared type has no nulls,
      // and every Baileys caller (and its cacheable store) tests the value, so absent and null read the same.
      get: async <T extends KeyType>(type: T, ids: string[]) => {
        const found: { [id: string]: SignalDataTypeMap[T] } = {};
        if (ids.length === 0) return found;
        for (const row of readKeys.all(instanceId, type, JSON.stringify(ids))) found[row.id] = reviveKey(type, row.value);
        return found;
      },
      set: async data => setKeys(data),
      clear: async () => void wipeKeys.run(instanceId)
    }
  };

  return {
    state,
    saveCreds: () => (guard.active() ? saveFenced() : saveCreds()),
    clear: () => {
      clearAll();
      // The socket holds this very object: reset it in place so the next connection starts a new pairing
      // instead of presenting the logged-out identity again.
      const live = state.creds as unknown as Record<string, unknown>;
      for (const key of Object.keys(live)) delete live[key];
      Object.assign(state.creds, initAuthCreds());
    },
    hasAccount: () => !!state.creds.me?.id
  };
}

function reviveKey<T extends KeyType>(type: T, raw: string): SignalDataTypeMap[T] {
  const value: unknown = JSON.parse(raw, BufferJSON.reviver);
  // Baileys decodes app-state patches with this key as a protobuf message, and its file store revives it the same way.
  if (type === 'app-state-sync-key') {
    return proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>) as unknown as SignalDataTypeMap[T];
  }
  return value as SignalDataTypeMap[T];
}
