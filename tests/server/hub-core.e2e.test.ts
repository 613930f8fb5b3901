import { validateEvent } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { decodeQrDataUrl, EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5561900000001';
const ANA = '5561900000010';
const BIA = '5561900000011';
let sim: WhatsAppSimulator;
let hub: TestHub;
let client: EventClient;
let token: string;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({
    phone: PHONE,
    pushName: 'Sales',
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: BIA, pushName: 'Bia', addressing: 'lid' }
    ],
    history: { messages: [{ chat: ANA, text: 'from history', timestamp: 1_700_000_000 }] }
  });
  hub = await startHub(sim);
});
afterAll(async () => {
  client?.close();
  await hub.close();
  await sim.stop();
});

test('create → QR (PNG decodes to the code) → scan → open with the owner → history in events and SQLite', async () => {
  const created = await hub.request('POST', '/instance/create', { instanceName: 'sales' });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ instance: { name: 'sales', state: 'close' }, token: expect.any(String) });
  token = created.json.token;

  client = new EventClient(hub.url, token);
  await client.connected();
  expect(await client.emit('subscribe', { instance: 'sales' })).toMatchObject({ ok: true });

  const connect = await hub.request('GET', '/instance/connect/sales', undefined, token);
  expect(connect.status).toBe(200);
  const qr = await client.waitFor('qrcode.updated');
  expect(decodeQrDataUrl(qr.data.qrcode.base64)).toBe(qr.data.qrcode.code);
  expect(connect.json.qrcode?.code ?? qr.data.qrcode.code).toBe(qr.data.qrcode.code);

  await sim.scan(PHONE, qr.data.qrcode.code);
  const open = await client.waitFor('connection.update', e => e.data.state === 'open');
  expect(open.data.statusReason).toBe(200);
  expect(open.instance.owner).toBe(`${PHONE}@s.whatsapp.net`);

  const chats = await client.waitFor('chats.set');
  expect(chats.data.map(c => c.id).sort()).toEqual([`${ANA}@s.whatsapp.net`, `${BIA}@s.whatsapp.net`]);
  const contacts = await client.waitFor('contacts.set', e => e.data.some(c => c.pushName === 'Ana'));
  expect(contacts.data.find(c => c.wuid === `${ANA}@s.whatsapp.net`)).toMatchObject({ phoneNumber: ANA, instanceName: 'sales' });
  const history = await client.waitFor('messages.set', e => e.data.some(m => m.body.message === 'from history'));
  expect(history.data[0]!.header).toMatchObject({ wuid: `${ANA}@s.whatsapp.net`, fromMe: false });

  const db = hub.app.storage.db;
  const id = hub.app.hub.registry.get('sales').row.id;
  expect(db.prepare('SELECT jid FROM chats WHERE instance_id = ? ORDER BY jid').pluck().all(id)).toEqual([`${ANA}@s.whatsapp.net`, `${BIA}@s.whatsapp.net`]);
  expect(db.prepare("SELECT COUNT(*) FROM messages WHERE instance_id = ? AND chat_jid = ?").pluck().get(id, `${ANA}@s.whatsapp.net`)).toBe(1);
  expect((await hub.request('GET', '/instance/connectionState/sales')).json).toMatchObject({ state: 'open', owner: `${PHONE}@s.whatsapp.net` });
});

test('an inbound text gives exactly one new.message of the contract shape', async () => {
  const { messageId } = await sim.sendText(PHONE, ANA, 'hello hub');
  const e = await client.waitFor('new.message', m => m.data.header.messageId === messageId);
  expect(e.data).toEqual({
    header: { messageId, fromMe: false, wuid: `${ANA}@s.whatsapp.net`, pushName: 'Ana' },
    body: { messageType: 'conversation', message: 'hello hub' },
    context: { sourceDevice: expect.any(String), messageTimestamp: expect.any(Number), fromGroup: false }
  });
  await new Promise(r => setTimeout(r, 300));
  expect(client.of('new.message').filter(m => m.data.header.messageId === messageId)).toHaveLength(1);
});

