import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS } from '../helpers/any-transport.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5551900000001';
let sim: WhatsAppSimulator;
let hub: TestHub;
let caller: AnyTransport;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, history: { chats: [] } });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  const { token, client } = await pairInstance(hub, sim, 'q', PHONE);
  client.close();
  caller = await AnyTransport.open(hub.url, token);
  expect(await caller.io.emit('subscribe', { instance: 'q' })).toMatchObject({ ok: true });
});
afterAll(async () => {
  caller?.close();
  await hub.close();
  await sim.stop();
});

const ofQueue = (queueId: string) => (e: { data: unknown }) => (e.data as { queue?: { queueId?: string } }).queue?.queueId === queueId;

describe.each(TRANSPORTS)('over %s', transport => {
  const text = `bulk over ${transport}`;
  const numbers = Array.from({ length: 6 }, (_, i) => `55519000${TRANSPORTS.indexOf(transport)}01${i}`);
  const jids = numbers.map(n => `${n}@s.whatsapp.net`);
  const outbox = () => sim.outbox(PHONE).filter(o => o.text === text);

  test('queue.create, pause, get, list, resume and delete, each with its effect in the store, the events and the simulator', async () => {
    const created = await caller.call(transport, 'queue.create', { instance: 'q', numbers, message: { text }, options: { minDelayMs: 300, maxDelayMs: 300 } });
    expect(created).toMatchObject({ ok: true, data: { queueId: expect.any(String) } });
    const queueId = created.data!.queueId;
    const store = () => hub.app.storage.queues.get(queueId)!;
    expect(store().total).toBe(6);
    await caller.io.waitFor('send.message:START', ofQueue(queueId));
    await caller.io.waitFor('send.message:PROCESSING', ofQueue(queueId), 20_000);

    const paused = await caller.call(transport, 'queue.pause', { instance: 'q', queueId });
    expect(paused).toMatchObject({ ok: true, data: { queueId, state: expect.stringMatching(/^paus(ing|ed)$/) } });
    const pauseEvent = await caller.io.waitFor('paused.queue', e => ofQueue(queueId)(e) && e.data.reason === 'paused by a user');
    expect(pauseEvent.data.action).toBe('pause');
    expect(store().state).toBe('paused');

    const got = await caller.call(transport, 'queue.get', { instance: 'q', queueId });
    expect(got).toMatchObject({ ok: true, data: { queueId, state: 'paused', total: 6, counts: { sending: 0 } } });
    const sentAtPause = got.data!.counts.sent;
    expect(sentAtPause).toBeGreaterThanOrEqual(1);
    expect(sentAtPause).toBeLessThan(6);
    expect(got.data!.recipients!.map(r => r.state)).toEqual([...Array(sentAtPause).fill('sent'), ...Array(6 - sentAtPause).fill('pending')]);
    // What the store calls sent is what the contacts received, in order.
    await waitUntil(() => outbox().length === sentAtPause);
    expect(outbox().map(o => o.id)).toEqual(got.data!.recipients!.slice(0, sentAtPause).map(r => r.messageId));

    const listed = await caller.call(transport, 'queue.list', { instance: 'q' });
    expect(listed.data!.find(q => q.queueId === queueId)).toMatchObject({ state: 'paused', progress: Math.round((100 * sentAtPause) / 6) });

    const resumed = await caller.call(transport, 'queue.resume', { instance: 'q', queueId });
    expect(resumed).toMatchObject({ ok: true, data: { queueId } });
    expect(['queued', 'running']).toContain(resumed.data!.state);
    await caller.io.waitFor('resumed.queue', ofQueue(queueId));
    // It goes on with the next recipient, not the first again.
    await waitUntil(() => outbox().length > sentAtPause, 20_000);
    expect(outbox()[sentAtPause]!.to).toBe(jids[sentAtPause]);

    const deleted = await caller.call(transport, 'queue.delete', { instance: 'q', queueId });
    expect(deleted).toMatchObject({ ok: true, data: { queueId, state: 'deleted' } });
    await caller.io.waitFor('deleted.queue', e => ofQueue(queueId)(e) && e.data.reason === 'deleted by a user');
    expect(store().state).toBe('deleted');
    // A send already handed to WhatsApp when the delete came still finishes.
    await waitUntil(() => hub.app.storage.queues.counts(queueId).sending === 0);
    const after = await caller.call(transport, 'queue.get', { instance: 'q', queueId });
    expect(after.data!.state).toBe('deleted');
    expect(after.data!.counts.pending).toBeGreaterThan(0);
    expect(await caller.call(transport, 'queue.resume', { instance: 'q', queueId })).toMatchObject({ ok: false, error: { status: 409 } });
    // Every recipient reached at most once, in the queue's order.
    const sent = after.data!.counts.sent;
    await waitUntil(() => outbox().length === sent);
    expect(outbox().map(o => o.to)).toEqual(jids.slice(0, sent));
  });
});
