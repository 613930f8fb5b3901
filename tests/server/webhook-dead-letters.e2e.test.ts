import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS } from '../helpers/any-transport.js';
import { ADMIN_KEY, type EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { seqRange, WebhookReceiver } from '../helpers/webhook-receiver.js';

const PHONE = '5561900000002';
const CONTACT = '5561900000020';
const NAME = 'letters';
const MAX_ATTEMPTS = 3;
let sim: WhatsAppSimulator;
let hub: TestHub;
let admin: AnyTransport;
let events: EventClient;
let r: WebhookReceiver;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Caio' }], history: { chats: [] } });
  hub = await startHub(sim, {
    env: { WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_TIMEOUT_MS: '400', WEBHOOK_BACKOFF_BASE_MS: '20', WEBHOOK_BACKOFF_MAX_MS: '100', RATE_LIMIT_PER_SECOND: '0' }
  });
  events = (await pairInstance(hub, sim, NAME, PHONE)).client;
  admin = await AnyTransport.open(hub.url, ADMIN_KEY);
  r = await new WebhookReceiver().start();
});
afterAll(async () => {
  await r?.stop();
  events?.close();
  admin?.close();
  await hub.close();
  await sim.stop();
});

const send = async (id: string) => {
  await sim.sendText(PHONE, CONTACT, `text ${id}`, { id });
  return (await events.waitFor('new.message', e => e.data.header.messageId === id)).seq;
};

test('an event refused WEBHOOK_MAX_ATTEMPTS times becomes a dead letter, the cursor moves on, and redeliver sends it and what followed again', async () => {
  const POISON = 'POISON00000000000001';
  r.answer = envelope => ({ status: envelope.event === 'new.message' && envelope.data.header.messageId === POISON ? 500 : 200 });
  const set = await admin.call('rest', 'webhook.set', { instance: NAME, url: r.url });
  r.secret = set.data!.secret;
  const id = set.data!.webhook.id;

  const before = await send('BEFORE00000000000001');
  const poison = await send(POISON);
  const after = await send('AFTER000000000000001');
  await waitUntil(() => r.acknowledgedSeqs().includes(after), 10_000);

  expect(r.problems).toEqual([]);
  const poisonPosts = r.received.filter(p => p.envelope.seq === poison);
  expect(poisonPosts.map(p => p.status)).toEqual(Array(MAX_ATTEMPTS).fill(500));
  expect(r.acknowledgedSeqs()).toContain(before);
  expect(r.acknowledgedSeqs()).not.toContain(poison);
  const found = (await admin.call('rest', 'webhook.find', { instance: NAME })).data!.find(w => w.id === id);
  expect(found).toMatchObject({ status: 'failing', lastError: 'HTTP 500' });

  for (const transport of TRANSPORTS) {
    const letters = await admin.call(transport, 'webhook.deliveries', { instance: NAME, id, failed: true });
    expect(letters).toMatchObject({ ok: true });
    expect(letters.data!.map(d => [d.webhookId, d.seq, d.event, d.attempts, d.lastError])).toEqual([[id, poison, 'new.message', MAX_ATTEMPTS, 'HTTP 500']]);
    expect(letters.data![0]!.envelope).toMatchObject({ seq: poison, event: 'new.message', data: { header: { messageId: POISON } } });
  }
  expect(await admin.call('rest', 'webhook.deliveries', { instance: NAME, id: 'no-such-webhook' })).toMatchObject({ ok: false, error: { status: 404 } });

  // The receiver is fixed; replaying from the poison event sends it and everything after it again, in order.
  r.answer = () => ({ status: 200 });
  const posted = r.received.length;
  const last = hub.app.storage.events.lastSeq(hub.app.storage.instances.findByName(NAME)!.id);
  const again = await admin.call('websocket', 'webhook.redeliver', { instance: NAME, id, fromSeq: poison });
  expect(again).toMatchObject({ ok: true, data: { id, status: 'ok', lastDeliveredSeq: poison - 1 } });
  await waitUntil(() => r.received.slice(posted).some(p => p.envelope.seq === last && p.status === 200), 10_000);
  expect(r.received.slice(posted).map(p => p.envelope.seq)).toEqual(seqRange(poison, last));
  expect((await admin.call('rest', 'webhook.deliveries', { instance: NAME, id })).data).toEqual([]);
  expect((await admin.call('rest', 'webhook.find', { instance: NAME })).data!.find(w => w.id === id)).toMatchObject({ status: 'ok', lastError: null });
  expect(await admin.call('rest', 'webhook.redeliver', { instance: NAME, id, fromSeq: last + 100 })).toMatchObject({ ok: false, error: { status: 400 } });
});

test('a POST not answered within WEBHOOK_TIMEOUT_MS and a redirect both count as failures', async () => {
  const slow = await new WebhookReceiver().start();
  try {
    const HANG = 'HANG0000000000000001';
    const MOVED = 'MOVED000000000000001';
    const of = (envelope: { event: string; data: unknown }) => (envelope.event === 'new.message' ? (envelope.data as { header: { messageId: string } }).header.messageId : '');
    slow.answer = envelope => (of(envelope) === HANG ? { status: 200, delayMs: 1500 } : of(envelope) === MOVED ? { status: 302 } : { status: 200 });
    const set = await admin.call('socket.io', 'webhook.set', { instance: NAME, url: slow.url, events: ['new.message'] });
    slow.secret = set.data!.secret;
    const id = set.data!.webhook.id;
    const hang = await send(HANG);
    const moved = await send(MOVED);
    const next = await send('NEXT0000000000000001');
    await waitUntil(() => slow.acknowledgedSeqs().includes(next), 15_000);

    const letters = (await admin.call('rest', 'webhook.deliveries', { instance: NAME, id })).data!;
    expect(letters.map(d => [d.seq, d.attempts, d.lastError])).toEqual([
      [hang, MAX_ATTEMPTS, 'timed out after 400 ms'],
      [moved, MAX_ATTEMPTS, 'HTTP 302']
    ]);
    expect(slow.problems).toEqual([]);
  } finally {
    await slow.stop();
  }
});
