import { BufferJSON, initAuthCreds, proto, type AuthenticationCreds, type AuthenticationState, type SignalDataTypeMap } from '@whiskeysockets/baileys';
import type { Database } from 'better-sqlite3';

export interface SqliteAuthState {
  state: AuthenticationState;
  saveCreds(): void;
  /** Forgets the account: credentials and every Signal key of this instance. */
  clear(): void;
  /** Whether this instance has been paired (credentials name an account). */
  hasAccount(): boolean;
}

/**
 * Baileys' AuthenticationState on SQLite. Every `keys.set` call writes in one
 * transaction, so a crash never leaves a Signal session half-updated.
 */
export function useSqliteAuthState(db: Database, instanceId: string): SqliteAuthState {
  const readCreds = db.prepare<[string], string>('SELECT creds FROM auth_creds WHERE instance_id = ?').pluck();
  const writeCreds = db.prepare<[string, string]>(
    'INSERT INTO auth_creds (instance_id, creds) VALUES (?, ?) ON CONFLICT(instance_id) DO UPDATE SET creds = excluded.creds'
  );
  const readKey = db.prepare<[string, string, string], string>('SELECT value FROM auth_keys WHERE instance_id = ? AND type = ? AND id = ?').pluck();
  const writeKey = db.prepare<[string, string, string, string]>(
    'INSERT INTO auth_keys (instance_id, type, id, value) VALUES (?, ?, ?, ?) ON CONFLICT(instance_id, type, id) DO UPDATE SET value = excluded.value'
  );
  const deleteKey = db.prepare<[string, string, string]>('DELETE FROM auth_keys WHERE instance_id = ? AND type = ? AND id = ?');
  const wipeKeys = db.prepare<[string]>('DELETE FROM auth_keys WHERE instance_id = ?');
  const wipeCreds = db.prepare<[string]>('DELETE FROM auth_creds WHERE instance_id = ?');

  const stored = readCreds.get(instanceId);
  const creds: AuthenticationCreds = stored ? JSON.parse(stored, BufferJSON.reviver) : initAuthCreds();

  const setKeys = db.transaction((data: Record<string, Record<string, unknown>>) => {
    for (const [type, entries] of Object.entries(data)) {
      for (const [id, value] of Object.entries(entries ?? {})) {
        if (value === null || value === undefined) deleteKey.run(instanceId, type, id);
        else writeKey.run(instanceId, type, id, JSON.stringify(value, BufferJSON.replacer));
      }
    }
  });

  const state: AuthenticationState = {
    creds,
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const id of ids) {
          const raw = readKey.get(instanceId, type, id);
          if (raw === undefined) continue;
          let value = JSON.parse(raw, BufferJSON.reviver);
          // Baileys expects this one as a protobuf object, as its file-based store does.
          if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value);
          out[id] = value;
        }
        return out;
      },
      set: async data => {
        setKeys(data as Record<string, Record<string, unknown>>);
      }
    }
  };

  return {
    state,
    saveCreds: () => void writeCreds.run(instanceId, JSON.stringify(state.creds, BufferJSON.replacer)),
    clear: () => {
      db.transaction(() => {
        wipeKeys.run(instanceId);
        wipeCreds.run(instanceId);
      })();
      // The live object is reset too: the next socket must start a new pairing.
      for (const key of Object.keys(state.creds)) delete (state.creds as unknown as Record<string, unknown>)[key];
      Object.assign(state.creds, initAuthCreds());
    },
    hasAccount: () => !!state.creds.me?.id
  };
}
