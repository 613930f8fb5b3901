import { useSqliteAuthState } from '../../storage/auth-state.js';
import { chatsRepository } from '../../storage/chats-repository.js';
import { contactsRepository } from '../../storage/contacts-repository.js';
import { eventLog } from '../../storage/event-log.js';
import { instancesRepository, type InstancesRepository } from '../../storage/instances-repository.js';
import { messagesRepository } from '../../storage/messages-repository.js';
import { eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let instances: InstancesRepository;
  beforeEach(async () => {
    temp = await backend.open();
    instances = instancesRepository(temp.db);
  });
  afterEach(() => temp.cleanup());

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  test('create gives a UUID and answers the stored row; find by name and by id; list in creation order', () => {
    const a = instances.create({ name: 'alpha', token_hash: 'ha', state: 'close' });
    const b = instances.create({ name: 'beta', token_hash: 'hb', state: 'close' });
    expect(a).toEqual({ id: expect.stringMatching(UUID), name: 'alpha', token_hash: 'ha', owner: null, push_name: null, state: 'close', created_at: expect.any(Number) });
    expect(a.id).not.toBe(b.id);
    expect(instances.findByName('alpha')).toEqual(a);
    expect(instances.findById(b.id)).toEqual(b);
    expect(instances.findByName('gamma')).toBeUndefined();
    expect(instances.findById('no-such-id')).toBeUndefined();
    expect(instances.list().map(i => i.name)).toEqual(['alpha', 'beta']);
  });

  test('a given id is kept', () => {
    expect(instances.create({ id: 'fixed-id', name: 'alpha', token_hash: 'h', state: 'close' }).id).toBe('fixed-id');
  });

  test('names are unique', () => {
    instances.create({ name: 'alpha', token_hash: 'h', state: 'close' });
    expect(() => instances.create({ name: 'alpha', token_hash: 'h2', state: 'close' })).toThrow(expect.objectContaining({ code: backend.name === 'sqlite' ? 'SQLITE_CONSTRAINT_UNIQUE' : '23505' }));
  });

  test('updates change one field and say whether the instance exists', () => {
    const { id } = instances.create({ name: 'alpha', token_hash: 'h', state: 'close' });
    expect(instances.updateState(id, 'open')).toBe(true);
    expect(instances.updateOwner(id, '5531900000001@s.whatsapp.net')).toBe(true);
    expect(instances.updatePushName(id, 'Ops')).toBe(true);
    expect(instances.findById(id)).toMatchObject({ state: 'open', owner: '5531900000001@s.whatsapp.net', push_name: 'Ops' });
    expect(instances.updateAccount(id, null, null)).toBe(true);
    expect(instances.findById(id)).toMatchObject({ state: 'open', owner: null, push_name: null });
    expect(instances.updateState('no-such-id', 'open')).toBe(false);
  });

  test('deleting an instance cascades to everything stored for it, and only for it', async () => {
    const tables = ['auth_creds', 'auth_keys', 'chats', 'contacts', 'messages', 'event_log', 'event_seq'] as const;
    const count = (table: string, id: string) => temp.db.prepare<[string], number>(`SELECT COUNT(*) FROM ${table} WHERE instance_id = ?`).pluck().get(id);
    const fill = async (id: string) => {
      const auth = useSqliteAuthState(temp.db, id);
      auth.saveCreds();
      await auth.state.keys.set({ session: { s: new Uint8Array([1]) } });
      chatsRepository(temp.db).upsert(id, { jid: '1@s.whatsapp.net', name: 'Ana' });
      contactsRepository(temp.db).upsert(id, { jid: '1@s.whatsapp.net', notify: 'Ana' });
      messagesRepository(temp.db).upsert(id, {
        chatJid: '1@s.whatsapp.net',
        id: 'M1',
        fromMe: false,
        participant: null,
        pushName: 'Ana',
        messageType: 'conversation',
        message: { key: { remoteJid: '1@s.whatsapp.net', id: 'M1', fromMe: false }, message: { conversation: 'hi' } },
        status: null,
        timestamp: 1
      });
      eventLog(temp.db).append(id, 'chats.update', {});
    };
    const doomed = instances.create({ name: 'doomed', token_hash: 'h', state: 'close' }).id;
    const kept = instances.create({ name: 'kept', token_hash: 'h', state: 'close' }).id;
    await fill(doomed);
    await fill(kept);
    for (const table of tables) expect([table, count(table, doomed)]).toEqual([table, 1]);

    expect(instances.delete(doomed)).toBe(true);

    for (const table of tables) {
      expect([table, count(table, doomed)]).toEqual([table, 0]);
      expect([table, count(table, kept)]).toEqual([table, 1]);
    }
    expect(instances.findById(doomed)).toBeUndefined();
    expect(instances.delete(doomed)).toBe(false);
  });
});
