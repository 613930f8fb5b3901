import { validateEvent } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import type { OutboxEntry } from '../../simulator/model.js';
import { WsClient } from '../helpers/ws-client.js';

const PHONE = '5531970000001';
const nums = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(5531970000100 + from + i));
const GHOST = '5531970000999';
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: GHOST, onWhatsApp: false }], history: { chats: [] } });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  ({ token, client: io } = await pairInstance(hub, sim, 'bulk', PHONE));
});
afterAll(async () => {
  io.close();
  await hub.close();
  await sim.stop();
});

/**
 * `send.message:*` fires once Baileys has written the stanza; the contact records
 * it only after decrypting, so what the outbox holds is polled for, not read at once.
 */
const outboxOf = async (pick: (o: OutboxEntry) => boolean, count: number, timeoutMs = 10_000): Promise<OutboxEntry[]> => {
  await waitUntil(() => sim.outbox(PHONE).filter(pick).length >= count, timeoutMs);
  return sim.outbox(PHONE).filter(pick);
};

const queueEvents = (queueId: string) =>
  io.events.filter(e => {
    const d = e.data as { queue?: { queueId: string }; queueId?: string };
    return d.queue?.queueId === queueId || d.queueId === queueId;
  });

test('a queue to 5 numbers, one not on WhatsApp: START, 4 PROCESSING, one ERROR 404, COMPLETED, deleted.queue; the outbox holds the 4, in order, paced', async () => {
  const numbers = [...nums(0, 2), GHOST, ...nums(2, 2)];
  const res = await hub.request('POST', '/message/sendBulk/bulk', { numbers, message: { text: 'bulk hello' }, options: { minDelayMs: 150, maxDelayMs: 250 } }, token);
  expect(res.status).toBe(201);
  const { queueId } = res.json;
  await io.waitFor('deleted.queue', e => e.data.queue.queueId === queueId, 30_000);

  const seen = queueEvents(queueId);
  expect(seen.map(e => e.event)).toEqual([
    'send.message:START',
    'send.message:PROCESSING',
    'send.message:PROCESSING',
    'send.message:ERROR',
    'send.message:PROCESSING',
    'send.message:PROCESSING',
    'send.message:COMPLETED',
    'deleted.queue'
  ]);
  const start = seen[0]!.data as { queue: { progress: number; status: string } };
  expect(start.queue).toMatchObject({ progress: 0, status: 'STARTED' });
  const progress = seen.filter(e => e.event === 'send.message:PROCESSING').map(e => (e.data as { queue: { progress: number } }).queue.progress);
  expect(progress).toEqual([20, 40, 80, 100]);
  expect(seen[3]!.data).toEqual({ number: GHOST, message: 'The number entered is not a valid whatsapp contact', status: 404, error: 'Not Found', queueId });
  const done = seen[6]!.data as { queue: { progress: number; data: { jids: string[]; messageIds: string[]; message: unknown } } };
  expect(done.queue.progress).toBe(100);
  expect(done.queue.data.messageIds).toHaveLength(4);
  expect(done.queue.data.jids).toEqual([...nums(0, 2), ...nums(2, 2)].map(n => `${n}@s.whatsapp.net`));
  expect(done.queue.data.message).toEqual({ messageType: 'extendedTextMessage', message: { text: 'bulk hello' } });

  const out = await outboxOf(o => done.queue.data.messageIds.includes(o.id), 4);
  expect(out.map(o => o.to)).toEqual(done.queue.data.jids);
  expect(out.every(o => o.text === 'bulk hello' && !o.repeat)).toBe(true);
  // Paced at 150 ms or more by the hub; the contact's clock adds scheduling jitter on a busy machine.
  for (let i = 1; i < out.length; i++) expect(out[i]!.timestamp - out[i - 1]!.timestamp).toBeGreaterThanOrEqual(100);

  const info = await hub.request('GET', `/queue/get/bulk?queueId=${queueId}`, undefined, token);
  expect(info.json).toMatchObject({ state: 'completed', progress: 100, counts: { sent: 4, failed: 1, pending: 0 } });
});

test('pause after the second recipient: nothing more is sent until resume; then it finishes', async () => {
  const numbers = nums(10, 5);
  const { queueId } = (await io.emit('queue.create', { instance: 'bulk', numbers, message: { text: 'paused run' }, options: { minDelayMs: 200, maxDelayMs: 200 } })).data;
  await io.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId && e.data.queue.progress === 40, 20_000);
  const paused = await io.emit('queue.pause', { instance: 'bulk', queueId });
  expect(paused.ok).toBe(true);
  const event = await io.waitFor('paused.queue', e => e.data.queue.queueId === queueId, 10_000);
  const sentAtPause = (event.data.queue.progress * 5) / 100;
  expect(Number.isInteger(sentAtPause)).toBe(true);
  await outboxOf(o => o.text === 'paused run', sentAtPause);
  // Nothing more arrives while it stays paused: an absence, so it is watched for a while.
  await new Promise(r => setTimeout(r, 800));
  expect(sim.outbox(PHONE).filter(o => o.text === 'paused run')).toHaveLength(sentAtPause);
  expect((await io.emit('queue.get', { instance: 'bulk', queueId })).data.state).toBe('paused');
  expect(await io.emit('queue.pause', { instance: 'bulk', queueId })).toMatchObject({ ok: false, error: { status: 409 } });

  expect((await io.emit('queue.resume', { instance: 'bulk', queueId })).ok).toBe(true);
  await io.waitFor('resumed.queue', e => e.data.queue.queueId === queueId);
  await io.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 20_000);
  const out = await outboxOf(o => o.text === 'paused run', 5);
  expect(out.map(o => o.to)).toEqual(numbers.map(n => `${n}@s.whatsapp.net`));
});

