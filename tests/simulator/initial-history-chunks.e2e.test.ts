import { proto } from '@whiskeysockets/baileys';
import type { TestClient } from '../helpers/baileys-client.js';
import { pairedClient, startSimulator } from '../helpers/simulator.js';
import type { HistoryMessageSpec } from '../../simulator/model.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

const ME = '5521970000001';
const CONTACTS = Array.from({ length: 5 }, (_, i) => String(5521970000010 + i));
// 250 messages, 70 in the first chat (more than a chunk), the rest spread over the others.
const messages: HistoryMessageSpec[] = Array.from({ length: 250 }, (_, i) => ({
  chat: i < 70 ? CONTACTS[0]! : CONTACTS[1 + (i % 4)]!,
  text: `history ${i}`,
  id: `HIST${String(i).padStart(6, '0')}`,
  timestamp: 1_700_000_000 + i,
  fromMe: i % 3 === 0
}));
const CHUNK = 40;
const CHUNKS = Math.ceil(messages.length / CHUNK);

let sim: WhatsAppSimulator;
let client: TestClient;

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  client = await pairedClient(sim, {
    phone: ME,
    contacts: CONTACTS.map(phone => ({ phone })),
    history: { messages, initialChunkSize: CHUNK }
  });
  // The phone sends every history notification before anything else reaches the client.
  const { messageId } = await sim.sendText(ME, CONTACTS[0]!, 'after the history');
  await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId), { timeoutMs: 30_000 });
});
afterAll(async () => {
  client.stop();
  await sim.stop();
});

test('a first history larger than initialChunkSize comes as several INITIAL_BOOTSTRAP notifications, every message exactly once', async () => {
  // One history notification per chunk, then the push names: Baileys records each one it processed.
  expect(client.auth.creds.processedHistoryMessages).toHaveLength(CHUNKS + 1);
  const sets = client.all('messaging-history.set');
  const ids = sets.flatMap(s => s.messages.map(m => m.key.id));
  expect(ids).toHaveLength(messages.length);
  expect([...ids].sort()).toEqual(messages.map(m => m.id));
  // Every chat is there, the one split over two chunks too.
  expect(new Set(sets.flatMap(s => s.chats.map(c => c.id)))).toEqual(new Set(CONTACTS.map(p => `${p}@s.whatsapp.net`)));
});

test('the chunks count their progress up to 100, the first one the latest', async () => {
  const sets = client.all('messaging-history.set').filter(s => s.messages.length);
  const progress = sets.map(s => s.progress);
  expect(progress[progress.length - 1]).toBe(100);
  expect([...progress].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(progress);
  expect(sets[0]!.isLatest).toBe(true);
  expect(sets.every(s => s.syncType === proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP)).toBe(true);
});
