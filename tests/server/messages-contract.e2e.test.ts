import { validateEvent, type EventEnvelope } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import type { EventClient, TestHub } from '../helpers/hub.js';
import { startHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5562900000001';
const ANA = '5562900000010';
const BIA = '5562900000011';
const pn = (phone: string) => `${phone}@s.whatsapp.net`;
let sim: WhatsAppSimulator;
let hub: TestHub;
let client: EventClient;
let token: string;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({
    phone: PHONE,
    pushName: 'Loja',
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: BIA, pushName: 'Bia', addressing: 'lid' }
    ],
    history: { messages: [{ chat: ANA, text: 'from history', id: 'HIST0000000001', timestamp: 1_700_000_000 }] }
  });
  hub = await startHub(sim);
  ({ token, client } = await pairInstance(hub, sim, 'loja', PHONE));
  await client.waitFor('messages.set', e => e.data.some(m => m.header.messageId === 'HIST0000000001'));
});
afterAll(async () => {
  client?.close();
  await hub.close();
  await sim.stop();
});

/** Every event that names this message ID, by event name. */
const about = (messageId: string) =>
  client.events
    .filter(e => JSON.stringify(e.data).includes(messageId))
    .map(e => e.event)
    .filter(name => name !== 'chats.update' && name !== 'contacts.update');

const messageEvent = (e: EventEnvelope, messageId: string) =>
  (e.event === 'new.message' || e.event === 'status.broadcast') && e.data.header.messageId === messageId;

test('history arrives as messages.set and never as new.message', async () => {
  const set = client.of('messages.set').flatMap(e => e.data);
  expect(set.find(m => m.header.messageId === 'HIST0000000001')).toEqual({
    header: { messageId: 'HIST0000000001', fromMe: false, wuid: pn(ANA), pushName: 'Ana' },
    body: { messageType: 'conversation', message: 'from history' },
    context: { sourceDevice: expect.any(String), messageTimestamp: 1_700_000_000, fromGroup: false }
  });
  expect(client.of('new.message').some(e => e.data.header.messageId === 'HIST0000000001')).toBe(false);
});

test('a message WhatsApp kept while the hub was away arrives, after the reconnect, as new.message', async () => {
  sim.setOffline(PHONE, true);
  const { messageId } = await sim.sendText(PHONE, ANA, 'sent while you were away');
  expect(sim.account(PHONE).pendingCount).toBe(1);
  sim.setOffline(PHONE, false);
  const mark = client.events.length;
  expect((await hub.request('PUT', '/instance/restart/loja', undefined, token)).status).toBe(200);
  await client.waitFor('connection.update', e => e.data.state === 'open' && client.events.indexOf(e) >= mark);
  const e = await client.waitFor('new.message', m => m.data.header.messageId === messageId);
  expect(e.data).toEqual({
    header: { messageId, fromMe: false, wuid: pn(ANA), pushName: 'Ana' },
    body: { messageType: 'conversation', message: 'sent while you were away' },
    context: { sourceDevice: expect.any(String), messageTimestamp: expect.any(Number), fromGroup: false }
  });
  expect(sim.account(PHONE).pendingCount).toBe(0);
  expect(about(messageId)).toEqual(['new.message']);
});

test('a text the hub sends is a new.message with fromMe, once', async () => {
  const sent = await hub.request('POST', '/message/sendText/loja', { number: ANA, text: 'sent by the hub' }, token);
  expect(sent.status).toBe(201);
  const id: string = sent.json.key.id;
  const e = await client.waitFor('new.message', m => m.data.header.messageId === id);
  expect(e.data).toEqual({
    header: { messageId: id, fromMe: true, wuid: pn(ANA), pushName: null },
    body: { messageType: 'extendedTextMessage', message: { text: 'sent by the hub' } },
    context: { sourceDevice: expect.any(String), messageTimestamp: expect.any(Number), fromGroup: false }
  });
  // Its receipts follow as status updates; by then a second copy would have shown.
  await client.waitFor('messages.update', u => u.data.update.header.messageId === id && 'status' in u.data.update && u.data.update.status === 'READ');
  expect(client.of('new.message').filter(m => m.data.header.messageId === id)).toHaveLength(1);
  expect(client.of('messages.set').some(s => s.data.some(m => m.header.messageId === id))).toBe(false);
});

