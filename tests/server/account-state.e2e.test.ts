import { validateEvent } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import type { EventClient, TestHub } from '../helpers/hub.js';
import { startHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5563900000001';
const ANA = '5563900000010';
const CAIO = '5563900000012';
const pn = (phone: string) => `${phone}@s.whatsapp.net`;
// startHub retries lost connections after 100 ms to 1 s: a reconnect would show well inside this.
const LONGEST_RETRY_MS = 1500;
let sim: WhatsAppSimulator;
let hub: TestHub;
let client: EventClient;
let token: string;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({
    phone: PHONE,
    pushName: 'Padaria',
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: CAIO, pushName: 'Caio' }
    ]
  });
  hub = await startHub(sim);
  ({ token, client } = await pairInstance(hub, sim, 'padaria', PHONE));
  await client.waitFor('chats.set');
});
afterAll(async () => {
  client?.close();
  await hub.close();
  await sim.stop();
});

const state = async () => (await hub.request('GET', '/instance/connectionState/padaria', undefined, token)).json;

test('the push name WhatsApp gives after the first pairing is stored at once, without a restart', async () => {
  await waitUntil(() => hub.app.hub.registry.get('padaria').row.push_name === 'Padaria', 10_000);
  expect(await state()).toMatchObject({ state: 'open', owner: pn(PHONE), pushName: 'Padaria' });
  expect(hub.app.storage.instances.list().find(r => r.name === 'padaria')?.push_name).toBe('Padaria');
});

test('unreadCount counts new messages 1, 2, 3 and is 0 once the chat is read', async () => {
  const unread = () => client.of('chats.update').flatMap(e => e.data.filter(c => c.id === pn(ANA)).map(c => c.unreadCount));
  const keys: { id: string; remoteJid: string; fromMe: boolean }[] = [];
  for (const n of [1, 2, 3]) {
    const { messageId } = await sim.sendText(PHONE, ANA, `unread ${n}`);
    await client.waitFor('new.message', m => m.data.header.messageId === messageId);
    await client.waitFor('chats.update', e => e.data.some(c => c.id === pn(ANA) && c.unreadCount === n));
    keys.push({ id: messageId, remoteJid: pn(ANA), fromMe: false });
  }
  expect(unread()).toEqual([1, 2, 3]);
  const chat = async () => ((await hub.request('POST', '/chat/findChats/padaria', undefined, token)).json as { id: string; unreadCount: number }[]).find(c => c.id === pn(ANA));
  expect((await chat())?.unreadCount).toBe(3);

  const read = await hub.request('POST', '/chat/markMessageAsRead/padaria', { keys }, token);
  expect(read.status).toBeLessThan(300);
  await client.waitFor('chats.update', e => e.data.some(c => c.id === pn(ANA) && c.unreadCount === 0));
  expect(unread()).toEqual([1, 2, 3, 0]);
  expect((await chat())?.unreadCount).toBe(0);
  // WhatsApp saw the read receipts.
  await waitUntil(() => sim.clientReceipts(PHONE).some(r => r.type === 'read' && keys.every(k => r.ids.includes(k.id))));
});

test('a removed profile picture is null; a changed one is fetched and reported with its new URL', async () => {
  const before = client.events.length;
  const since = () => client.events.slice(before);
  await sim.changePicture(PHONE, CAIO, false);
  const removed = await client.waitFor('contacts.update', e => client.events.indexOf(e) >= before && e.data.some(c => c.wuid === pn(CAIO)));
  expect(removed.data).toEqual([expect.objectContaining({ wuid: pn(CAIO), phoneNumber: CAIO, profilePictureUrl: null, instanceName: 'padaria' })]);

  const mark = client.events.length;
  const { pictureId } = await sim.changePicture(PHONE, CAIO, true);
  const changed = await client.waitFor('contacts.update', e => client.events.indexOf(e) >= mark && e.data.some(c => c.wuid === pn(CAIO)));
  const fetched = await hub.request('POST', '/chat/fetchProfilePictureUrl/padaria', { number: CAIO }, token);
  expect(fetched.json.url).toContain(`id=${pictureId}`);
  expect(changed.data).toEqual([expect.objectContaining({ wuid: pn(CAIO), profilePictureUrl: fetched.json.url })]);
  expect(since().filter(e => e.event === 'contacts.update')).toHaveLength(2);

  const contacts = (await hub.request('POST', '/chat/findContacts/padaria', undefined, token)).json as { wuid: string; profilePictureUrl: string | null }[];
  expect(contacts.find(c => c.wuid === pn(CAIO))?.profilePictureUrl).toBe(fetched.json.url);
});

test('another client taking the session (440): close 440 then refused, no reconnect until asked, then connect opens it again', async () => {
  const mark = client.events.length;
  const states = () => client.events.slice(mark).flatMap(e => (e.event === 'connection.update' ? [[e.data.state, e.data.statusReason]] : []));
  expect(sim.kick(PHONE, 'replaced')).toEqual({ kicked: true });
  await client.waitFor('connection.update', e => client.events.indexOf(e) >= mark && e.data.state === 'refused');
  expect(states()).toEqual([
    ['close', 440],
    ['refused', 440]
  ]);
  // Absence of a retry can only be seen over time: wait out the longest backoff the hub would use.
  await new Promise(r => setTimeout(r, LONGEST_RETRY_MS));
  expect(states()).toHaveLength(2);
  expect(sim.account(PHONE).link).toBeUndefined();
  expect(await state()).toMatchObject({ state: 'refused' });
  // The credentials stay: the user asks, and it logs in again without a QR.
  expect(hub.app.hub.registry.get('padaria').auth.hasAccount()).toBe(true);

  await hub.request('GET', '/instance/connect/padaria', undefined, token);
  await client.waitFor('connection.update', e => client.events.indexOf(e) >= mark && e.data.state === 'open');
  expect(states().slice(2)).toEqual([
    ['connecting', 0],
    ['open', 200]
  ]);
  expect(client.events.slice(mark).some(e => e.event === 'qrcode.updated')).toBe(false);
  const { messageId } = await sim.sendText(PHONE, ANA, 'back again');
  await client.waitFor('new.message', m => m.data.header.messageId === messageId);
});

test('every event of this file validates against its schema', () => {
  for (const e of client.events) expect({ event: e.event, result: validateEvent(e) }).toEqual({ event: e.event, result: { ok: true } });
});
