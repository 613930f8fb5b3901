import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { storedMessageIds } from '../helpers/stored-messages.js';
import { tempDir } from '../helpers/temp-dir.js';

const PHONE = '5561990000001';
const CONTACTS = ['5561990000010', '5561990000011', '5561990000012'];
const TRIALS = 4;
/** Messages a contact may have sent beyond those receipted: a steady backlog, not an ever-growing one. */
const WINDOW = 25;
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;

const startHubProcess = () => spawnHub(dir.path, sim, ADMIN_KEY, { RATE_LIMIT_PER_SECOND: '0' });

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: CONTACTS.map(phone => ({ phone })), history: { chats: [] } });
  dir = tempDir('wahub-receipts-');
});
afterAll(async () => {
  await hub?.stop('SIGKILL');
  await sim.stop();
  dir.cleanup();
});

test(`SIGKILL right after a delivery receipt leaves the hub, ${TRIALS} times: every receipted message is stored, and the rest arrive again`, async () => {
  hub = await startHubProcess();
  const { client } = await pairInstance(hubClient(hub.vars.WAHUB_URL!), sim, 'sales', PHONE);
  client.close();
  const sent: string[] = [];

  for (let trial = 0; trial < TRIALS; trial++) {
    if (!hub) hub = await startHubProcess();
    await waitUntil(() => !!sim.account(PHONE).link, 20_000);
    const victim = hub;
    // Killed at a different point each time, right after the simulator sees the k-th receipt of
    // this run: by then the hub is busy with a backlog, as under real load.
    const killAfter = 20 + trial * 9;
    let receipts = 0;
    let killed = false;
    const stop = sim.onClientReceipt(PHONE, () => {
      if (!killed && ++receipts >= killAfter) {
        killed = true;
        victim.child.kill('SIGKILL');
      }
    });
    try {
      // Streams from several contacts at once, as fast as the simulator encrypts, until the kill;
      // yielding to I/O between messages, or the simulator would never read the receipts coming back.
      await Promise.all(
        CONTACTS.map(async contact => {
          let mine = 0;
          for (let i = 0; !killed && i < 2000; i++) {
            sent.push((await sim.sendText(PHONE, contact, `t${trial} m${i}`)).messageId);
            mine++;
            await new Promise(resolve => setImmediate(resolve));
            while (!killed && mine - receipts / CONTACTS.length > WINDOW) await new Promise(resolve => setTimeout(resolve, 2));
          }
        })
      );
      expect(killed).toBe(true);
      await victim.stop();
    } finally {
      stop();
    }
    hub = undefined;
  }

  hub = await startHubProcess();
  const receipted = new Set(sim.clientReceipts(PHONE).flatMap(r => r.ids));
  const sentAndReceipted = sent.filter(id => receipted.has(id));
  expect(sentAndReceipted.length).toBeGreaterThanOrEqual(TRIALS * 20);
  // Messages killed before their receipt are delivered again at this login; wait for all of them.
  await waitUntil(() => {
    const { messages } = storedMessageIds(dir.path);
    return sent.every(id => messages.has(id));
  }, 30_000).catch(() => undefined);

  const { messages, events, announced } = storedMessageIds(dir.path);
  expect(sentAndReceipted.filter(id => !messages.has(id))).toEqual([]); // receipted yet not stored: lost for good
  expect(sentAndReceipted.filter(id => !events.has(id))).toEqual([]);
  expect(sent.filter(id => !messages.has(id))).toEqual([]); // the unreceipted ones came back
  // Stored but killed before its receipt, a message comes back too: it is announced once all the same.
  expect([...announced].filter(([, n]) => n > 1)).toEqual([]);
}, 150_000);
