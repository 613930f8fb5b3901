import type { SignalDataSet, SignalKeyStore } from '@whiskeysockets/baileys';
import { cachedKeys } from '../../../server/instances/key-cache.js';

/** A store in a Map that counts its reads and can be told to fail its next write. */
function countingStore(opts: { slowReads?: boolean } = {}) {
  const data = new Map<string, Uint8Array>();
  const reads: string[] = [];
  let failNext = false;
  const store: SignalKeyStore = {
    get: async (type, ids) => {
      reads.push(...ids);
      const out: Record<string, never> = {};
      for (const id of ids) if (data.has(`${type}:${id}`)) out[id] = data.get(`${type}:${id}`) as never;
      // The answer is read now and arrives later, after writes made meanwhile.
      if (opts.slowReads) await new Promise(resolve => setImmediate(resolve));
      return out;
    },
    set: async (set: SignalDataSet) => {
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      for (const [type, entries] of Object.entries(set)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value) data.set(`${type}:${id}`, value as Uint8Array);
          else data.delete(`${type}:${id}`);
        }
      }
    }
  };
  return { store, data, reads, failNextWrite: () => void (failNext = true) };
}

const session = (n: number) => new Uint8Array([n]);

describe('cachedKeys', () => {
  it('answers a key it wrote or read without reading the store again', async () => {
    const s = countingStore();
    s.data.set('session:b', session(2));
    const keys = cachedKeys(s.store);
    await keys.set({ session: { a: session(1) } });
    expect(await keys.get('session', ['a'])).toEqual({ a: session(1) });
    expect(await keys.get('session', ['b'])).toEqual({ b: session(2) });
    expect(await keys.get('session', ['a', 'b'])).toEqual({ a: session(1), b: session(2) });
    expect(s.reads).toEqual(['b']);
  });

  it('forgets a deleted key and every key of a write that failed', async () => {
    const s = countingStore();
    const keys = cachedKeys(s.store);
    await keys.set({ session: { a: session(1), b: session(2) } });
    await keys.set({ session: { a: null } });
    s.failNextWrite();
    await expect(keys.set({ session: { b: session(3) } })).rejects.toThrow('disk full');
    expect(await keys.get('session', ['a', 'b'])).toEqual({ b: session(2) });
    expect(s.reads).toEqual(['a', 'b']);
  });

  it('does not keep a read that a write overtook', async () => {
    const s = countingStore({ slowReads: true });
    s.data.set('session:a', session(1));
    const keys = cachedKeys(s.store);
    const read = keys.get('session', ['a']);
    await keys.set({ session: { a: session(2) } });
    expect(await read).toEqual({ a: session(1) });
    expect(await keys.get('session', ['a'])).toEqual({ a: session(2) });
  });

  it('keeps at most its bound, dropping the least recently used', async () => {
    const s = countingStore();
    const keys = cachedKeys(s.store, 2);
    await keys.set({ session: { a: session(1), b: session(2) } });
    await keys.get('session', ['a']);
    await keys.set({ session: { c: session(3) } });
    await keys.get('session', ['a', 'b', 'c']);
    expect(s.reads).toEqual(['b']);
  });

  it('keeps no pre-keys: they are written by the hundred and read at most once', async () => {
    const s = countingStore();
    const keys = cachedKeys(s.store, 2);
    await keys.set({ session: { a: session(1) } });
    await keys.set({ 'pre-key': { 1: { public: session(1), private: session(1) }, 2: { public: session(2), private: session(2) } } });
    expect(await keys.get('pre-key', ['1'])).toEqual({ 1: { public: session(1), private: session(1) } });
    await keys.get('pre-key', ['1']);
    // The session written before them is still held: the pre-keys did not push it out.
    await keys.get('session', ['a']);
    expect(s.reads).toEqual(['1', '1']);
  });
});
