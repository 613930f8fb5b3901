import { PostgresDatabase } from '../../storage/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5571990000041';
const CONTACT = '5571990000042';
let pg: TestPostgres;
let sim: WhatsAppSimulator;
let hub: TestHub | undefined;

beforeAll(async () => {
  pg = await startPostgres();
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Lia' }], history: { chats: [] } });
}, 60_000);
afterAll(async () => {
  await hub?.close().catch(() => undefined);
  await sim.stop();
  await pg.stop();
});

/** Message IDs in PostgreSQL's messages table and event log, read on a connection of their own. */
function storedIds(url: string): { messages: Set<string>; events: Set<string> } {
  const db = new PostgresDatabase(url);
  try {
    const messages = new Set(db.prepare<[], string>('SELECT id FROM messages').pluck().all());
    const events = new Set<string>();
    for (const payload of db.prepare<[], string>("SELECT payload FROM event_log WHERE event IN ('new.message', 'messages.set')").pluck().all()) {
      const data = (JSON.parse(payload) as { data: unknown }).data;
      for (const item of (Array.isArray(data) ? data : [data]) as { header: { messageId: string } }[]) events.add(item.header.messageId);
    }
    return { messages, events };
  } finally {
    db.close();
  }
}

test('PostgreSQL killed: the instance closes, /ready fails, nothing is receipted unstored; PostgreSQL back: every message arrives', async () => {
  const url = await pg.createDatabase();
  hub = await startHub(sim, { env: { DATABASE_URL: url, STORE_CHECK_INTERVAL_MS: '300', RATE_LIMIT_PER_SECOND: '0' } });
  const { token, client } = await pairInstance(hub, sim, 'sales', PHONE);
  const sent: string[] = [];
  const first = await sim.sendText(PHONE, CONTACT, 'before the outage');
  sent.push(first.messageId);
  await client.waitFor('new.message', e => e.data.header.messageId === first.messageId);
  expect((await fetch(`${hub.url}/ready`)).status).toBe(200);

  await pg.kill();
  const state = async () => (await hub!.request('GET', '/instance/connectionState/sales', undefined, token)).json;
  const deadline = Date.now() + 30_000;
  let closed: Record<string, unknown> | undefined;
  for (let i = 0; !closed && Date.now() < deadline; i++) {
    sent.push((await sim.sendText(PHONE, CONTACT, `while down ${i}`)).messageId);
    const now = await state();
    if (now.state === 'close') closed = now;
  }
  expect(closed).toMatchObject({ state: 'close', reason: 'the database cannot be reached' });
  const ready = await fetch(`${hub.url}/ready`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ status: 503, checks: { store: 'the database cannot be reached' } });
  for (let i = 0; i < 3; i++) sent.push((await sim.sendText(PHONE, CONTACT, `while closed ${i}`)).messageId);
  const receiptedWhileDown = new Set(sim.clientReceipts(PHONE).flatMap(r => r.ids));

  await pg.restart();
  await waitUntil(() => {
    const { messages } = storedIds(url);
    return sent.every(id => messages.has(id));
  }, 30_000).catch(() => undefined);
  const { messages, events } = storedIds(url);
  expect(sent.filter(id => receiptedWhileDown.has(id) && !messages.has(id))).toEqual([]);
  expect(sent.filter(id => !messages.has(id))).toEqual([]);
  expect(sent.filter(id => !events.has(id))).toEqual([]);
  expect(await state()).toMatchObject({ state: 'open' });
  expect((await fetch(`${hub.url}/ready`)).status).toBe(200);
  client.close();
}, 120_000);
