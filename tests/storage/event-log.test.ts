import { eventLog, type EventLog } from '../../storage/event-log.js';
import { withTransaction } from '../../storage/transaction.js';
import { addInstance, eachBackend, injectWriteFailure, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let clock: number;
  let log: EventLog;
  let a: string;
  let b: string;
  beforeEach(async () => {
    temp = await backend.open();
    clock = 1_700_000_000_000;
    log = eventLog(temp.db, { now: () => clock });
    a = addInstance(temp.db, 'alpha').id;
    b = addInstance(temp.db, 'beta').id;
  });
  afterEach(() => temp.cleanup());

  const appendMany = (instanceId: string, n: number): number[] =>
    Array.from({ length: n }, (_, i) => log.append(instanceId, 'chats.update', { data: { n: i } }));
  const seqsAfter = (instanceId: string, seq = 0, limit = 1000): number[] => log.after(instanceId, seq, limit).map(e => e.seq);

  test('seq is strictly increasing per instance and independent across instances', () => {
    const got = [log.append(a, 'x', {}), log.append(a, 'x', {}), log.append(b, 'x', {}), log.append(a, 'x', {}), log.append(b, 'x', {})];
    expect(got).toEqual([1, 2, 1, 3, 2]);
    expect(log.lastSeq(a)).toBe(3);
    expect(log.lastSeq(b)).toBe(2);
    expect(seqsAfter(a)).toEqual([1, 2, 3]);
    expect(seqsAfter(b)).toEqual([1, 2]);
  });

  test('lastSeq is 0 before the first event', () => {
    expect(log.lastSeq(a)).toBe(0);
    expect(log.after(a, 0, 10)).toEqual([]);
  });

  test('the payload is stored without seq; its seq and timestamp are the row', () => {
    const payload = { instance: { name: 'alpha', owner: null }, data: { id: '1@s.whatsapp.net', unreadCount: 2 } };
    const seq = log.append(a, 'chats.update', payload);
    expect(log.after(a, 0, 10)).toEqual([{ seq, event: 'chats.update', payload: JSON.stringify(payload), created_at: clock }]);
  });

  test('a builder gets the seq and timestamp, and its envelope is stored as the text it answers', () => {
    log.append(a, 'x', {});
    clock += 5;
    const appended = log.append(a, 'new.message', (seq, timestamp) => ({ event: 'new.message', seq, timestamp }));
    expect(appended.seq).toBe(2);
    expect(JSON.parse(appended.payload)).toEqual({ event: 'new.message', seq: 2, timestamp: clock });
    expect(log.after(a, 1, 10)).toEqual([{ seq: 2, event: 'new.message', payload: appended.payload, created_at: clock }]);
  });

  test('after() answers in seq order from the given seq, at most limit entries', () => {
    appendMany(a, 7);
    expect(seqsAfter(a, 2, 3)).toEqual([3, 4, 5]);
    expect(seqsAfter(a, 5, 10)).toEqual([6, 7]);
    expect(seqsAfter(a, 7, 10)).toEqual([]);
  });

  test('seq continues after the file is closed and reopened', () => {
    appendMany(a, 3);
    log = eventLog(temp.reopen());
    expect(log.lastSeq(a)).toBe(3);
    expect(log.append(a, 'x', {})).toBe(4);
    expect(seqsAfter(a)).toEqual([1, 2, 3, 4]);
  });

  test('a seq is never given again after pruning emptied the log, even across a reopen', () => {
    appendMany(a, 5);
    expect(log.prune({ maxCount: 0 })).toBe(5);
    expect(seqsAfter(a)).toEqual([]);
    expect(log.lastSeq(a)).toBe(5);
    log = eventLog(temp.reopen());
    expect(log.append(a, 'x', {})).toBe(6);
  });

  test('prune by count keeps the newest entries of each instance', () => {
    appendMany(a, 6);
    appendMany(b, 2);
    expect(log.prune({ maxCount: 3 })).toBe(3);
    expect(seqsAfter(a)).toEqual([4, 5, 6]);
    expect(seqsAfter(b)).toEqual([1, 2]);
  });

  test('prune by age removes entries older than maxAgeMs', () => {
    appendMany(a, 2); // at t
    clock += 60_000;
    appendMany(a, 2); // at t + 60 s
    appendMany(b, 1);
    clock += 1_000;
    expect(log.prune({ maxAgeMs: 30_000 })).toBe(2);
    expect(seqsAfter(a)).toEqual([3, 4]);
    expect(seqsAfter(b)).toEqual([1]);
  });

  test('keepAfterSeq protects what a client has not seen yet, and instanceId limits the prune', () => {
    appendMany(a, 6);
    appendMany(b, 6);
    clock += 3_600_000;
    expect(log.prune({ instanceId: a, maxAgeMs: 1_000, maxCount: 1, keepAfterSeq: 2 })).toBe(2);
    expect(seqsAfter(a)).toEqual([3, 4, 5, 6]);
    expect(seqsAfter(b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('prune without maxAgeMs or maxCount deletes nothing', () => {
    appendMany(a, 3);
    expect(log.prune({ keepAfterSeq: 0 })).toBe(0);
    expect(seqsAfter(a)).toEqual([1, 2, 3]);
  });

  test('an append rolled back with its transaction leaves no entry and gives its seq back unused', () => {
    log.append(a, 'x', {});
    expect(() =>
      withTransaction(temp.db, () => {
        log.append(a, 'x', { lost: true });
        throw new Error('translation failed');
      })
    ).toThrow('translation failed');
    expect(log.lastSeq(a)).toBe(1);
    expect(seqsAfter(a)).toEqual([1]);
    expect(log.append(a, 'x', {})).toBe(2);
  });

  test('an append whose insert fails does not spend a seq, even outside a transaction', () => {
    log.append(a, 'x', {});
    injectWriteFailure(temp, 'event_log', 'event', 'poison');
    expect(() => log.append(a, 'poison', {})).toThrow('injected write failure');
    expect(log.lastSeq(a)).toBe(1);
    expect(log.append(a, 'x', {})).toBe(2);
    expect(seqsAfter(a)).toEqual([1, 2]);
  });

  test('deleting the instance removes its log and its counter', () => {
    appendMany(a, 2);
    temp.db.prepare('DELETE FROM instances WHERE id = ?').run(a);
    expect(temp.db.prepare('SELECT COUNT(*) FROM event_log').pluck().get()).toBe(0);
    expect(temp.db.prepare('SELECT COUNT(*) FROM event_seq').pluck().get()).toBe(0);
  });
});
