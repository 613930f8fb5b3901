import { eventLog, type EventLog } from '../../storage/event-log.js';
import { webhooksRepository, type WebhooksRepository } from '../../storage/webhooks-repository.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let clock: number;
  let log: EventLog;
  let hooks: WebhooksRepository;
  let a: string;
  let b: string;
  beforeEach(async () => {
    temp = await backend.open();
    clock = 1_700_000_000_000;
    log = eventLog(temp.db, { now: () => clock });
    hooks = webhooksRepository(temp.db);
    a = addInstance(temp.db, 'alpha').id;
    b = addInstance(temp.db, 'beta').id;
  });
  afterEach(() => temp.cleanup());

  const appendMany = (instanceId: string, events: string[]) => events.map(e => log.append(instanceId, e, {}));
  const stored = (instanceId: string) => log.after(instanceId, 0, 1000).map(e => e.seq);
  const hook = (id: string, instanceId: string, cursor: number, enabled = 1) =>
    hooks.create({ id, instance_id: instanceId, url: 'http://receiver.test/', events: null, enabled, secret: 'whsec_x', cursor });

  test('retention by count and by age never takes an event after an enabled webhook cursor, per instance', () => {
    appendMany(a, Array(10).fill('chats.update'));
    appendMany(b, Array(10).fill('chats.update'));
    hook('w1', a, 3);
    hook('w2', a, 6);
    hook('off', b, 1, 0);
    clock += 10_000;
    expect(log.prune({ maxCount: 2 })).toBe(3 + 8);
    expect(stored(a)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    // A disabled webhook holds nothing back.
    expect(stored(b)).toEqual([9, 10]);
    // The slowest webhook decides: w2 has passed 6, w1 now 7.
    hooks.update('w1', { cursor: 7 });
    expect(log.prune({ maxAgeMs: 1000 })).toBe(3 + 2);
    expect(stored(a)).toEqual([7, 8, 9, 10]);
    expect(stored(b)).toEqual([]);
  });

  test('pending events follow the filter; a dead letter moves the cursor and redelivery rewinds it', () => {
    appendMany(a, ['new.message', 'chats.update', 'new.message', 'presence.update']);
    hook('w', a, 0);
    const filter = JSON.stringify(['new.message', 'presence.update']);
    expect(hooks.pendingEvents(a, 0, filter, 10).map(e => e.seq)).toEqual([1, 3, 4]);
    expect(hooks.pendingEvents(a, 1, filter, 1).map(e => e.seq)).toEqual([3]);
    expect(hooks.countPending(a, 0, filter)).toBe(3);
    expect(hooks.countPending(a, 0, null)).toBe(4);

    hooks.giveUp('w', { seq: 1, event: 'new.message', payload: '{"seq":1}', attempts: 12, last_error: 'HTTP 500' });
    expect(hooks.get('w')).toMatchObject({ cursor: 1, status: 'failing', last_error: 'HTTP 500', attempts: 0 });
    expect(hooks.deadLetters(a).map(d => [d.webhook_id, d.seq, d.attempts])).toEqual([['w', 1, 12]]);
    expect(hooks.deadLetters(b)).toEqual([]);

    // Acknowledged events after a dead letter leave the webhook failing until the letter is redelivered.
    hooks.acknowledge('w', 3);
    expect(hooks.get('w')).toMatchObject({ cursor: 3, status: 'failing', last_error: 'HTTP 500' });
    hooks.rewind('w', 1);
    expect(hooks.get('w')).toMatchObject({ cursor: 0, status: 'ok', last_error: null });
    expect(hooks.deadLetters(a)).toEqual([]);
    hooks.update('w', { status: 'retrying', last_error: 'HTTP 502' });
    hooks.acknowledge('w', 1);
    expect(hooks.get('w')).toMatchObject({ cursor: 1, status: 'ok', last_error: null });
  });
});
