import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

const PHONE = '5581900000001';
const CONTACT = '5581900000010';
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;
const clients: EventClient[] = [];

const startHubProcess = () => spawnHub(dir.path, sim, ADMIN_KEY);

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Duda' }] });
  dir = tempDir('wahub-restart-');
});
afterAll(async () => {
  clients.forEach(c => c.close());
  await hub?.stop();
  await sim.stop();
  dir.cleanup();
});

test('a restarted hub process comes back open without a QR, still receives, and seq continues', async () => {
  hub = await startHubProcess();
  const api = hubClient(hub.vars.WAHUB_URL!);
  const { token, client } = await pairInstance(api, sim, 'sales', PHONE);
  clients.push(client);
  const { messageId: first } = await sim.sendText(PHONE, CONTACT, 'before the restart');
  const before = await client.waitFor('new.message', e => e.data.header.messageId === first);
  const deviceId = sim.account(PHONE).companion!.deviceId;

  await hub.stop('SIGTERM');
  hub = await startHubProcess();
  const again = hubClient(hub.vars.WAHUB_URL!);
  let state = '';
  for (let i = 0; i < 100 && state !== 'open'; i++) {
    state = (await again.request('GET', '/instance/connectionState/sales', undefined, token)).json.state;
    if (state !== 'open') await new Promise(r => setTimeout(r, 100));
  }
  expect(state).toBe('open');
  expect(sim.account(PHONE).companion!.deviceId).toBe(deviceId); // the same linked device, no new pairing

  const socket = new EventClient(again.url, token);
  clients.push(socket);
  await socket.connected();
  expect(await socket.emit('subscribe', { instance: 'sales' })).toMatchObject({ ok: true });
  const { messageId: second } = await sim.sendText(PHONE, CONTACT, 'after the restart');
  const after = await socket.waitFor('new.message', e => e.data.header.messageId === second);
  expect(after.seq).toBeGreaterThan(before.seq);

  const db = new Database(join(dir.path, 'wahub.sqlite'), { readonly: true });
  try {
    const qrAfter = db.prepare("SELECT COUNT(*) FROM event_log WHERE event = 'qrcode.updated' AND seq > ?").pluck().get(before.seq);
    expect(qrAfter).toBe(0);
  } finally {
    db.close();
  }
});
