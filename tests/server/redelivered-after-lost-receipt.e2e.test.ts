import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, type EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator } from '../helpers/simulator.js';
import { storedMessageIds } from '../helpers/stored-messages.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const PHONE = '5561991000001';
const CONTACT = '5561991000002';
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned;
let client: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Lia' }], history: { chats: [] } });
  dir = tempDir('wahub-lost-receipts-');
  hub = await spawnHub(dir.path, sim, ADMIN_KEY, { RATE_LIMIT_PER_SECOND: '0' });
  ({ client } = await pairInstance(hubClient(hub.vars.WAHUB_URL!), sim, 'desk', PHONE));
});
afterAll(async () => {
  client?.close();
  await hub?.stop('SIGKILL');
  await sim?.stop();
  dir?.cleanup();
});

const idOf = (e: { data: unknown }) => (e.data as { header: { messageId: string } }).header.messageId;

test('messages stored whose receipts never reached WhatsApp come again after a reconnect: receipted now, announced once', async () => {
  // The link breaks right after the hub stored and receipted them: WhatsApp never saw the receipts.
  sim.loseReceipts(PHONE, true);
  const lost: string[] = [];
  for (let i = 0; i < 3; i++) lost.push((await sim.sendText(PHONE, CONTACT, `lost receipt ${i}`)).messageId);
  await until('the messages at the subscriber', () => lost.every(id => client.of('new.message').some(e => idOf(e) === id)));
  const opens = client.of('connection.update').filter(e => e.data.state === 'open').length;
  sim.kick(PHONE, 'drop');
  sim.loseReceipts(PHONE, false);
  await until('the instance open again', () => client.of('connection.update').filter(e => e.data.state === 'open').length > opens, 30_000);

  // WhatsApp delivers them again at the new login; the hub receipts them this time.
  await until('receipts for the messages delivered again', () => lost.every(id => sim.clientReceipts(PHONE).some(r => r.ids.includes(id))), 30_000);
  const after = (await sim.sendText(PHONE, CONTACT, 'after the reconnect')).messageId;
  await until('the next message', () => client.of('new.message').some(e => idOf(e) === after));

  const announced = client.of('new.message').map(idOf);
  expect([...lost, after].map(id => announced.filter(a => a === id).length)).toEqual([1, 1, 1, 1]);
  const stored = storedMessageIds(dir.path);
  expect([...lost, after].map(id => [stored.messages.has(id), stored.announced.get(id)])).toEqual([...lost, after].map(() => [true, 1]));
  const seqs = client.events.map(e => e.seq);
  expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
});
