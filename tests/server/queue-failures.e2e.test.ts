import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5561960000001';
const CAPPED = '5561960000002';
const OK_A = '5561960000101';
const OK_B = '5561960000102';
const REFUSING = '5561960000201';
const ACK_LOST = '5561960000301';
const ACK_LOST_DROPPED = '5561960000302';
const LID_CONTACT = '5561960000401';
const LID_USER = '100000000000401';
// Brazil's 9th digit: people type 5531 9XXXX-XXXX, WhatsApp knows the account as 5531XXXXXXXX.
const TYPED = '5531988887777';
const CANONICAL = '553188887777@s.whatsapp.net';
const jid = (n: string) => `${n}@s.whatsapp.net`;

let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({
    phone: PHONE,
    contacts: [
      { phone: REFUSING, refuse: 479 },
      { phone: ACK_LOST, noAck: true },
      { phone: ACK_LOST_DROPPED, noAck: true },
      { phone: LID_CONTACT, lid: LID_USER },
      { phone: TYPED, jid: CANONICAL }
    ],
    history: { chats: [] }
  });
  sim.createAccount({ phone: CAPPED, history: { chats: [] } });
  // A short ack timeout, so running out of retries takes seconds, not minutes.
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0', SEND_ACK_TIMEOUT_MS: '1500', SEND_MAX_ATTEMPTS: '3' } });
  ({ token, client: io } = await pairInstance(hub, sim, 'fails', PHONE));
});
afterAll(async () => {
  io.close();
  await hub.close();
  await sim.stop();
});

const eventsOf = (queueId: string) =>
  io.events.filter(e => {
    const d = e.data as { queue?: { queueId: string }; queueId?: string };
    return d.queue?.queueId === queueId || d.queueId === queueId;
  });
const create = async (numbers: string[], text: string, options: Record<string, unknown> = {}) => {
  const r = await io.emit('queue.create', { instance: 'fails', numbers, message: { text }, options: { minDelayMs: 50, maxDelayMs: 80, ...options } });
  expect(r.ok).toBe(true);
  return r.data.queueId as string;
};
const recipients = async (queueId: string) => (await io.emit('queue.get', { instance: 'fails', queueId })).data.recipients as Record<string, unknown>[];

test('WhatsApp refuses one recipient (ack error 479): send.message:ERROR with its status, tried once, and the queue goes on to COMPLETED', async () => {
  const queueId = await create([OK_A, REFUSING, OK_B], 'refused once');
  await io.waitFor('deleted.queue', e => e.data.queue.queueId === queueId, 30_000);
  expect(eventsOf(queueId).map(e => e.event)).toEqual([
    'send.message:START',
    'send.message:PROCESSING',
    'send.message:ERROR',
    'send.message:PROCESSING',
    'send.message:COMPLETED',
    'deleted.queue'
  ]);
  const error = eventsOf(queueId).find(e => e.event === 'send.message:ERROR')!;
  expect(error.data).toEqual({ number: REFUSING, jid: jid(REFUSING), status: 479, error: 'Invalid Stanza', message: 'WhatsApp refused the message (error 479)', queueId });
  const done = io.of('send.message:COMPLETED').find(e => e.data.queue.queueId === queueId)!;
  expect(done.data.queue.progress).toBe(100);
  expect(done.data.queue.data.jids).toEqual([jid(OK_A), jid(OK_B)]);
  expect((await recipients(queueId)).map(r => [r.state, r.attempts])).toEqual([
    ['sent', 1],
    ['failed', 1],
    ['sent', 1]
  ]);
  await waitUntil(() => sim.outbox(PHONE).filter(o => o.text === 'refused once').length === 2, 10_000);
  expect(sim.outbox(PHONE).filter(o => o.text === 'refused once').map(o => o.to)).toEqual([jid(OK_A), jid(OK_B)]);
});

test('no ack from WhatsApp: the recipient is retried with the same message ID up to the bound, then ERROR 408, and the queue goes on', async () => {
  const queueId = await create([ACK_LOST, OK_A], 'ack lost');
  await io.waitFor('deleted.queue', e => e.data.queue.queueId === queueId, 30_000);
  expect(eventsOf(queueId).map(e => e.event)).toEqual(['send.message:START', 'send.message:ERROR', 'send.message:PROCESSING', 'send.message:COMPLETED', 'deleted.queue']);
  const error = eventsOf(queueId).find(e => e.event === 'send.message:ERROR')!;
  expect(error.data).toMatchObject({ number: ACK_LOST, jid: jid(ACK_LOST), status: 408, error: 'Request Timeout', queueId });
  const [lost] = await recipients(queueId);
  expect(lost).toMatchObject({ state: 'failed', attempts: 3 });
  // The contact got all three copies under one ID and showed the message once.
  await waitUntil(() => sim.outbox(PHONE).filter(o => o.text === 'ack lost' && o.to === jid(ACK_LOST)).length === 3, 10_000);
  const copies = sim.outbox(PHONE).filter(o => o.text === 'ack lost' && o.to === jid(ACK_LOST));
  expect(new Set(copies.map(c => c.id))).toEqual(new Set([lost!.messageId]));
  expect(copies.map(c => c.repeat)).toEqual([false, true, true]);
});

