import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport } from '../helpers/any-transport.js';
import { ADMIN_KEY, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const PHONE = '5561900000004';
const CONTACT = '5561900000040';
const SECRET = 'global-secret-0123456789';
let sim: WhatsAppSimulator;
let hub: TestHub;
let receiver: WebhookReceiver;
let admin: AnyTransport;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Eva' }], history: { chats: [] } });
  receiver = await new WebhookReceiver().start();
  receiver.secret = SECRET;
  hub = await startHub(sim, { env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_EVENTS: 'connection.update,new.message' } });
  admin = await AnyTransport.open(hub.url, ADMIN_KEY);
});
afterAll(async () => {
  admin?.close();
  await hub.close();
  await receiver.stop();
  await sim.stop();
});

test('WEBHOOK_URL receives the events WEBHOOK_EVENTS names of an instance created after the start, from its first event; commands cannot delete it', async () => {
  const { client } = await pairInstance(hub, sim, 'everyone', PHONE);
  const { messageId } = await sim.sendText(PHONE, CONTACT, 'to the global webhook');
  const message = await client.waitFor('new.message', e => e.data.header.messageId === messageId);
  await waitUntil(() => receiver.acknowledgedSeqs().includes(message.seq), 10_000);
  client.close();

  expect(receiver.problems).toEqual([]);
  // Every connection.update and new.message the instance ever had, and nothing else.
  const wanted = client.events.filter(e => (e.event === 'connection.update' || e.event === 'new.message') && e.seq <= message.seq).map(e => e.seq);
  expect(receiver.acknowledgedSeqs()).toEqual(wanted);
  expect(wanted[0]).toBe(client.events.find(e => e.event === 'connection.update')!.seq);

  const found = await admin.call('rest', 'webhook.find', { instance: 'everyone' });
  expect(found.data).toEqual([expect.objectContaining({ url: receiver.url, global: true, events: ['connection.update', 'new.message'], status: 'ok' })]);
  const refused = await admin.call('rest', 'webhook.delete', { instance: 'everyone', id: found.data![0]!.id });
  expect(refused).toMatchObject({ ok: false, error: { status: 400, message: expect.stringContaining('WEBHOOK_URL') } });
});