test('a LID-addressed contact is reported by its phone-number JID', async () => {
  const { messageId } = await sim.sendText(PHONE, BIA, 'lid here');
  const e = await client.waitFor('new.message', m => m.data.header.messageId === messageId);
  expect(e.data.header.wuid).toBe(`${BIA}@s.whatsapp.net`);
  expect(e.data.header.lid).toBeUndefined();
});

test('a status from a contact gives status.broadcast with the poster as wuid, as the map shows', async () => {
  const { messageId } = await sim.postStatus(PHONE, ANA, 'my status');
  const e = await client.waitFor('status.broadcast', m => m.data.header.messageId === messageId);
  expect(e.data).toEqual({
    header: { messageId, fromMe: false, wuid: `${ANA}@s.whatsapp.net`, pushName: 'Ana' },
    body: { messageType: 'extendedTextMessage', message: { text: 'my status' } },
    context: { sourceDevice: expect.any(String), messageTimestamp: expect.any(Number), fromGroup: false }
  });
  expect(client.of('new.message').some(m => m.data.header.messageId === messageId)).toBe(false);
});

test('sendText goes out (the contact decrypts it) and its receipts give messages.update DELIVERY_ACK then READ', async () => {
  const sent = await hub.request('POST', '/message/sendText/sales', { number: ANA, text: 'hi from the hub' }, token);
  expect(sent.status).toBe(201);
  const id = sent.json.key.id;
  await waitUntil(() => sim.outbox(PHONE).some(o => o.id === id));
  expect(sim.outbox(PHONE).find(o => o.id === id)).toMatchObject({ text: 'hi from the hub', repeat: false });
  const statusOf = (e: { data: { update: object } }) => ('status' in e.data.update ? e.data.update.status : undefined);
  await client.waitFor('messages.update', e => e.data.update.header.messageId === id && statusOf(e) === 'READ');
  const statuses = client.of('messages.update').filter(e => e.data.update.header.messageId === id).map(statusOf);
  expect(statuses).toEqual(['DELIVERY_ACK', 'READ']);
  const row = hub.app.storage.db.prepare('SELECT status FROM messages WHERE id = ?').pluck().get(id);
  expect(row).toBe('READ');
});

test('sendText to a number not on WhatsApp is refused with 404 in the error shape', async () => {
  const ghost = '5561900000099';
  sim.account(PHONE).addContact({ phone: ghost, onWhatsApp: false });
  const res = await hub.request('POST', '/message/sendText/sales', { number: ghost, text: 'x' }, token);
  expect(res).toEqual({ status: 404, json: { status: 404, error: 'Not Found', message: `The number ${ghost} is not a valid whatsapp contact` } });
});

test('presence gives presence.update; a revoke gives messages.delete', async () => {
  sim.presence(PHONE, ANA, 'composing');
  const p = await client.waitFor('presence.update', e => Object.values(e.data.presences).some(x => x.lastKnownPresence === 'composing'));
  expect(p.data.jid).toBe(`${ANA}@s.whatsapp.net`);

  const { messageId } = await sim.sendText(PHONE, ANA, 'to be deleted');
  await client.waitFor('new.message', m => m.data.header.messageId === messageId);
  await sim.revoke(PHONE, ANA, messageId);
  const del = await client.waitFor('messages.delete', e => Array.isArray(e.data) && e.data.some(d => d.messageId === messageId));
  expect(del.data).toEqual([{ messageId, fromMe: false, wuid: `${ANA}@s.whatsapp.net` }]);
});

test('every event emitted so far validates against its protocol schema, and seq is strictly increasing', () => {
  expect(client.events.length).toBeGreaterThan(10);
  for (const e of client.events) expect({ event: e.event, result: validateEvent(e) }).toEqual({ event: e.event, result: { ok: true } });
  const seqs = client.events.map(e => e.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
});
