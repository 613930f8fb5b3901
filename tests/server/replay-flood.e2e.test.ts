import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, hubClient, type EventClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { TappedSocketIo, TappedWs } from '../helpers/paused-clients.js';
import { logLines, rssOf, spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

const PHONE = '5521940000001';
const CONTACT = '5521940000010';
const BOUND = 1024 * 1024;
const STORED = 1200;
const TOO_SLOW = { status: 503, error: 'Service Unavailable', message: 'client too slow; resubscribe with after=<last seq>' };
/** Without backpressure each subscribe queues the whole log again: 50 a second of ~1.5 MB each is 75 MB a second. */
const MARGIN = 96 * 1024 * 1024;

let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned;
let token: string;
let healthy: EventClient;
const closers: { close(): void }[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Rui' }] });
  dir = tempDir('wahub-flood-');
  hub = await spawnHub(dir.path, sim, ADMIN_KEY, { CLIENT_MAX_BUFFER_BYTES: String(BOUND) });
  ({ token, client: healthy } = await pairInstance(hubClient(hub.vars.WAHUB_URL!), sim, 'flood', PHONE));
  closers.push(healthy);
  while ((healthy.events.at(-1)?.seq ?? 0) < STORED) {
    await Promise.all(Array.from({ length: 20 }, (_, i) => sim.sendText(PHONE, CONTACT, `${i} `.padEnd(1024, 'y'))));
    const last = healthy.events.at(-1)!.seq;
    await waitUntil(() => healthy.events.at(-1)!.seq > last, 10_000);
  }
}, 60_000);
afterAll(async () => {
  closers.forEach(c => c.close());
  await hub?.stop();
  await sim.stop();
  dir.cleanup();
});

const dropped = (transport: string) => logLines(hub).some(l => l.msg === 'client too slow; closed' && l.transport === transport);

/** Floods the hub with `flood` every 20 ms until it drops the client; answers the hub's RSS growth meanwhile. */
async function underFlood(flood: () => void, transport: string): Promise<number> {
  const pid = hub.child.pid!;
  const baseline = rssOf(pid);
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
    flood();
  }, 20);
  try {
    await waitUntil(() => dropped(transport) || hub.child.exitCode !== null, 30_000);
    // Keep at it a little longer: a dropped client's frames must not restart anything.
    const end = Date.now() + 1000;
    await waitUntil(() => Date.now() > end, 2000);
  } finally {
    clearInterval(timer);
  }
  expect(hub.child.exitCode).toBeNull();
  expect(await fetch(`${hub.vars.WAHUB_URL}/health`).then(r => r.status)).toBe(200);
  return peak - baseline;
}

test('/ws: a client that stops reading and asks for the whole log every 20 ms is dropped; the hub stays up and within the bound', async () => {
  const client = new TappedWs(hub.vars.WAHUB_URL!, token);
  closers.push({ close: () => client.ws.terminate() });
  await client.open();
  client.agent.pause();
  const growth = await underFlood(() => client.ws.readyState === client.ws.OPEN && client.send('subscribe', { instance: 'flood', after: 0 }), 'websocket');
  expect(growth).toBeLessThan(BOUND + MARGIN);

  client.agent.resume();
  const { code, reason } = await client.closed;
  expect(code).toBe(1013);
  expect(JSON.parse(reason)).toEqual(TOO_SLOW);
  // While one replay ran, asking again was refused rather than started.
  expect(client.replies).toContainEqual(expect.objectContaining({ ok: false, error: expect.objectContaining({ status: 429 }) }));
});

test('Socket.IO: the same flood is dropped the same way', async () => {
  const client = new TappedSocketIo(hub.vars.WAHUB_URL!, token);
  closers.push({ close: () => client.socket.close() });
  await client.connected();
  client.agent.pause();
  const acks: unknown[] = [];
  const growth = await underFlood(() => client.socket.connected && client.socket.emit('subscribe', { instance: 'flood', after: 0 }, (a: unknown) => acks.push(a)), 'socket.io');
  expect(growth).toBeLessThan(BOUND + MARGIN);

  client.agent.resume();
  expect(await client.disconnected).toBe('io server disconnect');
  expect(client.errors).toEqual([TOO_SLOW]);
  expect(acks).toContainEqual(expect.objectContaining({ ok: false, error: expect.objectContaining({ status: 429 }) }));
});
