import { connect, WahubError, type SubscribeAck, type WahubClient } from 'wahub/client';
import type { EventEnvelope } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5561990000201';
const ANA = '5561990000210';
const EVENTS = 200;
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
const clients: WahubClient[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, pushName: 'Shop', contacts: [{ phone: ANA, pushName: 'Ana' }] });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  const paired = await pairInstance(hub, sim, 'shop', PHONE);
  paired.client.close();
  token = paired.token;
}, 60_000);
afterAll(async () => {
  clients.forEach(c => c.close());
  await hub.close();
  await sim.stop();
});

const open = async (key = ADMIN_KEY) => {
  const client = await connect({ url: hub.url, token: key });
  clients.push(client);
  return client;
};

/** Asserts the seqs follow each other by one from `first`: none missing, none twice, in order. */
const expectUnbroken = (seqs: number[], first: number) => expect(seqs).toEqual(seqs.map((_, i) => first + i));

test('a forced disconnect while 200 events are produced: the handler sees every seq once, in order, with no gap', async () => {
  const client = await open(token);
  const seen: EventEnvelope[] = [];
  const acks: SubscribeAck[] = [];
  const first = await client.subscribe('shop', e => seen.push(e), { onAck: ack => acks.push(ack) });
  let disconnects = 0;
  client.socket.on('disconnect', () => disconnects++);

  for (let i = 0; i < EVENTS; i++) {
    // Cut the transport under the client twice, mid-stream: the events sent meanwhile are missed live.
    if (i === 50 || i === 140) {
      await waitUntil(() => client.socket.connected, 10_000);
      client.socket.io.engine.close();
    }
    await sim.sendText(PHONE, ANA, `burst ${i}`);
  }
  const stored = await client.command('instance.events', { instance: 'shop', after: first.lastSeq, limit: 1000 });
  const last = stored.lastSeq;
  // Events may go on after the read (receipts, chat updates): reaching `last` is what counts.
  await waitUntil(() => (client.lastSeq('shop') ?? 0) >= last, 30_000);

  expect(disconnects).toBe(2);
  // The resubscriptions replayed what was missed; without them the burst would have holes.
  expect(acks.slice(1).reduce((n, a) => n + a.replayed, 0)).toBeGreaterThan(0);
  expectUnbroken(seen.map(e => e.seq), first.lastSeq + 1);
  expect(seen.at(-1)!.seq).toBeGreaterThanOrEqual(last);
  const texts = seen.flatMap(e => (e.event === 'new.message' ? [String(e.data.body.message)] : [])).filter(t => t.startsWith('burst '));
  expect(texts).toEqual(Array.from({ length: EVENTS }, (_, i) => `burst ${i}`));
}, 120_000);

test('events the hub sends again are not handed over twice', async () => {
  const client = await open();
  const seen: number[] = [];
  const ack = await client.subscribe('shop', e => seen.push(e.seq), { after: 0 });
  expect(ack.replayed).toBeGreaterThan(EVENTS);
  expectUnbroken(seen, 1);
  const before = seen.length;
  // Asking the hub behind the client's back for the whole log again: every event arrives a second time on the wire.
  const again = await client.socket.emitWithAck('subscribe', { instance: 'shop', after: 0 });
  expect(again.data.replayed).toBe(before);
  await sim.sendText(PHONE, ANA, 'after the repeat');
  await waitUntil(() => seen.length > before, 10_000);
  expectUnbroken(seen, 1);
});

test('on(event) is typed by the event map and sees each event once', async () => {
  const client = await open();
  const texts: string[] = [];
  client.on('new.message', e => texts.push(String(e.data.body.message)));
  await client.subscribe('shop', () => undefined);
  await sim.sendText(PHONE, ANA, 'typed hello');
  await waitUntil(() => texts.includes('typed hello'), 10_000);
  expect(texts).toEqual(['typed hello']);
});

test('a command answers its typed result, and a refusal throws the hub error shape', async () => {
  const client = await open(token);
  const state = await client.command('instance.state', { instance: 'shop' });
  expect(state).toMatchObject({ name: 'shop', state: 'open' });
  const sent = await client.command('message.sendText', { instance: 'shop', number: ANA, text: 'typed send' });
  expect(sent.key.fromMe).toBe(true);
  await waitUntil(() => sim.outbox(PHONE).some(o => o.text === 'typed send'), 10_000);

  const refused = await client.command('instance.state', { instance: 'other' }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WahubError);
  expect(refused).toMatchObject({ status: 403, error: 'Forbidden' });
  expect((refused as WahubError).message).toMatch(/other/);
});

test('a wrong token is refused at connect with the hub error shape', async () => {
  const refused = await connect({ url: hub.url, token: 'not-a-token' }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WahubError);
  expect(refused).toMatchObject({ status: 401, error: 'Unauthorized' });
});

test('a seq from an instance that was created again (reset) reads the new log from its start, once', async () => {
  const client = await open();
  const seen: number[] = [];
  const acks: SubscribeAck[] = [];
  // A seq beyond anything this instance numbered is what a client of a deleted and recreated instance holds.
  const ack = await client.subscribe('shop', e => seen.push(e.seq), { after: 1_000_000_000, onAck: a => acks.push(a) });
  expect(acks.map(a => a.reset)).toEqual([true, false]);
  expect(ack.reset).toBe(false);
  expectUnbroken(seen, 1);
  // Live events may already follow the replay's last seq.
  expect(seen.at(-1)).toBeGreaterThanOrEqual(ack.lastSeq);
});