test('delete mid-way stops the queue: deleted.queue, and nothing more is sent', async () => {
  const numbers = nums(20, 6);
  const { queueId } = (await io.emit('queue.create', { instance: 'bulk', numbers, message: { text: 'deleted run' }, options: { minDelayMs: 200, maxDelayMs: 200 } })).data;
  await io.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId, 20_000);
  const del = await io.emit('queue.delete', { instance: 'bulk', queueId });
  expect(del).toMatchObject({ ok: true, data: { state: 'deleted' } });
  await io.waitFor('deleted.queue', e => e.data.queue.queueId === queueId && e.data.reason === 'deleted by a user');
  // A send already written when the delete came still lands: count what the queue says it sent.
  let count = -1;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const sent = (await io.emit('queue.get', { instance: 'bulk', queueId })).data.counts.sent as number;
    if (sim.outbox(PHONE).filter(o => o.text === 'deleted run').length === sent) {
      count = sent;
      break;
    }
    if (Date.now() > deadline) throw new Error('the outbox never matched the queue\'s sent count');
    await new Promise(r => setTimeout(r, 50));
  }
  await new Promise(r => setTimeout(r, 900));
  expect(sim.outbox(PHONE).filter(o => o.text === 'deleted run')).toHaveLength(count);
  expect(count).toBeLessThan(numbers.length);
  expect(await io.emit('queue.resume', { instance: 'bulk', queueId })).toMatchObject({ ok: false, error: { status: 409 } });
});

test('the instance is dropped mid-queue: the queue waits (paused.queue with a reason) and finishes after the reconnect, no loss, no duplicate', async () => {
  const numbers = nums(30, 6);
  const { queueId } = (await io.emit('queue.create', { instance: 'bulk', numbers, message: { text: 'dropped run' }, options: { minDelayMs: 150, maxDelayMs: 150 } })).data;
  await io.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId, 20_000);
  sim.kick(PHONE, 'drop');
  const wait = await io.waitFor('paused.queue', e => e.data.queue.queueId === queueId, 20_000);
  expect(wait.data.reason).toBe('instance not connected');
  await io.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 30_000);
  const out = await outboxOf(o => o.text === 'dropped run' && !o.repeat, numbers.length);
  expect(out.map(o => o.to).sort()).toEqual(numbers.map(n => `${n}@s.whatsapp.net`).sort());
  const ids = out.map(o => o.id);
  expect(new Set(ids).size).toBe(numbers.length);
});

test('single sends go through the same line while a bulk send runs, ahead of its next item', async () => {
  const { queueId } = (await io.emit('queue.create', { instance: 'bulk', numbers: nums(40, 3), message: { text: 'slow run' }, options: { minDelayMs: 400, maxDelayMs: 400 } })).data;
  const single = await io.emit('message.sendText', { instance: 'bulk', number: nums(50, 1)[0], text: 'jump the line' });
  expect(single.ok).toBe(true);
  await io.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 20_000);
  const order = (await outboxOf(o => o.text === 'slow run' || o.text === 'jump the line', 4)).map(o => o.text);
  expect(order.indexOf('jump the line')).toBeLessThan(order.lastIndexOf('slow run'));
});

test.each([
  [{ numbers: [], message: { text: 'x' } }, 400],
  [{ numbers: Array.from({ length: 100_001 }, (_, i) => String(5500000000000 + i)), message: { text: 'x' } }, 400],
  [{ numbers: ['not a number'], message: { text: 'x' } }, 400],
  [{ numbers: ['5531970000100'], message: { text: 'x' }, options: { minDelayMs: -5 } }, 400],
  [{ numbers: ['5531970000100'], message: { text: 'x' }, options: { minDelayMs: 500, maxDelayMs: 100 } }, 400],
  [{ numbers: ['5531970000100'], message: {} }, 400]
])('bad input to queue.create is refused with the error shape (%#)', async (args, status) => {
  const r = await io.emit('queue.create', { instance: 'bulk', ...args });
  expect(r).toMatchObject({ ok: false, error: { status, error: 'Bad Request', message: expect.any(String) } });
});

test('an unknown queue ID is a 404 on every queue command', async () => {
  for (const cmd of ['queue.get', 'queue.pause', 'queue.resume', 'queue.delete']) {
    expect(await io.emit(cmd, { instance: 'bulk', queueId: 'nope' })).toMatchObject({ ok: false, error: { status: 404, error: 'Not Found' } });
  }
});

test('the queue commands over the plain WebSocket too', async () => {
  const ws = new WsClient(hub.url, { token });
  await ws.open();
  try {
    const created = await ws.call('queue.create', { instance: 'bulk', numbers: nums(60, 2), message: { text: 'over ws' }, options: { minDelayMs: 10, maxDelayMs: 20 } });
    expect(created).toMatchObject({ ok: true, data: { queueId: expect.any(String) } });
    await io.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === created.data.queueId, 20_000);
    const got = await ws.call('queue.get', { instance: 'bulk', queueId: created.data.queueId });
    expect(got.data).toMatchObject({ state: 'completed', counts: { sent: 2 } });
    const listed = await ws.call('queue.list', { instance: 'bulk' });
    expect(listed.data.map((q: { queueId: string }) => q.queueId)).toContain(created.data.queueId);
  } finally {
    ws.close();
  }
});

// Last in the file, so it covers the events of every test above.
test('every event the client received matches its schema', () => {
  expect(io.events.length).toBeGreaterThan(0);
  for (const e of io.events) expect(validateEvent(e)).toEqual({ ok: true });
});
