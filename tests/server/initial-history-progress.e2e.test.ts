import { validateEvent } from '../../protocol/index.js';
import type { HistoryMessageSpec } from '../../simulator/model.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { HISTORY_CHUNK } from '../../server/events/translate.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';

const PHONE = '5531981000001';
const CONTACTS = Array.from({ length: 3 }, (_, i) => String(5531981000010 + i));
// Two INITIAL_BOOTSTRAP notifications, each larger than one of the hub's commits.
const PER_NOTIFICATION = 2 * HISTORY_CHUNK + 50;
const messages: HistoryMessageSpec[] = Array.from({ length: 2 * PER_NOTIFICATION }, (_, i) => ({
  chat: CONTACTS[i % CONTACTS.length]!,
  text: `history ${i}`,
  id: `PROG${String(i).padStart(6, '0')}`,
  timestamp: 1_700_000_000 + i
}));
let sim: WhatsAppSimulator;
let hub: TestHub;
let client: EventClient | undefined;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: CONTACTS.map(phone => ({ phone })), history: { messages, initialChunkSize: PER_NOTIFICATION } });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
});
afterAll(async () => {
  client?.close();
  await hub.close();
  await sim.stop();
});

test('a first history in several notifications: every message once in messages.set, progress rising to 100 only on the last batch', async () => {
  const created = await hub.request('POST', '/instance/create', { instanceName: 'progress' });
  client = new EventClient(hub.url, created.json.token);
  await client.connected();
  await client.emit('subscribe', { instance: 'progress' });
  await hub.request('GET', '/instance/connect/progress', undefined, created.json.token);
  const qr = await client.waitFor('qrcode.updated');
  await sim.scan(PHONE, qr.data.qrcode.code);
  await client.waitFor('connection.update', e => e.data.state === 'open');
  // The phone sends every history chunk before anything else reaches the client.
  const { messageId } = await sim.sendText(PHONE, CONTACTS[0]!, 'after the history');
  await client.waitFor('new.message', e => e.data.header.messageId === messageId, 30_000);

  const sets = client.of('messages.set');
  for (const e of sets) expect(validateEvent(e)).toEqual({ ok: true });
  const ids = sets.flatMap(e => e.data.map(m => m.header.messageId));
  expect(ids).toHaveLength(messages.length);
  expect([...ids].sort()).toEqual(messages.map(m => m.id));
  const progress = sets.map(e => e.history!.progress!);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  expect(progress.filter(p => p === 100)).toHaveLength(1);
  expect(progress[progress.length - 1]).toBe(100);
  expect(sets.every(e => e.history!.syncType === 'INITIAL_BOOTSTRAP')).toBe(true);
  // The first notification is the account's latest history; it closes with its last batch.
  expect(sets.filter(e => e.history!.isLatest).length).toBeLessThanOrEqual(1);
});
