import { validateEvent, type EventEnvelope } from '../../protocol/index.js';
import type { HistoryMessageSpec } from '../../simulator/model.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';

const FULL = '5531980000001';
const RECENT = '5531980000002';
const ANA = '5531980000010';
let sim: WhatsAppSimulator;
let hub: TestHub;
const clients: EventClient[] = [];

const older: HistoryMessageSpec[] = Array.from({ length: 120 }, (_, i) => ({
  chat: ANA,
  text: `old ${i}`,
  id: `OLD${String(i).padStart(6, '0')}`,
  timestamp: 1_600_000_000 + i,
  fromMe: i % 3 === 0
}));
const history = { messages: [{ chat: ANA, text: 'recent', id: 'RECENT000001', timestamp: 1_700_000_000 }], older, fullChunkSize: 50 };

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: FULL, contacts: [{ phone: ANA }], history });
  sim.createAccount({ phone: RECENT, contacts: [{ phone: ANA }], history });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await hub.close();
  await sim.stop();
});

/** Creates the instance, applies the settings, then pairs it and waits for a marker text after its history. */
async function pair(name: string, phone: string, settings: Record<string, unknown>): Promise<EventClient> {
  const created = await hub.request('POST', '/instance/create', { instanceName: name });
  const token: string = created.json.token;
  expect((await hub.request('POST', `/settings/set/${name}`, settings, token)).status).toBe(200);
  const client = new EventClient(hub.url, token);
  clients.push(client);
  await client.connected();
  await client.emit('subscribe', { instance: name });
  await hub.request('GET', `/instance/connect/${name}`, undefined, token);
  const qr = await client.waitFor('qrcode.updated');
  await sim.scan(phone, qr.data.qrcode.code);
  await client.waitFor('connection.update', e => e.data.state === 'open');
  // The phone sends every history chunk before anything else reaches the client.
  const { messageId } = await sim.sendText(phone, ANA, 'after the history');
  await client.waitFor('new.message', e => e.data.header.messageId === messageId, 30_000);
  return client;
}

const ids = (sets: EventEnvelope<'messages.set'>[]) => sets.flatMap(e => e.data.map(m => m.header.messageId));

test('syncFullHistory asks for the whole history at pairing: its FULL chunks arrive as messages.set with their progress', async () => {
  const client = await pair('full', FULL, { syncFullHistory: true });
  const sets = client.of('messages.set');
  for (const e of sets) expect(validateEvent(e)).toEqual({ ok: true });
  const initial = sets.filter(e => e.history?.syncType === 'INITIAL_BOOTSTRAP');
  expect(ids(initial)).toEqual(['RECENT000001']);
  expect(initial[0]!.history).toEqual({ syncType: 'INITIAL_BOOTSTRAP', progress: 100, isLatest: true });
  const full = sets.filter(e => e.history?.syncType === 'FULL');
  expect(full.map(e => e.history)).toEqual([
    { syncType: 'FULL', progress: 33, isLatest: false },
    { syncType: 'FULL', progress: 67, isLatest: false },
    { syncType: 'FULL', progress: 100, isLatest: false }
  ]);
  expect(full.map(e => e.data.length)).toEqual([50, 50, 20]);
  expect(ids(full).sort()).toEqual(older.map(m => m.id).sort());
  // Stored as well: the chat's messages in the store include every one of them.
  const page = await hub.request('POST', '/chat/findMessages/full', { chat: ANA, limit: 500 });
  expect(page.json.messages.map((m: { header: { messageId: string } }) => m.header.messageId)).toEqual(expect.arrayContaining(older.map(m => m.id)));
});

test('without it the phone sends only the recent history, and nothing of the older', async () => {
  const client = await pair('recent', RECENT, {});
  const sets = client.of('messages.set');
  expect(ids(sets)).toEqual(['RECENT000001']);
  expect(sets.filter(e => e.history?.syncType === 'FULL')).toEqual([]);
});
