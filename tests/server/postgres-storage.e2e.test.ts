import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PostgresDatabase } from '../../storage/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startSimulator } from '../helpers/simulator.js';

const PHONE = '5581900000031';
const CONTACT = '5581900000032';
let pg: TestPostgres;
let sim: WhatsAppSimulator;
const hubs: TestHub[] = [];
const clients: EventClient[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Lia' }] });
}, 60_000);
afterAll(async () => {
  clients.forEach(c => c.close());
  for (const hub of hubs) await hub.close().catch(() => undefined);
  await sim.stop();
  await pg.stop();
});

test('a hub on DATABASE_URL pairs, receives, restarts on another data folder and replays by seq from PostgreSQL', async () => {
  const url = await pg.createDatabase();
  const first = await startHub(sim, { env: { DATABASE_URL: url } });
  hubs.push(first);
  const { token, client } = await pairInstance(first, sim, 'sales', PHONE);
  clients.push(client);
  const { messageId } = await sim.sendText(PHONE, CONTACT, 'kept in postgres');
  const received = await client.waitFor('new.message', e => e.data.header.messageId === messageId);
  const deviceId = sim.account(PHONE).companion!.deviceId;
  // Nothing of the state went to a SQLite file.
  expect(readdirSync(first.dataDir).filter(f => f.includes('sqlite'))).toEqual([]);
  client.close();
  await first.close();

  // A new data folder: whatever the second hub knows, it read from PostgreSQL.
  const second = await startHub(sim, { env: { DATABASE_URL: url } });
  hubs.push(second);
  expect(second.dataDir).not.toBe(first.dataDir);
  expect(existsSync(join(second.dataDir, 'wahub.sqlite'))).toBe(false);
  const again = new EventClient(second.url, token);
  clients.push(again);
  await again.connected();
  const ack = await again.emit('subscribe', { instance: 'sales', after: received.seq - 1 });
  expect(ack).toMatchObject({ ok: true });
  const replayed = await again.waitFor('new.message', e => e.data.header.messageId === messageId);
  expect(replayed.seq).toBe(received.seq);
  expect(replayed.data.body.message).toBe('kept in postgres');

  // The account resumes without a new pairing, and the seq goes on from where PostgreSQL left it.
  await again.waitFor('connection.update', e => e.data.state === 'open');
  expect(sim.account(PHONE).companion!.deviceId).toBe(deviceId);
  const { messageId: next } = await sim.sendText(PHONE, CONTACT, 'after the restart');
  const live = await again.waitFor('new.message', e => e.data.header.messageId === next);
  expect(live.seq).toBeGreaterThan(received.seq);

  const db = new PostgresDatabase(url);
  try {
    const seqs = db.prepare<[], number>("SELECT seq FROM event_log WHERE event = 'new.message' ORDER BY seq").pluck().all();
    expect(seqs).toEqual([received.seq, live.seq]);
  } finally {
    db.close();
  }
}, 120_000);
