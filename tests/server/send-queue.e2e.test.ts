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
  expect(start.queue).toEqual({ queueId, queueTimestamp: expect.any(Number), progress: 0, status: 'STARTED', total: 5 });
  // PROCESSING names its one recipient and never carries the lists (contract v2).
  const processing = seen.filter(e => e.event === 'send.message:PROCESSING').map(e => (e.data as { queue: Record<string, unknown> }).queue);
  expect(processing.map(p => Object.keys(p).sort())).toEqual(Array(4).fill(['jid', 'messageId', 'progress', 'queueId', 'queueTimestamp']));
  expect(processing.map(p => p.progress)).toEqual([20, 40, 80, 100]);
  expect(seen[3]!.data).toEqual({ number: GHOST, message: 'The number entered is not a valid whatsapp contact', status: 404, error: 'Not Found', queueId });
  const done = seen[6]!.data as { queue: { progress: number; data: { jids: string[]; messageIds: string[]; message: unknown } } };
  expect(done.queue.progress).toBe(100);
  expect(done.queue.data.messageIds).toHaveLength(4);
  expect(done.queue.data.jids).toEqual([...nums(0, 2), ...nums(2, 2)].map(n => `${n}@s.whatsapp.net`));
  expect(done.queue.data.message).toEqual({ messageType: 'extendedTextMessage', message: { text: 'bulk hello' } });

  expect(processing.map(p => p.messageId)).toEqual(done.queue.data.messageIds);
  expect(processing.map(p => p.jid)).toEqual(done.queue.data.jids);

  const out = sim.outbox(PHONE).filter(o => done.queue.data.messageIds.includes(o.id));
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
  // paused.queue comes after the send in flight was acked, and the contact records before WhatsApp acks: this is final.
  const sentAtPause = sim.outbox(PHONE).filter(o => o.text === 'paused run').length;
  expect(event.data.queue.progress).toBe(Math.round((100 * sentAtPause) / 5));
  expect(sentAtPause).toBeLessThan(5);
  const whilePaused = (await io.emit('queue.get', { instance: 'bulk', queueId })).data;
  expect(whilePaused).toMatchObject({ state: 'paused', counts: { sent: sentAtPause, sending: 0 } });
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
  // A send already on the wire may still finish; once none is `sending`, nothing else can go out.
  const deadline = Date.now() + 10_000;
  let counts: { sent: number; sending: number } = (await io.emit('queue.get', { instance: 'bulk', queueId })).data.counts;
  while (counts.sending > 0) {
    if (Date.now() > deadline) throw new Error('a send stayed in flight after the delete');
    await new Promise(r => setTimeout(r, 20));
    counts = (await io.emit('queue.get', { instance: 'bulk', queueId })).data.counts;
  }
  expect(sim.outbox(PHONE).filter(o => o.text === 'deleted run')).toHaveLength(counts.sent);
  expect(counts.sent).toBeLessThan(numbers.length);
  expect(await io.emit('queue.resume', { instance: 'bulk', queueId })).toMatchObject({ ok: false, error: { status: 409 } });
});

test('the instance is dropped mid-queue: the queue waits (paused.queue with a reason) and finishes after the reconnect, no loss, no duplicate', async () => {
  const numbers = nums(30, 6);
  const { queueId } = (await io.emit('queue.create', { instance: 'bulk', numbers, message: { text: 'dropped run' }, options: { minDelayMs: 150, maxDelayMs: 150 } })).data;
  await io.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId, 20_000);
  // Away for longer than the 150 ms between sends: a reconnect at once would never leave the queue without a socket.
  sim.kick(PHONE, 'drop', { unreachableMs: 2_000 });
  const wait = await io.waitFor('paused.queue', e => e.data.queue.queueId === queueId, 20_000);
  expect(wait.data.reason).toBe('instance not connected');
  // Held by the hub, it goes on by itself and says so, with what it waited for.
  const resumed = await io.waitFor('resumed.queue', e => e.data.queue.queueId === queueId, 30_000);
  expect(resumed.data).toMatchObject({ action: 'resume', reason: 'instance not connected' });
  expect(resumed.seq).toBeGreaterThan(wait.seq);
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

test('every event the queues above emitted validates against the protocol schemas', () => {
  const queueEventsSeen = io.events.filter(e => e.event.startsWith('send.message') || e.event.endsWith('.queue'));
  expect(queueEventsSeen.length).toBeGreaterThan(20);
  for (const e of io.events) expect({ event: e.event, seq: e.seq, result: validateEvent(e) }).toEqual({ event: e.event, seq: e.seq, result: { ok: true } });
});
