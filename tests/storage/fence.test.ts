import pino from 'pino';
import { createStorage, FencedOutError, type Storage } from '../../storage/index.js';
import type { Principal } from '../../server/auth/principal.js';
import { WebhookManager } from '../../server/webhooks/webhook-manager.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

/**
 * Two storages on one database stand for two nodes of a cluster: each writes with
 * the token its own view of the lease gives it, and the store alone decides.
 */
eachBackend(backend => {
  let temp: TempDatabase;
  let a: Storage;
  let b: Storage;
  let id: string;
  const tokens = { a: 0 as number | undefined, b: 0 as number | undefined };
  const refusedBy = { a: [] as string[], b: [] as string[] };

  beforeEach(async () => {
    temp = await backend.open();
    id = addInstance(temp.db, 'alpha').id;
    a = createStorage(temp.location);
    b = createStorage(temp.location);
    refusedBy.a = [];
    refusedBy.b = [];
  });
  afterEach(() => {
    a.close();
    b.close();
    temp.cleanup();
  });

  const fence = () => {
    a.fenceWith(
      () => tokens.a,
      i => refusedBy.a.push(i)
    );
    b.fenceWith(
      () => tokens.b,
      i => refusedBy.b.push(i)
    );
  };

  /** One event's commit, as the pipeline makes it: a store write and its event-log entry. */
  const commit = (s: Storage, jid: string): number =>
    s.write(id, () => {
      s.chats.upsert(id, { jid });
      return s.events.append(id, 'chats.upsert', (seq, timestamp) => ({ seq, timestamp })).seq;
    });
  const jids = () => a.chats.list(id).map(c => c.jid).sort();

  test('without a fence, writes take no token and leave no fence row', () => {
    expect(commit(a, '1@s.whatsapp.net')).toBe(1);
    expect(commit(b, '2@s.whatsapp.net')).toBe(2);
    expect(a.fence.stored(id)).toBe(0);
    expect(Number(temp.db.prepare('SELECT COUNT(*) FROM instance_fences').pluck().get())).toBe(0);
  });

  test('a write with a smaller token after a larger one is refused and changes nothing', async () => {
    fence();
    tokens.a = 1;
    tokens.b = 2;
    expect(commit(a, '1@s.whatsapp.net')).toBe(1);
    expect(a.fence.stored(id)).toBe(1);
    expect(commit(b, '2@s.whatsapp.net')).toBe(2);
    expect(a.fence.stored(id)).toBe(2);

    expect(() => commit(a, '3@s.whatsapp.net')).toThrow(FencedOutError);
    expect(jids()).toEqual(['1@s.whatsapp.net', '2@s.whatsapp.net']);
    expect(a.events.lastSeq(id)).toBe(2);
    expect(a.events.after(id, 0, 10).map(e => e.seq)).toEqual([1, 2]);
    expect(a.fence.stored(id)).toBe(2);
    await Promise.resolve();
    expect(refusedBy).toEqual({ a: [id], b: [] });

    // The refusal rolled back only its own transaction: the same connection goes on writing.
    tokens.a = 3;
    expect(commit(a, '3@s.whatsapp.net')).toBe(3);
  });

  test('an equal token passes, a larger one passes and locks out the one before it', () => {
    fence();
    tokens.a = 5;
    tokens.b = 5;
    expect(commit(a, '1@s.whatsapp.net')).toBe(1);
    expect(commit(b, '2@s.whatsapp.net')).toBe(2);
    expect(commit(a, '3@s.whatsapp.net')).toBe(3);
    tokens.b = 6;
    expect(commit(b, '4@s.whatsapp.net')).toBe(4);
    expect(() => commit(a, '5@s.whatsapp.net')).toThrow(FencedOutError);
    expect(a.events.lastSeq(id)).toBe(4);
    expect(b.fence.stored(id)).toBe(6);
  });

  test('a node without a token for the instance writes nothing', () => {
    fence();
    tokens.a = undefined;
    expect(() => commit(a, '1@s.whatsapp.net')).toThrow(FencedOutError);
    expect(a.events.lastSeq(id)).toBe(0);
    expect(a.fence.stored(id)).toBe(0);
  });

  test('Signal keys and credentials are fenced like events', async () => {
    fence();
    tokens.a = 1;
    tokens.b = 2;
    const authA = a.authState(id);
    const authB = b.authState(id);
    await authA.state.keys.set({ 'pre-key': { '1': { public: Buffer.from('a1'), private: Buffer.from('a1') } } });
    authA.saveCreds();
    await authB.state.keys.set({ 'pre-key': { '2': { public: Buffer.from('b2'), private: Buffer.from('b2') } } });
    const credsBefore = temp.db.prepare('SELECT creds FROM auth_creds WHERE instance_id = ?').pluck().get(id);

    await expect(authA.state.keys.set({ 'pre-key': { '1': null, '3': { public: Buffer.from('a3'), private: Buffer.from('a3') } } })).rejects.toThrow(
      FencedOutError
    );
    (authA.state.creds as { registrationId: number }).registrationId = 4242;
    expect(() => authA.saveCreds()).toThrow(FencedOutError);
    expect(() => authA.clear()).toThrow(FencedOutError);

    const ids = temp.db.prepare("SELECT id FROM auth_keys WHERE instance_id = ? AND type = 'pre-key' ORDER BY id").pluck().all(id);
    expect(ids).toEqual(['1', '2']);
    expect(temp.db.prepare('SELECT creds FROM auth_creds WHERE instance_id = ?').pluck().get(id)).toBe(credsBefore);
    await Promise.resolve();
    expect(refusedBy.a).toEqual([id, id, id]);
  });

  test('a refusal inside an outer transaction rolls back the whole of it', () => {
    fence();
    tokens.a = 1;
    tokens.b = 2;
    commit(b, '1@s.whatsapp.net');
    expect(() =>
      a.transaction(() => {
        a.chats.upsert(id, { jid: 'outer@s.whatsapp.net' });
        commit(a, '2@s.whatsapp.net');
      })
    ).toThrow(FencedOutError);
    expect(jids()).toEqual(['1@s.whatsapp.net']);
    expect(a.events.lastSeq(id)).toBe(1);
  });
  /** Node a took the lease first (1), node b took it next (2): a's writes are the stale ones. */
  const handOver = () => {
    fence();
    tokens.a = 1;
    tokens.b = 2;
    commit(a, '1@s.whatsapp.net');
    commit(b, '2@s.whatsapp.net');
  };

  test("a queue's own state move is refused and leaves the queue as the newer holder moved it", async () => {
    const q = a.queues.create({ id: 'q1', instance_id: id, state: 'queued', message: '{}', options: '{}', total: 1 }, ['15550001']);
    handOver();
    b.write(id, () => b.queues.setState(q.id, 'running'));
    expect(() => a.write(id, () => a.queues.setState(q.id, 'completed'))).toThrow(FencedOutError);
    expect(() => a.write(id, () => a.queues.setState(q.id, 'paused', 'paused by a user'))).toThrow(FencedOutError);
    const row = b.queues.get(q.id)!;
    expect([row.state, row.reason]).toEqual(['running', null]);
    await Promise.resolve();
    expect(refusedBy).toEqual({ a: [id, id], b: [] });
  });

  test("media's stored flag is refused under a smaller token and stays unset", () => {
    a.media.register({
      instance_id: id,
      message_id: 'M1',
      chat_jid: '1@s.whatsapp.net',
      from_me: 0,
      media_type: 'image',
      mimetype: 'image/jpeg',
      file_length: 3,
      sha256: 'ab'.repeat(32),
      stored: false
    });
    handOver();
    expect(() => a.write(id, () => a.media.markStored(id, 'M1'))).toThrow(FencedOutError);
    expect(b.media.get(id, 'M1')!.stored_at).toBeNull();
    b.write(id, () => b.media.markStored(id, 'M1'));
    expect(b.media.get(id, 'M1')!.stored_at).not.toBeNull();
  });

  test("an instance's settings written by a command are refused under a smaller token", () => {
    b.instanceSettings.set(id, { alwaysOnline: false });
    handOver();
    expect(() => a.write(id, () => a.instanceSettings.set(id, { alwaysOnline: true }))).toThrow(FencedOutError);
    expect(b.instanceSettings.get(id)).toEqual({ alwaysOnline: false });
  });

  test('webhook.set, webhook.delete and webhook.redeliver on a node fenced out change no webhook', async () => {
    const delivery = { maxAttempts: 1, timeoutMs: 1000, backoffBaseMs: 10, backoffMaxMs: 10, pageSize: 10 };
    const manager = (s: Storage) => {
      const m = new WebhookManager(s, delivery, true, pino({ level: 'silent' }));
      m.placeWith(() => true);
      return m;
    };
    const admin: Principal = { kind: 'admin' };
    const [onA, onB] = [manager(a), manager(b)];
    handOver();
    const { webhook } = await onB.set(id, { instance: 'alpha', url: 'http://127.0.0.1:9/b' }, admin);
    await expect(onA.set(id, { instance: 'alpha', url: 'http://127.0.0.1:9/a' }, admin)).rejects.toThrow(FencedOutError);
    await expect(onA.set(id, { instance: 'alpha', url: 'http://127.0.0.1:9/b', enabled: false }, admin)).rejects.toThrow(FencedOutError);
    await expect(onA.delete(id, webhook.id)).rejects.toThrow(FencedOutError);
    expect(() => onA.redeliver(id, webhook.id, 1)).toThrow(FencedOutError);
    expect(b.webhooks.listByInstance(id).map(w => [w.url, w.enabled, w.cursor])).toEqual([['http://127.0.0.1:9/b', 1, 2]]);
    await Promise.all([onA.close(), onB.close()]);
  });
});
