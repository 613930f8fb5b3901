import { chmodSync, copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS } from '../helpers/any-transport.js';
import { ADMIN_KEY, EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { logLines, spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

const PHONE = '5581900000701';
const CONTACT = '5581900000710';
let sim: WhatsAppSimulator;
let root: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;
const closers: { close(): void }[] = [];

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT }] });
  root = tempDir('wahub-data-');
});
afterAll(async () => {
  closers.forEach(c => c.close());
  await hub?.stop();
  await sim.stop();
  root.cleanup();
});

/** Polls instance.state until it is `state`, within the deadline. */
async function stateBecomes(api: ReturnType<typeof hubClient>, name: string, token: string, state: string): Promise<string> {
  let now = '';
  const end = Date.now() + 15_000;
  while (now !== state && Date.now() < end) {
    now = (await api.request('GET', `/instance/connectionState/${name}`, undefined, token)).json.state;
    if (now !== state) await new Promise(r => setTimeout(r, 100));
  }
  return now;
}

test('a backup taken while the hub runs, restored into a fresh DATA_DIR, opens the same instance without a QR; every file is private', async () => {
  // A DATA_DIR that does not exist yet, so the hub creates it.
  const dataDir = join(root.path, 'first', 'data');
  hub = await spawnHub(dataDir, sim, ADMIN_KEY);
  const api = hubClient(hub.vars.WAHUB_URL!);
  expect(modeOf(dataDir)).toBe('700');
  for (const name of ['wahub.sqlite', 'wahub.sqlite-wal', 'wahub.sqlite-shm']) expect([name, modeOf(join(dataDir, name))]).toEqual([name, '600']);
  expect(logLines(hub).filter(l => l.msg === 'data file readable by others than its owner; expected 0700 for folders and 0600 for files')).toEqual([]);

  const { token, client } = await pairInstance(api, sim, 'kept', PHONE);
  closers.push(client);
  const { messageId } = await sim.sendText(PHONE, CONTACT, 'in the backup');
  const stored = await client.waitFor('new.message', e => e.data.header.messageId === messageId);
  const deviceId = sim.account(PHONE).companion!.deviceId;

  // Admin only, on every transport; an instance token is a known caller (403).
  const admin = await AnyTransport.open(api.url, ADMIN_KEY);
  const own = await AnyTransport.open(api.url, token);
  closers.push(admin, own);
  const backups: { path: string; bytes: number }[] = [];
  for (const transport of TRANSPORTS) {
    const refused = await own.call(transport, 'admin.backup', {});
    expect([transport, refused.ok, refused.error?.status]).toEqual([transport, false, 403]);
    const reply = await admin.call(transport, 'admin.backup', {});
    expect([transport, reply.ok]).toEqual([transport, true]);
    backups.push(reply.data!);
  }
  expect(new Set(backups.map(b => b.path)).size).toBe(3);
  for (const b of backups) {
    expect(dirname(b.path)).toBe(join(dataDir, 'backups'));
    expect(statSync(b.path).size).toBe(b.bytes);
    expect(modeOf(b.path)).toBe('600');
  }
  expect(modeOf(join(dataDir, 'backups'))).toBe('700');

  // The same account must not be linked from two hubs at once: the first one stops before the copy starts.
  await hub.stop('SIGTERM');
  hub = undefined;
  const restored = join(root.path, 'restored');
  mkdirSync(restored, { mode: 0o700 });
  copyFileSync(backups[2]!.path, join(restored, 'wahub.sqlite'));
  expect(existsSync(join(restored, 'wahub.sqlite-wal'))).toBe(false);

  hub = await spawnHub(restored, sim, ADMIN_KEY);
  const again = hubClient(hub.vars.WAHUB_URL!);
  expect(await stateBecomes(again, 'kept', token, 'open')).toBe('open');
  expect(sim.account(PHONE).companion!.deviceId).toBe(deviceId);
  const found = await again.request('POST', '/chat/findMessages/kept', { chat: CONTACT }, token);
  expect(found.status).toBe(200);
  expect(JSON.stringify(found.json)).toContain(messageId);
  await hub.stop('SIGTERM');
  hub = undefined;

  const db = new Database(join(restored, 'wahub.sqlite'), { readonly: true });
  try {
    expect(db.prepare("SELECT COUNT(*) FROM event_log WHERE event = 'qrcode.updated' AND seq > ?").pluck().get(stored.seq)).toBe(0);
  } finally {
    db.close();
  }
});

test('a start warns about a data folder and database files that others may read', async () => {
  const dataDir = join(root.path, 'restored');
  chmodSync(dataDir, 0o755);
  chmodSync(join(dataDir, 'wahub.sqlite'), 0o644);
  hub = await spawnHub(dataDir, sim, ADMIN_KEY);
  const warned = logLines(hub)
    .filter(l => l.msg === 'data file readable by others than its owner; expected 0700 for folders and 0600 for files')
    .map(l => [l.path, l.mode]);
  expect(warned).toEqual(expect.arrayContaining([[dataDir, '755'], [join(dataDir, 'wahub.sqlite'), '644']]));
  // Reported, not changed.
  expect(modeOf(dataDir)).toBe('755');
});
