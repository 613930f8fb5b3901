import { connect, type SubscribeAck, type WahubClient } from 'wahub/client';
import type { EventEnvelope } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { TapAgent } from '../helpers/paused-clients.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5561990000301';
const ANA = '5561990000310';
const BOUND = 128 * 1024;
/** Big enough that the kernel's buffers of a paused loopback socket (a few MB) fill after a couple of hundred. */
const TEXT_BYTES = 32 * 1024;
const MAX_MESSAGES = 600;
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let client: WahubClient | undefined;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: ANA, pushName: 'Ana' }] });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0', CLIENT_MAX_BUFFER_BYTES: String(BOUND) } });
  const paired = await pairInstance(hub, sim, 'slowpoke', PHONE);
  paired.client.close();
  token = paired.token;
}, 60_000);
afterAll(async () => {
  client?.close();
  await hub.close();
  await sim.stop();
});

const storedLastSeq = async () => (await hub.request('GET', '/instance/events/slowpoke?limit=1')).json.lastSeq as number;
async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 50));
  }
}
const text = (i: number) => `${i} `.padEnd(TEXT_BYTES, 'x');
const numberOf = (e: EventEnvelope) => (e.event === 'new.message' && typeof e.data.body.message === 'string' ? Number(e.data.body.message.split(' ')[0]) : undefined);

test('dropped by the hub as too slow, the client reconnects by itself and resubscribes: every seq once, in order, no gap', async () => {
  const agent = new TapAgent();
  // engine.io-client hands `agent` to ws; its type says string | boolean, but any http.Agent is what ws takes.
  client = await connect({ url: hub.url, token, socket: { agent: agent as unknown as string } });
  const seen: EventEnvelope[] = [];
  const acks: SubscribeAck[] = [];
  const reasons: string[] = [];
  client.socket.on('disconnect', reason => reasons.push(reason));
  const first = await client.subscribe('slowpoke', e => seen.push(e), { onAck: ack => acks.push(ack) });

  agent.pause();
  let sent = 0;
  const dropped = () => hub.app.deliveryStats.droppedTooSlowTotal;
  while (dropped() === 0 && sent < MAX_MESSAGES) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => sim.sendText(PHONE, ANA, text(sent + j))));
    sent += 20;
    // The hub stores and fans out after the simulator has sent: the next batch waits for this one to be out.
    const expected = first.lastSeq + sent;
    await until(async () => dropped() > 0 || (await storedLastSeq()) >= expected, 20_000);
  }
  expect(hub.app.deliveryStats.droppedTooSlowTotal).toBe(1);
  agent.resume();
  // Live again after the reconnect: these come after the replay of what the drop cut off.
  await waitUntil(() => acks.length > 1, 20_000);
  for (let j = 0; j < 5; j++) await sim.sendText(PHONE, ANA, text(sent++));

  // Every text is at least one event; once they are all stored, the client must reach the log's end.
  await until(async () => (await storedLastSeq()) >= first.lastSeq + sent, 20_000);
  await waitUntil(() => seen.filter(e => numberOf(e) !== undefined).length >= sent, 30_000);
  const last = await storedLastSeq();
  await waitUntil(() => client!.lastSeq('slowpoke')! >= last, 10_000);
  expect(reasons).toEqual(['io server disconnect']);
  expect(acks.slice(1).reduce((n, a) => n + a.replayed, 0)).toBeGreaterThan(0);
  const seqs = seen.map(e => e.seq);
  expect(seqs).toEqual(seqs.map((_, i) => first.lastSeq + 1 + i));
  expect(seqs.at(-1)).toBeGreaterThanOrEqual(last);
  expect(seen.flatMap(e => numberOf(e) ?? [])).toEqual(Array.from({ length: sent }, (_, i) => i));
}, 120_000);
