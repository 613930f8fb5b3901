import { DisconnectReason } from '@whiskeysockets/baileys';
import { TestClient } from '../helpers/baileys-client.js';
import { pairedClient, startSimulator, waitUntil } from '../helpers/simulator.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

const CONTACT = '5531900000100';
let sim: WhatsAppSimulator;
const clients: TestClient[] = [];
let nextPhone = 5531900000001;
const spec = () => ({ phone: String(nextPhone++), contacts: [{ phone: CONTACT, pushName: 'Carla' }] });

beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(() => clients.splice(0).forEach(c => c.stop()));
afterAll(() => sim.stop());

async function paired(opts: { reconnectOnDrop?: boolean } = {}) {
  const s = spec();
  const client = await pairedClient(sim, s, opts);
  clients.push(client);
  return { client, phone: s.phone };
}

const closed = (client: TestClient, since: number) => client.waitFor('connection.update', u => u.connection === 'close', { since });

test('kick "logout": the client closes with 401 and its credentials no longer log in', async () => {
  const { client, phone } = await paired();
  const mark = client.mark;
  expect(sim.kick(phone, 'logout')).toEqual({ kicked: true });
  await closed(client, mark);
  expect(client.closes.at(-1)).toBe(DisconnectReason.loggedOut);
  // The same credentials again: the server refuses them.
  const again = new TestClient(sim.url, client.auth).start();
  clients.push(again);
  await again.waitFor('connection.update', u => u.connection === 'close');
  expect(again.closes).toEqual([DisconnectReason.loggedOut]);
});

test('kick "replaced" closes with 440; kick "restart" closes with 515 and the client logs in again', async () => {
  const { client, phone } = await paired();
  let mark = client.mark;
  sim.kick(phone, 'restart');
  await closed(client, mark);
  expect(client.closes.at(-1)).toBe(DisconnectReason.restartRequired);
  await client.waitFor('connection.update', u => u.connection === 'open', { since: mark });
  mark = client.mark;
  sim.kick(phone, 'replaced');
  await closed(client, mark);
  expect(client.closes.at(-1)).toBe(DisconnectReason.connectionReplaced);
});

test('kick "drop": the client reconnects with its saved credentials, without a QR, and keeps receiving', async () => {
  const { client, phone } = await paired({ reconnectOnDrop: true });
  const mark = client.mark;
  sim.kick(phone, 'drop');
  await closed(client, mark);
  expect(client.closes.at(-1)).toBe(DisconnectReason.connectionClosed);
  await client.waitFor('connection.update', u => u.connection === 'open', { since: mark });
  expect(client.events.slice(mark).some(e => e.event === 'connection.update' && 'qr' in e.data && !!e.data.qr)).toBe(false);
  const { messageId } = await sim.sendText(phone, CONTACT, 'after the drop');
  const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId));
  expect(upsert.messages[0]?.message?.conversation).toBe('after the drop');
});

test('offline: messages wait for the next login and arrive then, in order, as "append"', async () => {
  const { client, phone } = await paired({ reconnectOnDrop: true });
  sim.setOffline(phone, true);
  const ids: string[] = [];
  for (const text of ['one', 'two', 'three']) ids.push((await sim.sendText(phone, CONTACT, text)).messageId);
  await new Promise(r => setTimeout(r, 300));
  expect(client.all('messages.upsert').flatMap(u => u.messages).some(m => ids.includes(m.key.id!))).toBe(false);
  sim.setOffline(phone, false);
  const mark = client.mark;
  sim.kick(phone, 'drop');
  await client.waitFor('connection.update', u => u.connection === 'open', { since: mark });
  await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === ids[2]), { since: mark });
  const arrived = client.events
    .slice(mark)
    .filter(e => e.event === 'messages.upsert')
    .flatMap(e => (e.data as { type: string; messages: { key: { id?: string | null } }[] }).messages.map(m => ({ id: m.key.id, type: (e.data as { type: string }).type })))
    .filter(m => ids.includes(m.id!));
  expect(arrived.map(m => m.id)).toEqual(ids);
  expect(new Set(arrived.map(m => m.type))).toEqual(new Set(['append']));
});

test('several accounts at once, each with its own client, contacts and outbox', async () => {
  const a = await paired();
  const b = await paired();
  await a.client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'from A' });
  await b.client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'from B' });
  const { messageId } = await sim.sendText(b.phone, CONTACT, 'only to B');
  await b.client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId));
  await waitUntil(() => sim.outbox(a.phone).length > 0 && sim.outbox(b.phone).length > 0);
  expect(sim.outbox(a.phone).map(e => e.text)).toEqual(['from A']);
  expect(sim.outbox(b.phone).map(e => e.text)).toEqual(['from B']);
  expect(a.client.all('messages.upsert').flatMap(u => u.messages).some(m => m.key.id === messageId)).toBe(false);
});
