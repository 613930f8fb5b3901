import { queuesRepository, type QueuesRepository } from '../../storage/queues-repository.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let queues: QueuesRepository;
  let instanceId: string;
  beforeEach(async () => {
    temp = await backend.open();
    queues = queuesRepository(temp.db);
    instanceId = addInstance(temp.db, 'sales').id;
  });
  afterEach(() => temp.cleanup());

  const create = (id: string, numbers: string[]) =>
    queues.create({ id, instance_id: instanceId, state: 'running', message: '{"text":"hi"}', options: '{}', total: numbers.length }, numbers);

  test('a queue and its recipients are created together, in order, all pending', () => {
    const row = create('q1', ['5531900000001', '5531900000002', '5531900000003']);
    expect(row).toEqual({
      id: 'q1',
      instance_id: instanceId,
      state: 'running',
      reason: null,
      message: '{"text":"hi"}',
      options: '{}',
      total: 3,
      created_at: expect.any(Number),
      updated_at: row.created_at
    });
    expect(queues.recipients('q1').map(r => [r.position, r.number, r.state, r.attempts])).toEqual([
      [0, '5531900000001', 'pending', 0],
      [1, '5531900000002', 'pending', 0],
      [2, '5531900000003', 'pending', 0]
    ]);
    expect(queues.counts('q1')).toEqual({ pending: 3, sending: 0, sent: 0, failed: 0, unknown: 0 });
  });

  test('a queue whose id is taken is refused whole, leaving the first one and its recipients alone', () => {
    // The same queue id twice: the second create fails and leaves the first one's recipients alone.
    create('q1', ['1']);
    expect(() => create('q1', ['2', '3'])).toThrow();
    expect(queues.recipients('q1').map(r => r.number)).toEqual(['1']);
  });

  test('recipients move through their states; the runner walks from a position on', () => {
    create('q1', ['1', '2', '3', '4']);
    queues.updateRecipient('q1', 0, { jid: '1@s.whatsapp.net', message_id: 'M0', state: 'sent' });
    queues.updateRecipient('q1', 1, { error: 'not on WhatsApp', state: 'failed' });
    queues.updateRecipient('q1', 2, { state: 'sending', message_id: 'M2', attempts: 1 });
    queues.updateRecipient('q1', 3, {});
    expect(queues.recipient('q1', 2)).toMatchObject({ state: 'sending', message_id: 'M2', attempts: 1 });
    expect(queues.nextOpen('q1')?.position).toBe(2);
    expect(queues.nextOpen('q1', 3)?.position).toBe(3);
    expect(queues.unchecked('q1', 0, 10).map(r => r.position)).toEqual([3]);
    expect(queues.counts('q1')).toEqual({ pending: 1, sending: 1, sent: 1, failed: 1, unknown: 0 });
    expect(queues.sent('q1')).toEqual([{ jid: '1@s.whatsapp.net', number: '1', message_id: 'M0' }]);
    expect(queues.statesOverall()).toEqual({ pending: 1, sending: 1, sent: 1, failed: 1 });
  });

  test('queues list by instance and by state, oldest first; state changes keep their reason', () => {
    create('q1', ['1']);
    create('q2', ['2']);
    queues.setState('q1', 'paused', 'daily cap');
    expect(queues.get('q1')).toMatchObject({ state: 'paused', reason: 'daily cap' });
    expect(queues.listByInstance(instanceId).map(q => q.id)).toEqual(['q1', 'q2']);
    expect(queues.listInStates(['paused']).map(q => q.id)).toEqual(['q1']);
    expect(queues.listInStates(['paused', 'running']).map(q => q.id)).toEqual(['q1', 'q2']);
    expect(queues.listInStates([])).toEqual([]);
    expect(queues.get('nope')).toBeUndefined();
  });
});
