import { BufferJSON, initAuthCreds, proto, type AuthenticationCreds, type KeyPair } from '@whiskeysockets/baileys';
import { useSqliteAuthState } from '../../storage/auth-state.js';
import { addInstance, eachBackend, injectWriteFailure, INJECTED_FAILURE_CODE, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let instanceId: string;
  beforeEach(async () => {
    temp = await backend.open();
    instanceId = addInstance(temp.db, 'sales').id;
  });
  afterEach(() => temp.cleanup());

  const countRows = (table: 'auth_creds' | 'auth_keys', id: string) =>
    temp.db.prepare<[string], number>(`SELECT COUNT(*) FROM ${table} WHERE instance_id = ?`).pluck().get(id);
  const keyPair = (): KeyPair => initAuthCreds().signedIdentityKey;

  describe('credentials', () => {
    test('initAuthCreds saved, then read back identical after closing and reopening the file, Buffers intact', () => {
      const auth = useSqliteAuthState(temp.db, instanceId);
      const original: AuthenticationCreds = auth.state.creds;
      original.me = { id: '5531900000001:2@s.whatsapp.net', name: 'Ops' };
      auth.saveCreds();

      const again = useSqliteAuthState(temp.reopen(), instanceId).state.creds;
      expect(again).not.toBe(original);
      expect(again).toEqual(original);
      // toEqual does not compare types: check that binary fields came back as Buffers, byte for byte.
      for (const [got, want] of [
        [again.noiseKey.private, original.noiseKey.private],
        [again.noiseKey.public, original.noiseKey.public],
        [again.signedIdentityKey.private, original.signedIdentityKey.private],
        [again.signedPreKey.keyPair.public, original.signedPreKey.keyPair.public],
        [again.signedPreKey.signature, original.signedPreKey.signature],
        [again.pairingEphemeralKeyPair.private, original.pairingEphemeralKeyPair.private]
      ] as const) {
        expect(Buffer.isBuffer(got)).toBe(true);
        expect(Buffer.compare(got, want)).toBe(0);
      }
      expect(JSON.stringify(again, BufferJSON.replacer)).toBe(JSON.stringify(original, BufferJSON.replacer));
    });

    test('nothing is written until saveCreds, and an unsaved instance starts with fresh creds each time', () => {
      const first = useSqliteAuthState(temp.db, instanceId);
      expect(countRows('auth_creds', instanceId)).toBe(0);
      const second = useSqliteAuthState(temp.db, instanceId);
      expect(Buffer.compare(first.state.creds.noiseKey.public, second.state.creds.noiseKey.public)).not.toBe(0);
      expect(first.hasAccount()).toBe(false);
    });

    test('saveCreds writes what Baileys changed on the live object', () => {
      const auth = useSqliteAuthState(temp.db, instanceId);
      auth.saveCreds();
      Object.assign(auth.state.creds, { registered: true, me: { id: '1:3@s.whatsapp.net' }, nextPreKeyId: 31 });
      auth.saveCreds();
      const again = useSqliteAuthState(temp.db, instanceId);
      expect(again.state.creds).toMatchObject({ registered: true, me: { id: '1:3@s.whatsapp.net' }, nextPreKeyId: 31 });
      expect(again.hasAccount()).toBe(true);
    });
  });

  describe('signal keys', () => {
    test('set, get and delete round trip, Buffers intact; ids with nothing stored are left out', async () => {
      const { keys } = useSqliteAuthState(temp.db, instanceId).state;
      const pre = keyPair();
      const session = new Uint8Array([9, 8, 7, 6]);
      await keys.set({
        'pre-key': { '1': pre, '2': keyPair() },
        session: { '5531900000002.0': session },
        'sender-key-memory': { 'group@g.us': { '5531900000002:0@s.whatsapp.net': true } },
        'lid-mapping': { '5531900000002': '123456789' }
      });

      const preKeys = await keys.get('pre-key', ['1', '2', '3']);
      expect(Object.keys(preKeys).sort()).toEqual(['1', '2']);
      expect(Buffer.isBuffer(preKeys['1']?.private)).toBe(true);
      expect(Buffer.compare(preKeys['1']!.private, pre.private)).toBe(0);
      expect(Buffer.compare(preKeys['1']!.public, pre.public)).toBe(0);
      const sessions = await keys.get('session', ['5531900000002.0']);
      expect(Buffer.from(sessions['5531900000002.0']!)).toEqual(Buffer.from(session));
      expect(await keys.get('sender-key-memory', ['group@g.us'])).toEqual({ 'group@g.us': { '5531900000002:0@s.whatsapp.net': true } });
      expect(await keys.get('lid-mapping', ['5531900000002'])).toEqual({ '5531900000002': '123456789' });
      expect(await keys.get('pre-key', [])).toEqual({});

      await keys.set({ 'pre-key': { '1': null } });
      expect(Object.keys(await keys.get('pre-key', ['1', '2']))).toEqual(['2']);
    });

    test('a later set replaces the stored value', async () => {
      const { keys } = useSqliteAuthState(temp.db, instanceId).state;
      await keys.set({ session: { a: new Uint8Array([1]) } });
      await keys.set({ session: { a: new Uint8Array([2, 2]) } });
      expect(Buffer.from((await keys.get('session', ['a'])).a!)).toEqual(Buffer.from([2, 2]));
      expect(countRows('auth_keys', instanceId)).toBe(1);
    });

    test('app-state-sync-key comes back as a protobuf object, across a reopen', async () => {
      const keyData = Buffer.from('0123456789abcdef0123456789abcdef');
      await useSqliteAuthState(temp.db, instanceId).state.keys.set({
        'app-state-sync-key': {
          AAAAAE0H: { keyData, fingerprint: { rawId: 7, currentIndex: 2, deviceIndexes: [0, 2] }, timestamp: 1_700_000_000_000 }
        }
      });

      const { keys } = useSqliteAuthState(temp.reopen(), instanceId).state;
      const got = (await keys.get('app-state-sync-key', ['AAAAAE0H'])).AAAAAE0H;
      expect(got).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
      expect(got?.fingerprint).toBeInstanceOf(proto.Message.AppStateSyncKeyFingerprint);
      expect(Buffer.compare(got!.keyData!, keyData)).toBe(0);
      expect(got?.fingerprint?.deviceIndexes).toEqual([0, 2]);
      expect(Number(got?.timestamp)).toBe(1_700_000_000_000);
      // What Baileys does with it: encode it as protobuf.
      expect(proto.Message.AppStateSyncKeyData.encode(got!).finish().length).toBeGreaterThan(keyData.length);
    });

    test('keys of one instance are invisible to another', async () => {
      const other = addInstance(temp.db, 'support').id;
      await useSqliteAuthState(temp.db, instanceId).state.keys.set({ session: { shared: new Uint8Array([1]) } });
      expect(await useSqliteAuthState(temp.db, other).state.keys.get('session', ['shared'])).toEqual({});
    });

    test('a keys.set whose write fails midway leaves nothing half-written', async () => {
      const { keys } = useSqliteAuthState(temp.db, instanceId).state;
      await keys.set({ session: { a: new Uint8Array([1]) }, 'pre-key': { '1': keyPair() } });
      const before = temp.db.prepare('SELECT type, id, value FROM auth_keys ORDER BY type, id').all();
      // Inject a failing write: the database refuses the insert of this one id, after the earlier writes of the same call ran.
      const heal = injectWriteFailure(temp, 'auth_keys', 'id', 'poison');

      // Not toThrow: better-sqlite3's native side may raise the SqliteError class of an earlier test file's
      // module realm, which fails Jest's `instanceof Error` check; the code and message are what matter.
      await expect(
        keys.set({
          session: { a: new Uint8Array([2]), b: new Uint8Array([3]) },
          'pre-key': { '1': null, poison: keyPair() }
        })
      ).rejects.toMatchObject({ code: INJECTED_FAILURE_CODE[backend.name], message: 'injected write failure' });

      expect(temp.db.inTransaction).toBe(false);
      expect(temp.db.prepare('SELECT type, id, value FROM auth_keys ORDER BY type, id').all()).toEqual(before);
      expect(Buffer.from((await keys.get('session', ['a'])).a!)).toEqual(Buffer.from([1]));
      expect(Object.keys(await keys.get('pre-key', ['1']))).toEqual(['1']);

      // The store still works once the fault is gone.
      heal();
      await keys.set({ session: { b: new Uint8Array([3]) } });
      expect(Object.keys(await keys.get('session', ['a', 'b'])).sort()).toEqual(['a', 'b']);
    });

    test('a value that cannot be serialised midway also rolls the whole call back', async () => {
      const { keys } = useSqliteAuthState(temp.db, instanceId).state;
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(keys.set({ session: { a: new Uint8Array([1]), b: circular as never } })).rejects.toThrow(/circular/i);
      expect(countRows('auth_keys', instanceId)).toBe(0);
    });
  });

  describe('clearing', () => {
    test('clear() wipes creds and keys of this instance only and resets the live creds', async () => {
      const otherId = addInstance(temp.db, 'support').id;
      const other = useSqliteAuthState(temp.db, otherId);
      other.saveCreds();
      await other.state.keys.set({ session: { x: new Uint8Array([1]) } });

      const auth = useSqliteAuthState(temp.db, instanceId);
      auth.state.creds.me = { id: '1:1@s.whatsapp.net' };
      auth.saveCreds();
      await auth.state.keys.set({ session: { x: new Uint8Array([1]) }, 'pre-key': { '1': keyPair() } });
      const oldNoise = Buffer.from(auth.state.creds.noiseKey.public);

      auth.clear();

      expect(countRows('auth_creds', instanceId)).toBe(0);
      expect(countRows('auth_keys', instanceId)).toBe(0);
      expect(auth.hasAccount()).toBe(false);
      expect(auth.state.creds.me).toBeUndefined();
      expect(Buffer.compare(auth.state.creds.noiseKey.public, oldNoise)).not.toBe(0);
      expect(await auth.state.keys.get('session', ['x'])).toEqual({});
      expect(countRows('auth_creds', otherId)).toBe(1);
      expect(Object.keys(await other.state.keys.get('session', ['x']))).toEqual(['x']);
    });

    test('keys.clear() wipes the keys but keeps the creds', async () => {
      const auth = useSqliteAuthState(temp.db, instanceId);
      auth.saveCreds();
      await auth.state.keys.set({ session: { x: new Uint8Array([1]) } });
      await auth.state.keys.clear?.();
      expect(countRows('auth_keys', instanceId)).toBe(0);
      expect(countRows('auth_creds', instanceId)).toBe(1);
    });
  });
});
