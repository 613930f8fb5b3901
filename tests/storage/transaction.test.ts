import { createStorage } from '../../storage/index.js';
import { chatsRepository } from '../../storage/chats-repository.js';
import { eventLog } from '../../storage/event-log.js';
import { withTransaction } from '../../storage/transaction.js';
import { tempDir } from '../helpers/temp-dir.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let instanceId: string;
  beforeEach(async () => {
    temp = await backend.open();
    instanceId = addInstance(temp.db, 'sales').id;
  });
  afterEach(() => temp.cleanup());

  test("one WhatsApp event's store write and log entry commit together", () => {
    const chats = chatsRepository(temp.db);
    const log = eventLog(temp.db);
    const seq = withTransaction(temp.db, () => {
      chats.upsert(instanceId, { jid: '1@s.whatsapp.net', name: 'Ana' });
      return log.append(instanceId, 'chats.update', { data: [{ id: '1@s.whatsapp.net' }] });
    });
    expect(seq).toBe(1);
    const db = temp.reopen();
    expect(chatsRepository(db).get(instanceId, '1@s.whatsapp.net')?.name).toBe('Ana');
    expect(eventLog(db).after(instanceId, 0, 10).map(e => e.seq)).toEqual([1]);
  });

  test('a throw rolls back both the store write and the log entry', () => {
    const chats = chatsRepository(temp.db);
    const log = eventLog(temp.db);
    expect(() =>
      withTransaction(temp.db, () => {
        chats.upsert(instanceId, { jid: '1@s.whatsapp.net', name: 'Ana' });
        log.append(instanceId, 'chats.update', {});
        throw new Error('boom');
      })
    ).toThrow('boom');
    expect(chats.list(instanceId)).toEqual([]);
    expect(log.lastSeq(instanceId)).toBe(0);
    expect(temp.db.inTransaction).toBe(false);
  });

  test('an async function is refused before anything is written', async () => {
    const chats = chatsRepository(temp.db);
    expect(() =>
      withTransaction(temp.db, async () => {
        chats.upsert(instanceId, { jid: '1@s.whatsapp.net' });
      })
    ).toThrow(/promise/);
    expect(chats.list(instanceId)).toEqual([]);
  });

  test('a nested transaction is a savepoint: its failure can be caught without losing the outer writes', () => {
    const chats = chatsRepository(temp.db);
    withTransaction(temp.db, () => {
      chats.upsert(instanceId, { jid: 'outer@s.whatsapp.net' });
      try {
        withTransaction(temp.db, () => {
          chats.upsert(instanceId, { jid: 'inner@s.whatsapp.net' });
          throw new Error('inner');
        });
      } catch {
        // the outer event goes on
      }
    });
    expect(chats.list(instanceId).map(c => c.jid)).toEqual(['outer@s.whatsapp.net']);
  });

  test('createStorage wires every repository onto one file', () => {
    const dir = tempDir();
    const storage = createStorage(`${dir.path}/hub.sqlite`);
    try {
      const inst = storage.instances.create({ name: 'alpha', token_hash: 'h', state: 'close' });
      const seq = storage.transaction(() => {
        storage.chats.upsert(inst.id, { jid: '1@s.whatsapp.net' });
        return storage.events.append(inst.id, 'chats.update', (s, timestamp) => ({ seq: s, timestamp })).seq;
      });
      expect(seq).toBe(1);
      expect(storage.authState(inst.id).hasAccount()).toBe(false);
      storage.settings.set('k', 'v');
      expect(storage.settings.get('k')).toBe('v');
    } finally {
      storage.close();
      dir.cleanup();
    }
  });
});
