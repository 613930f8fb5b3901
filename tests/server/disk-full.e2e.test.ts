import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { storedMessageIds } from '../helpers/stored-messages.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const PHONE = '5571990000001';
const CONTACT = '5571990000010';
const disk = mountTmpfs(24);
let sim: WhatsAppSimulator | undefined;
let hub: Spawned | undefined;

// Never silently: a run that cannot mount says so, and why.
if ('skipped' in disk) console.warn(`disk-full test skipped: ${disk.skipped}`);
const maybe = 'skipped' in disk ? test.skip : test;

afterAll(async () => {
  await hub?.stop('SIGKILL');
  await sim?.stop();
  if (!('skipped' in disk)) {
    disk.free();
    disk.unmount();
  }
});

maybe('disk full: the instance closes with 507 and an error log, /ready fails, nothing is receipted unstored; space freed, every message arrives', async () => {
  if ('skipped' in disk) return;
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Lia' }], history: { chats: [] } });
  hub = await spawnHub(disk.path, sim, ADMIN_KEY, { STORE_CHECK_INTERVAL_MS: '300', RATE_LIMIT_PER_SECOND: '0' });
  const api = hubClient(hub.vars.WAHUB_URL!);
  const { token, client } = await pairInstance(api, sim, 'sales', PHONE);
  const sent: string[] = [];
  const first = await sim.sendText(PHONE, CONTACT, 'before the disk fills');
  sent.push(first.messageId);
  await client.waitFor('new.message', e => e.data.header.messageId === first.messageId);
  expect((await fetch(`${api.url}/ready`)).status).toBe(200);

  expect(disk.fill()).toBeGreaterThan(0);
  const state = async () => (await api.request('GET', '/instance/connectionState/sales', undefined, token)).json;
  // Messages keep coming until the store refuses one; the hub must close rather than receipt it.
  const deadline = Date.now() + 30_000;
  let closed: Record<string, unknown> | undefined;
  for (let i = 0; !closed && Date.now() < deadline; i++) {
    sent.push((await sim.sendText(PHONE, CONTACT, `while full ${i}`)).messageId);
    const now = await state();
    if (now.state === 'close') closed = now;
  }
  expect(closed).toMatchObject({ state: 'close', statusReason: 507, reason: 'the disk is full' });
  const ready = await fetch(`${api.url}/ready`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ status: 503, checks: { store: 'the disk is full' } });
  const errors = hub.logs().filter(l => l.level === 50 && typeof l.code === 'string' && l.code.startsWith('SQLITE_FULL'));
  expect(errors.length).toBeGreaterThan(0);
  // While closed, more arrive at WhatsApp and wait there.
  for (let i = 0; i < 3; i++) sent.push((await sim.sendText(PHONE, CONTACT, `while closed ${i}`)).messageId);
  const receiptedWhileFull = new Set(sim.clientReceipts(PHONE).flatMap(r => r.ids));

  disk.free();
  await waitUntil(() => {
    const { messages } = storedMessageIds(disk.path);
    return sent.every(id => messages.has(id));
  }, 30_000).catch(() => undefined);
  const { messages, events } = storedMessageIds(disk.path);
  expect(sent.filter(id => receiptedWhileFull.has(id) && !messages.has(id))).toEqual([]);
  expect(sent.filter(id => !messages.has(id))).toEqual([]);
  expect(sent.filter(id => !events.has(id))).toEqual([]);
  expect(await state()).toMatchObject({ state: 'open' });
  expect((await fetch(`${api.url}/ready`)).status).toBe(200);
  client.close();
}, 120_000);
