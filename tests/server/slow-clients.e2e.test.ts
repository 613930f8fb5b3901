import type { EventEnvelope } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { scrape, value } from '../helpers/metrics.js';
import { messageIdsOf, TappedSocketIo, TappedWs } from '../helpers/paused-clients.js';
import { logLines, rssOf, spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WsClient } from '../helpers/ws-client.js';

const PHONE = '5521930000001';
const CONTACT = '5521930000010';
const BOUND = 512 * 1024;
const TOO_SLOW = { status: 503, error: 'Service Unavailable', message: 'client too slow; resubscribe with after=<last seq>' };
/** Each inbound text; big enough that the kernel's buffers of a paused socket (about 4 MB on loopback) fill after a few hundred. */
const TEXT_BYTES = 16 * 1024;
const MESSAGES = 700;
const SLOW_WS = 6;
const SLOW_IO = 3;
/** Traffic before the baseline is taken, so that V8's heap sizing and SQLite's cache are not counted as growth. */
const WARM_UP = 200;
/**
 * What the hub's RSS may still grow by besides the slow clients' buffers: garbage
 * not yet collected from 11 MB of traffic written to every client.
 */
const MARGIN = 96 * 1024 * 1024;

let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned;
let token: string;
let healthy: EventClient;
const closers: { close(): void }[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Lia' }] });
  dir = tempDir('wahub-slow-');
  hub = await spawnHub(dir.path, sim, ADMIN_KEY, { CLIENT_MAX_BUFFER_BYTES: String(BOUND) });
  ({ token, client: healthy } = await pairInstance(hubClient(hub.vars.WAHUB_URL!), sim, 'slow', PHONE));
  closers.push(healthy);
}, 60_000);
afterAll(async () => {
  closers.forEach(c => c.close());
  await hub?.stop();
  await sim.stop();
  dir.cleanup();
});

const droppedTooSlow = () => Math.max(0, ...logLines(hub).filter(l => l.msg === 'client too slow; closed').map(l => Number(l.droppedTooSlow)));
const lastSeqOf = (events: EventEnvelope[], from: number) => Math.max(from, ...events.map(e => e.seq));

/** Contacts send `count` texts, 20 at a time; after each 20 the producer waits until the healthy clients have them. */
async function inbound(count: number, healthyClients: { ws: WsClient; io: EventClient }): Promise<string[]> {
  const sent: string[] = [];
  for (let i = 0; i < count; i += 20) {
    const batch = await Promise.all(Array.from({ length: 20 }, (_, j) => sim.sendText(PHONE, CONTACT, `${i + j} `.padEnd(TEXT_BYTES, 'x'))));
    sent.push(...batch.map(b => b.messageId));
    // Healthy clients read at their own pace; the producer waits for them, never for the paused ones.
    const last = sent.at(-1);
    await healthyClients.ws.waitForEvent(e => messageIdsOf([e])[0] === last);
    await healthyClients.io.waitFor('new.message', e => e.data.header.messageId === last);
  }
  return sent;
}

test('clients that stop reading are closed with the reason, the hub stays within the bound, and nobody loses an event', async () => {
  const url = hub.vars.WAHUB_URL!;
  const healthyWs = new WsClient(url, { token });
  closers.push(healthyWs);
  await healthyWs.open();
  expect(await healthyWs.call('subscribe', { instance: 'slow' })).toMatchObject({ ok: true });
  await inbound(WARM_UP, { ws: healthyWs, io: healthy });
  healthyWs.events.length = 0;
  const from = healthy.events.at(-1)!.seq;

  const slowWs = Array.from({ length: SLOW_WS }, () => new TappedWs(url, token));
  const slowIo = Array.from({ length: SLOW_IO }, () => new TappedSocketIo(url, token));
  closers.push(...slowWs.map(s => ({ close: () => s.ws.terminate() })), ...slowIo.map(s => ({ close: () => s.socket.close() })));
  for (const s of slowWs) {
    await s.open();
    expect(await s.reply(s.send('subscribe', { instance: 'slow' }))).toMatchObject({ ok: true });
  }
  for (const s of slowIo) {
    await s.connected();
    expect(await s.socket.emitWithAck('subscribe', { instance: 'slow' })).toMatchObject({ ok: true });
  }
  for (const s of [...slowWs, ...slowIo]) s.agent.pause();

  const pid = hub.child.pid!;
  const baseline = rssOf(pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
  let sent: string[];
  try {
    sent = await inbound(MESSAGES, { ws: healthyWs, io: healthy });
    peak = Math.max(peak, rssOf(pid));
  } finally {
    clearInterval(sampler);
  }

  await waitUntil(() => droppedTooSlow() >= SLOW_WS + SLOW_IO, 10_000);
  expect(droppedTooSlow()).toBe(SLOW_WS + SLOW_IO); // only the paused ones
  const metrics = (await scrape(url, { apikey: ADMIN_KEY })).families;
  expect(value(metrics, 'wahub_clients_dropped_too_slow_total', { transport: 'websocket' })).toBe(SLOW_WS);
  expect(value(metrics, 'wahub_clients_dropped_too_slow_total', { transport: 'socket.io' })).toBe(SLOW_IO);
  expect(peak - baseline).toBeLessThan((SLOW_WS + SLOW_IO) * BOUND + MARGIN);
  expect(messageIdsOf(healthyWs.events)).toEqual(sent);
  expect(messageIdsOf(healthy.events).slice(-sent.length)).toEqual(sent);

  // Reading again, each slow client finds what fitted in its buffers, then the reason.
  for (const s of [...slowWs, ...slowIo]) s.agent.resume();
  for (const s of slowWs) {
    const { code, reason } = await s.closed;
    expect(code).toBe(1013);
    expect(JSON.parse(reason)).toEqual(TOO_SLOW);
  }
  for (const s of slowIo) {
    expect(await s.disconnected).toBe('io server disconnect');
    expect(s.errors).toEqual([TOO_SLOW]);
  }

  // Resubscribing from the last seq it saw, a dropped client ends with every message once, in order.
  const again = new WsClient(url, { token });
  closers.push(again);
  await again.open();
  const ack = await again.call('subscribe', { instance: 'slow', after: lastSeqOf(slowWs[0]!.events, from) });
  expect(ack).toMatchObject({ ok: true, data: { more: false, gap: false } });
  expect([...messageIdsOf(slowWs[0]!.events), ...messageIdsOf(again.events)]).toEqual(sent);

  const againIo = new EventClient(url, token);
  closers.push(againIo);
  await againIo.connected();
  expect(await againIo.emit('subscribe', { instance: 'slow', after: lastSeqOf(slowIo[0]!.events, from) })).toMatchObject({ ok: true });
  expect([...messageIdsOf(slowIo[0]!.events), ...messageIdsOf(againIo.events)]).toEqual(sent);
});
