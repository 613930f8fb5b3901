import type { SignalDataSet, SignalDataTypeMap, SignalKeyStore } from '@whiskeysockets/baileys';

type KeyType = keyof SignalDataTypeMap;

/** Keys kept per connection: a few hundred sessions of the contacts it is talking to. */
export const KEY_CACHE_ENTRIES = 512;

/**
 * Not kept: a pre-key is read at most once, when a contact opens a session with it, and
 * deleted then; Baileys writes them hundreds at a time (812 at pairing), so keeping them
 * would fill the cache of every idle instance with keys it will never read again.
 */
const UNCACHED: ReadonlySet<string> = new Set<KeyType>(['pre-key']);

/**
 * A write-through cache of one connection's Signal keys. Decrypting a message
 * reads the sender's session (a query and a JSON revive of the stored value)
 * and writes it back: the read is served from here when this connection wrote
 * or read that key before. What the cache holds is only ever what the store
 * holds: it learns a value after the store has committed it, forgets it when a
 * write fails, and lives as long as the connection, so a new connection (after
 * a logout, a suspension, a failed write) starts from the store again. Absent
 * keys are not cached: a key Baileys asks for and does not find is rare.
 */
export function cachedKeys(store: SignalKeyStore, max = KEY_CACHE_ENTRIES): SignalKeyStore {
  // Map order is insertion order: a hit is moved to the end, and the first entry is the least recently used.
  const cache = new Map<string, unknown>();
  // Bumped by every write: a read that a write overtook must not put its older answer in the cache.
  let writes = 0;
  const remember = (k: string, value: unknown) => {
    cache.delete(k);
    cache.set(k, value);
    if (cache.size > max) cache.delete(cache.keys().next().value!);
  };
  return {
    async get<T extends KeyType>(type: T, ids: string[]) {
      if (UNCACHED.has(type)) return store.get(type, ids);
      const found: { [id: string]: SignalDataTypeMap[T] } = {};
      const missing: string[] = [];
      for (const id of ids) {
        const k = `${type}:${id}`;
        const value = cache.get(k);
        if (value === undefined) missing.push(id);
        else {
          remember(k, value);
          found[id] = value as SignalDataTypeMap[T];
        }
      }
      if (!missing.length) return found;
      const before = writes;
      const read = await store.get(type, missing);
      for (const id of missing) {
        const value = read[id];
        if (value === undefined || value === null) continue;
        found[id] = value;
        if (writes === before) remember(`${type}:${id}`, value);
      }
      return found;
    },
    async set(data: SignalDataSet) {
      const keys = Object.entries(data).flatMap(([type, entries]) => (UNCACHED.has(type) ? [] : Object.entries(entries ?? {})).map(([id, value]) => [`${type}:${id}`, value] as const));
      writes++;
      try {
        await store.set(data);
      } catch (err) {
        // Whether any of it was written is not known: read these from the store again.
        for (const [k] of keys) cache.delete(k);
        throw err;
      }
      for (const [k, value] of keys) {
        // An empty value deletes the key (Baileys' convention, and the store's).
        if (value) remember(k, value);
        else cache.delete(k);
      }
    },
    async clear() {
      cache.clear();
      await store.clear?.();
    }
  };
}
