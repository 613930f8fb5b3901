import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

const PHONE = '5541980000001';
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;
const clients: EventClient[] = [];

const startHubProcess = () => spawnHub(dir.path, sim, ADMIN_KEY, { RATE_LIMIT_PER_SECOND: '0' });

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, history: { chats: [] } });
  dir = tempDir('wahub-crash-');
});
afterAll(async () => {
  clients.forEach(c => c.close());
  await hub?.stop('SIGKILL');
  await sim.stop();
  dir.cleanup();
});

test('the hub is killed with SIGKILL mid-queue and started again: the queue finishes, one message ID per recipient, each surfaced once', async () => {
  hub = await startHubProcess();
  const api = hubClient(hub.vars.WAHUB_URL!);
  const { token, client } = await pairInstance(api, sim, 'crash', PHONE);
  clients.push(client);
  // Each batch of ten new contacts costs the simulator seconds of key generation: twenty keep the test well inside its time.
  const numbers = Array.from({ length: 20 }, (_, i) => String(5541980000100 + i));
  const created = await api.request('POST', '/message/sendBulk/crash', { numbers, message: { text: 'survive' }, options: { minDelayMs: 20, maxDelayMs: 60 } }, token);
  const { queueId } = created.json;
  await client.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId && e.data.queue.progress >= 25, 60_000);
  const lastSeq = client.events.at(-1)!.seq;
  await hub.stop('SIGKILL');
  const sentBeforeKill = sim.outbox(PHONE).filter(o => o.text === 'survive').length;
  expect(sentBeforeKill).toBeGreaterThan(0);
  expect(sentBeforeKill).toBeLessThan(20);

  hub = await startHubProcess();
  const again = new EventClient(hub.vars.WAHUB_URL!, token);
  clients.push(again);
  await again.connected();
  expect(await again.emit('subscribe', { instance: 'crash', after: lastSeq })).toMatchObject({ ok: true });
  await again.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 60_000);

  const out = sim.outbox(PHONE).filter(o => o.text === 'survive');
  const byRecipient = new Map<string, typeof out>();
  for (const o of out) byRecipient.set(o.to, [...(byRecipient.get(o.to) ?? []), o]);
  expect([...byRecipient.keys()].sort()).toEqual(numbers.map(n => `${n}@s.whatsapp.net`).sort());
  for (const [to, entries] of byRecipient) {
    expect({ to, ids: new Set(entries.map(e => e.id)).size }).toEqual({ to, ids: 1 }); // a resend reuses the ID
    expect({ to, surfaced: entries.filter(e => !e.repeat).length }).toEqual({ to, surfaced: 1 });
  }
  const info = await hubClient(hub.vars.WAHUB_URL!).request('GET', `/queue/get/crash?queueId=${queueId}`, undefined, token);
  expect(info.json).toMatchObject({ state: 'completed', counts: { sent: 20, pending: 0, sending: 0 } });
}, 120_000);