test('the connection drops while WhatsApp has not answered: the queue waits for the instance, says so, and sends again with the same ID', async () => {
  const queueId = await create([ACK_LOST_DROPPED], 'dropped in flight');
  // The contact has it and the hub waits for an ack that does not come: drop the connection now.
  await waitUntil(() => sim.outbox(PHONE).some(o => o.text === 'dropped in flight'), 10_000);
  sim.kick(PHONE, 'drop');
  const held = await io.waitFor('paused.queue', e => e.data.queue.queueId === queueId, 20_000);
  expect(held.data.reason).toBe('instance not connected');
  const resumed = await io.waitFor('resumed.queue', e => e.data.queue.queueId === queueId, 30_000);
  expect(resumed.data.reason).toBe('instance not connected');
  // The acks never come, so the bound ends it: the lost connection counted as one of the three tries.
  const error = await io.waitFor('send.message:ERROR', e => e.data.queueId === queueId, 30_000);
  expect(error.data).toMatchObject({ number: ACK_LOST_DROPPED, status: 408 });
  const [r] = await recipients(queueId);
  expect(r).toMatchObject({ state: 'failed', attempts: 3 });
  await waitUntil(() => sim.outbox(PHONE).filter(o => o.text === 'dropped in flight').length === 3, 10_000);
  const copies = sim.outbox(PHONE).filter(o => o.text === 'dropped in flight');
  expect(copies.map(c => [c.id, c.repeat])).toEqual([
    [r!.messageId, false],
    [r!.messageId, true],
    [r!.messageId, true]
  ]);
});

test('a @lid recipient skips the number check and is sent to as given', async () => {
  const lid = `${LID_USER}@lid`;
  const queueId = await create([lid], 'to a lid');
  const processing = await io.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId, 20_000);
  expect(processing.data.queue.jid).toBe(lid);
  await waitUntil(() => sim.outbox(PHONE).some(o => o.text === 'to a lid'), 10_000);
  expect(sim.outbox(PHONE).filter(o => o.text === 'to a lid').map(o => o.to)).toEqual([lid]);
});

test('a number WhatsApp knows under another JID: numbers.check reports that JID, and the queue and a single send go to it', async () => {
  const checked = await hub.request('POST', '/chat/whatsappNumbers/fails', { numbers: [TYPED, OK_A] }, token);
  expect(checked.json).toEqual([
    { number: TYPED, exists: true, jid: CANONICAL },
    { number: OK_A, exists: true, jid: jid(OK_A) }
  ]);

  const queueId = await create([TYPED], 'ninth digit');
  const processing = await io.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId, 20_000);
  expect(processing.data.queue.jid).toBe(CANONICAL);
  expect((await recipients(queueId))[0]).toMatchObject({ number: TYPED, jid: CANONICAL, state: 'sent' });

  const single = await io.emit('message.sendText', { instance: 'fails', number: TYPED, text: 'ninth digit, single' });
  expect(single).toMatchObject({ ok: true, data: { key: { remoteJid: CANONICAL } } });
  await waitUntil(() => sim.outbox(PHONE).filter(o => o.text?.startsWith('ninth digit')).length === 2, 10_000);
  expect(sim.outbox(PHONE).filter(o => o.text?.startsWith('ninth digit')).map(o => o.to)).toEqual([CANONICAL, CANONICAL]);
});

test('dailyCap counts every send of the instance: after two single sends, a cap of 3 lets the queue send one', async () => {
  const { token: cappedToken, client } = await pairInstance(hub, sim, 'capped', CAPPED);
  try {
    for (const text of ['single one', 'single two']) expect(await client.emit('message.sendText', { instance: 'capped', number: OK_A, text })).toMatchObject({ ok: true });
    const created = await hub.request(
      'POST',
      '/message/sendBulk/capped',
      { numbers: [OK_A, OK_B, REFUSING], message: { text: 'capped bulk' }, options: { minDelayMs: 20, maxDelayMs: 40, dailyCap: 3 } },
      cappedToken
    );
    const { queueId } = created.json;
    const held = await client.waitFor('paused.queue', e => e.data.queue.queueId === queueId, 20_000);
    expect(held.data).toMatchObject({ action: 'pause', reason: 'daily cap reached', queue: { progress: 33, data: { jids: [jid(OK_A)] } } });
    expect(client.of('send.message:PROCESSING').filter(e => e.data.queue.queueId === queueId)).toHaveLength(1);
    const info = (await client.emit('queue.get', { instance: 'capped', queueId })).data;
    expect(info).toMatchObject({ state: 'waiting', reason: 'daily cap reached', counts: { sent: 1, pending: 2 } });
    // Held means the runner stopped: the outbox settles at the one bulk message.
    await waitUntil(() => sim.outbox(CAPPED).filter(o => o.text === 'capped bulk').length === 1, 10_000);
    expect(sim.outbox(CAPPED).map(o => o.text)).toEqual(['single one', 'single two', 'capped bulk']);
  } finally {
    client.close();
  }
});