test('a text sent from the phone itself is a new.message with fromMe, in the chat it went to', async () => {
  const { messageId } = await sim.sendFromPhone(PHONE, ANA, 'typed on the phone');
  const e = await client.waitFor('new.message', m => m.data.header.messageId === messageId);
  expect(e.data).toEqual({
    header: { messageId, fromMe: true, wuid: pn(ANA), pushName: 'Loja' },
    body: { messageType: 'conversation', message: 'typed on the phone' },
    context: { sourceDevice: expect.any(String), messageTimestamp: expect.any(Number), fromGroup: false }
  });
  expect(about(messageId)).toEqual(['new.message']);
});

test('an edit is a messages.update with edit and no status, and the stored message takes the new text', async () => {
  const { messageId } = await sim.sendText(PHONE, ANA, 'frist draft');
  await client.waitFor('new.message', m => m.data.header.messageId === messageId);
  const { messageId: editId } = await sim.editText(PHONE, ANA, messageId, 'first draft');
  const e = await client.waitFor('messages.update', u => u.data.update.header.messageId === messageId);
  expect(e.data).toEqual({
    update: { edit: { messageType: 'conversation', message: 'first draft' }, header: { messageId, wuid: pn(ANA), fromMe: false }, dateTime: expect.any(Number) }
  });
  expect(Math.abs(e.data.update.dateTime - Date.now())).toBeLessThan(60_000);
  // The protocol message that carried the edit is not a message of its own.
  expect(about(editId)).toEqual([]);
  const found = await hub.request('POST', '/chat/findMessages/loja', { chat: ANA, limit: 10 }, token);
  const stored = found.json.messages.find((m: { header: { messageId: string } }) => m.header.messageId === messageId);
  expect(stored.body).toEqual({ messageType: 'conversation', message: 'first draft' });
});

test('an edit the hub makes of its own message is a messages.update with edit and fromMe', async () => {
  const sent = await hub.request('POST', '/message/sendText/loja', { number: ANA, text: 'see you at 5' }, token);
  const key = sent.json.key;
  await client.waitFor('new.message', m => m.data.header.messageId === key.id);
  expect((await hub.request('POST', '/chat/updateMessage/loja', { key, text: 'see you at 6' }, token)).status).toBeLessThan(300);
  const e = await client.waitFor('messages.update', u => u.data.update.header.messageId === key.id && 'edit' in u.data.update);
  expect(e.data.update).toEqual({
    edit: { messageType: 'extendedTextMessage', message: { text: 'see you at 6' } },
    header: { messageId: key.id, wuid: pn(ANA), fromMe: true },
    dateTime: expect.any(Number)
  });
  // The contact got the edit too.
  await waitUntil(() => sim.outbox(PHONE).some(o => o.id !== key.id && JSON.stringify(o.message).includes('see you at 6')));
});

test('status.broadcast names the poster by phone-number JID, also when WhatsApp addresses it by LID', async () => {
  const { messageId } = await sim.postStatus(PHONE, BIA, 'at the beach');
  const e = await client.waitFor('status.broadcast', m => m.data.header.messageId === messageId);
  expect(e.data).toEqual({
    header: { messageId, fromMe: false, wuid: pn(BIA), pushName: 'Bia' },
    body: { messageType: 'extendedTextMessage', message: { text: 'at the beach' } },
    context: { sourceDevice: expect.any(String), messageTimestamp: expect.any(Number), fromGroup: false }
  });
  expect(client.events.some(x => x.event === 'new.message' && messageEvent(x, messageId))).toBe(false);
  // A status is kept apart from the chat with its poster.
  const chat = await hub.request('POST', '/chat/findMessages/loja', { chat: BIA, limit: 10 }, token);
  expect(chat.json.messages.some((m: { header: { messageId: string } }) => m.header.messageId === messageId)).toBe(false);
});

test('every event of this file validates against its schema', () => {
  for (const e of client.events) expect({ event: e.event, result: validateEvent(e) }).toEqual({ event: e.event, result: { ok: true } });
});
