import { join } from 'node:path';
import { initAuthCreds, proto } from '@whiskeysockets/baileys';
import Database from 'better-sqlite3';
import { createStorage, type Storage } from '../../storage/index.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let file: string;
let storage: Storage;

beforeEach(() => {
  dir = tempDir();
  file = join(dir.path, 'nested', 'hub.sqlite');
  storage = createStorage(file);
});
afterEach(() => {
  storage.close();
  dir.cleanup();
});

const newInstance = (s: Storage, name = 'sales') => s.instances.create({ id: `id-${name}`, name, token_hash: 'h', state: 'close' });

test('migrations run once, are recorded, and reopening does not run them again', () => {
  storage.close();
  const raw = new Database(file);
  expect(raw.prepare('SELECT version, name FROM migrations').all()).toEqual([{ version: 1, name: 'initial' }]);
  expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
  raw.close();
  storage = createStorage(file);
  expect(storage.db.prepare('SELECT COUNT(*) AS n FROM migrations').get()).toEqual({ n: 1 });
});

test('credentials survive closing and reopening the file, Buffers intact', () => {
  const inst = newInstance(storage);
  const auth = storage.authState(inst.id);
  auth.state.creds.me = { id: '5531900000001:2@s.whatsapp.net', name: 'Ops' };
  auth.saveCreds();
  const noise = Buffer.from(auth.state.creds.noiseKey.private);
  storage.close();
  storage = createStorage(file);
  const again = storage.authState(inst.id);
  expect(again.hasAccount()).toBe(true);
  expect(again.state.creds.me?.id).toBe('5531900000001:2@s.whatsapp.net');
  expect(Buffer.isBuffer(again.state.creds.noiseKey.private) || again.state.creds.noiseKey.private instanceof Uint8Array).toBe(true);
  expect(Buffer.from(again.state.creds.noiseKey.private).equals(noise)).toBe(true);
});

test('signal keys: set, get, delete, and app-state-sync-key comes back as a protobuf object', async () => {
  const inst = newInstance(storage);
  const { state } = storage.authState(inst.id);
  const pre = initAuthCreds().signedIdentityKey;
  await state.keys.set({ 'pre-key': { '1': pre, '2': pre }, 'app-state-sync-key': { k1: { keyData: Buffer.from([1, 2, 3]) } as never } });
  const got = await state.keys.get('pre-key', ['1', '2', '3']);
  expect(Object.keys(got).sort()).toEqual(['1', '2']);
  expect(Buffer.from(got['1']!.public).equals(Buffer.from(pre.public))).toBe(true);
  const sync = await state.keys.get('app-state-sync-key', ['k1']);
  expect(sync.k1).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
  await state.keys.set({ 'pre-key': { '1': null } });
  expect(Object.keys(await state.keys.get('pre-key', ['1', '2']))).toEqual(['2']);
});

test('a keys.set that fails midway writes nothing', async () => {
  const inst = newInstance(storage);
  const { state } = storage.authState(inst.id);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  await expect(state.keys.set({ session: { a: Buffer.from([1]) as never, b: circular as never } })).rejects.toThrow();
  expect(await state.keys.get('session', ['a', 'b'])).toEqual({});
});

test('clear() forgets credentials and keys and resets the live creds', async () => {
  const inst = newInstance(storage);
  const auth = storage.authState(inst.id);
  auth.state.creds.me = { id: '1:1@s.whatsapp.net' };
  auth.saveCreds();
  await auth.state.keys.set({ session: { x: Buffer.from([1]) as never } });
  auth.clear();
  expect(auth.hasAccount()).toBe(false);
  expect(await auth.state.keys.get('session', ['x'])).toEqual({});
  expect(storage.authState(inst.id).hasAccount()).toBe(false);
});

test('event log: seq strictly increasing per instance, independent across instances, continues after reopen', () => {
  const a = newInstance(storage, 'a');
  const b = newInstance(storage, 'b');
  const seqs = [1, 2, 3].map(() => storage.events.append(a.id, 'chats.update', seq => ({ seq })).seq);
  expect(seqs).toEqual([1, 2, 3]);
  expect(storage.events.append(b.id, 'chats.update', seq => ({ seq })).seq).toBe(1);
  storage.close();
  storage = createStorage(file);
  expect(storage.events.lastSeq(a.id)).toBe(3);
  expect(storage.events.append(a.id, 'chats.update', seq => ({ seq })).seq).toBe(4);
  expect(storage.events.after(a.id, 2, 10).map(e => JSON.parse(e.payload).seq)).toEqual([3, 4]);
});

test('a rolled-back transaction leaves neither the store write nor the log entry', () => {
  const a = newInstance(storage);
  expect(() =>
    storage.transaction(() => {
      storage.chats.upsert(a.id, { jid: '1@s.whatsapp.net', name: 'x' });
      storage.events.append(a.id, 'chats.update', seq => ({ seq }));
      throw new Error('boom');
    })
  ).toThrow('boom');
  expect(storage.chats.list(a.id)).toEqual([]);
  expect(storage.events.lastSeq(a.id)).toBe(0);
});

test('messages page newest first by cursor; getMessage content comes back as a proto message', () => {
  const a = newInstance(storage);
  const chat = '5531900000010@s.whatsapp.net';
  for (let i = 1; i <= 5; i++) {
    storage.messages.upsert(a.id, {
      chatJid: chat,
      id: `M${i}`,
      fromMe: i % 2 === 0,
      participant: null,
      pushName: null,
      messageType: 'conversation',
      message: { key: { remoteJid: chat, id: `M${i}`, fromMe: i % 2 === 0 }, message: { conversation: `text ${i}` }, messageTimestamp: 1000 + i },
      status: null,
      timestamp: 1000 + i
    });
  }
  const first = storage.messages.page(a.id, chat, 2);
  expect(first.map(m => m.id)).toEqual(['M5', 'M4']);
  const last = first.at(-1)!;
  expect(storage.messages.page(a.id, chat, 2, { timestamp: last.timestamp, id: last.id }).map(m => m.id)).toEqual(['M3', 'M2']);
  expect(storage.messages.content(a.id, 'M3')).toEqual({ conversation: 'text 3' });
  expect(storage.messages.updateStatus(a.id, chat, 'M2', true, 'READ')).toBe(true);
  expect(storage.messages.get(a.id, chat, 'M2', true)?.status).toBe('READ');
});

test('deleting an instance removes everything stored for it', () => {
  const a = newInstance(storage);
  storage.chats.upsert(a.id, { jid: '1@s.whatsapp.net' });
  storage.contacts.upsert(a.id, { jid: '1@s.whatsapp.net', notify: 'N' });
  storage.events.append(a.id, 'chats.update', seq => ({ seq }));
  storage.instances.delete(a.id);
  for (const table of ['chats', 'contacts', 'event_log', 'event_seq', 'auth_keys', 'auth_creds']) {
    expect(storage.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
  }
});

test('contacts merge: a later partial update keeps what it does not name', () => {
  const a = newInstance(storage);
  storage.contacts.upsert(a.id, { jid: '1@s.whatsapp.net', name: 'Ana', lid: '9@lid' });
  const merged = storage.contacts.upsert(a.id, { jid: '1@s.whatsapp.net', notify: 'Aninha' });
  expect(merged).toMatchObject({ name: 'Ana', lid: '9@lid', notify: 'Aninha' });
});
