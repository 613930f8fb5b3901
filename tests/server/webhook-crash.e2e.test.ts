import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';
import { seqRange, WebhookReceiver } from '../helpers/webhook-receiver.js';

const PHONE = '5561900000003';
const CONTACT = '5561900000030';
const MESSAGES = 40;
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;
let receiver: WebhookReceiver;
const clients: EventClient[] = [];

const startHubProcess = () => spawnHub(dir.path, sim, ADMIN_KEY, { RATE_LIMIT_PER_SECOND: '0', WEBHOOK_BACKOFF_BASE_MS: '50', WEBHOOK_BACKOFF_MAX_MS: '500' });

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Davi' }], history: { chats: [] } });
  dir = tempDir('wahub-webhook-crash-');
  receiver = await new WebhookReceiver().start();
});
afterAll(async () => {
  clients.forEach(c => c.close());
  await hub?.stop('SIGKILL');
  await receiver?.stop();
  await sim.stop();
  dir.cleanup();
});

test('the hub is killed with SIGKILL during a stream of inbound messages and started again: the webhook gets every seq, in order, none lost', async () => {
  hub = await startHubProcess();
  const api = hubClient(hub.vars.WAHUB_URL!);
  const { client } = await pairInstance(api, sim, 'crash', PHONE);
  clients.push(client);
  const instanceId = (await api.request('GET', '/instance/connectionState/crash')).json.id as string;
  // A receiver a little slower than the stream, so a backlog waits in the log when the hub dies.
  receiver.answer = () => ({ status: 200, delayMs: 50 });
  const set = await api.request('POST', '/webhook/set/crash', { url: receiver.url });
  expect(set.status).toBe(201);
  receiver.secret = set.json.secret;
  const start = (await api.request('GET', '/webhook/find/crash')).json[0].lastDeliveredSeq as number;

  const ids: string[] = [];
  // The second half of the stream waits for the kill, so messages arrive while no hub runs whatever the machine's speed.
  let killed!: () => void;
  const afterKill = new Promise<void>(resolve => (killed = resolve));
  const stream = (async () => {
    for (let i = 0; i < MESSAGES; i++) {
      if (i === MESSAGES / 2) await afterKill;
      const { messageId } = await sim.sendText(PHONE, CONTACT, `stream ${i}`);
      ids.push(messageId);
      await new Promise(r => setTimeout(r, 40));
    }
  })();
  await waitUntil(() => receiver.acknowledged().length >= 10, 20_000);
  await hub.stop('SIGKILL');
  const ackedAtKill = receiver.acknowledgedSeqs().length;
  killed();

  hub = await startHubProcess();
  await stream;
  const delivered = () => new Set(receiver.acknowledged().flatMap(p => (p.envelope.event === 'new.message' ? [p.envelope.data.header.messageId] : [])));
  await waitUntil(() => ids.every(id => delivered().has(id)), 40_000);

  expect(receiver.problems).toEqual([]);
  const seqs = receiver.acknowledgedSeqs();
  // The kill came with most of the events still to be delivered.
  expect(ackedAtKill).toBeLessThan(seqs.length / 2);
  expect(seqs).toEqual(seqRange(start + 1, Math.max(...seqs)));
  // At least once: a repeat is only the event that was in flight at the kill, with its same delivery ID, so the order never goes back.
  const posted = receiver.received.map(p => p.envelope.seq);
  expect(posted).toEqual([...posted].sort((a, b) => a - b));
  for (const p of receiver.received) expect(p.delivery).toBe(`${instanceId}:${p.envelope.seq}`);
}, 90_000);
