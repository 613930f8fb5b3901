import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { histogramCount, scrape } from '../helpers/metrics.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5541900000800';
const CONTACT = '5541900000801';
const MESSAGES = 5;
let sim: WhatsAppSimulator;
let hub: TestHub;
let client: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim);
  // No chats in the first sync: its contacts arrive as one contacts.set, and then nothing but what the test sends.
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT }], history: { chats: [] } });
  ({ client } = await pairInstance(hub, sim, 'flushed', PHONE));
  await client.waitFor('contacts.set');
});
afterAll(async () => {
  client?.close();
  await hub.close();
  await sim.stop();
});

const commits = async () => histogramCount((await scrape(hub.url, { apikey: ADMIN_KEY })).families, 'wahub_event_commit_seconds');

describe('the events Baileys emits together after an inbound message', () => {
  it('commit in one transaction, in order and numbered without gaps', async () => {
    const start = client.events.length;
    const before = await commits();
    for (let i = 0; i < MESSAGES; i++) {
      await sim.sendText(PHONE, CONTACT, `flush ${i}`);
      // One message at a time: each one's events are complete before the next is sent.
      await waitUntil(() => client.events.slice(start).filter(e => e.event === 'contacts.update').length > i, 10_000);
    }
    const events = client.events.slice(start);
    // Per message: its own commit before the receipt, then chats.update and contacts.update from one flush.
    expect(events.map(e => e.event)).toEqual(Array.from({ length: MESSAGES }, () => ['new.message', 'chats.update', 'contacts.update']).flat());
    const seqs = events.map(e => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect((await commits()) - before).toBe(2 * MESSAGES);
  });
});
