import { proto } from '@whiskeysockets/baileys';
import type { TestClient } from '../helpers/baileys-client.js';
import { pairedClient, startSimulator, waitUntil } from '../helpers/simulator.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

const ME = '5521900000001';
const ANA = '5521900000010';
const BRUNO = '5521900000011';
const GHOST = '5521900000099';

let sim: WhatsAppSimulator;
let client: TestClient;

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  client = await pairedClient(sim, {
    phone: ME,
    pushName: 'Me',
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: BRUNO, pushName: 'Bruno', addressing: 'lid' },
      { phone: GHOST, onWhatsApp: false }
    ],
    history: {
      messages: [
        { chat: ANA, text: 'old hello', timestamp: 1_700_000_000 },
        { chat: ANA, text: 'old reply', fromMe: true, timestamp: 1_700_000_100 }
      ]
    }
  });
});
afterAll(async () => {
  client.stop();
  await sim.stop();
});

const textOf = (m: proto.IWebMessageInfo) => m.message?.conversation ?? m.message?.extendedTextMessage?.text;

test('the initial history sync brings chats, messages, LID mappings and push names', async () => {
  const initial = await client.waitFor('messaging-history.set', h => h.syncType === proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP);
  expect(initial.chats.map(c => c.id).sort()).toEqual([`${ANA}@s.whatsapp.net`, `${BRUNO}@s.whatsapp.net`]);
  expect(initial.messages.map(textOf).sort()).toEqual(['old hello', 'old reply']);
  // Baileys stores the LID mappings the sync carries (its event buffer may fold them out of the event).
  const lids = sim.account(ME).listContacts();
  for (const phone of [ANA, BRUNO]) {
    const lid = await client.sock.signalRepository.lidMapping.getLIDForPN(`${phone}@s.whatsapp.net`);
    expect(lid).toBe(lids.find(c => c.phone === phone)!.lidJid);
  }
  const names = await client.waitFor('messaging-history.set', h => h.syncType === proto.HistorySync.HistorySyncType.PUSH_NAME);
  expect(names.contacts).toEqual(expect.arrayContaining([{ id: `${ANA}@s.whatsapp.net`, notify: 'Ana' }]));
});

test('an inbound text from a PN-addressed contact arrives as notify, decrypted, twice in a row (pkmsg then msg)', async () => {
  for (const text of ['hi there', 'second one']) {
    const mark = client.mark;
    const { messageId } = await sim.sendText(ME, ANA, text);
    const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId), { since: mark });
    expect(upsert.type).toBe('notify');
    const msg = upsert.messages.find(m => m.key.id === messageId)!;
    expect(textOf(msg)).toBe(text);
    expect(msg.key.fromMe).toBe(false);
    expect(msg.pushName).toBe('Ana');
  }
});

test('a LID-addressed contact: the key is the LID with the PN beside it', async () => {
  const { messageId } = await sim.sendText(ME, BRUNO, 'from a lid');
  const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId));
  const msg = upsert.messages[0]!;
  expect(msg.key.remoteJid).toMatch(/@lid$/);
  expect(msg.key.remoteJidAlt).toBe(`${BRUNO}@s.whatsapp.net`);
  expect(textOf(msg)).toBe('from a lid');
});

test('an outbound text is decrypted by the contact, lands in the outbox, and comes back DELIVERY_ACK then READ', async () => {
  const sent = await client.sock.sendMessage(`${ANA}@s.whatsapp.net`, { text: 'hello Ana' });
  const id = sent!.key.id!;
  const statuses: number[] = [];
  await client.waitFor('messages.update', u =>
    u.some(x => x.key.id === id && x.update.status !== undefined && statuses.push(x.update.status!) > 0 && x.update.status === proto.WebMessageInfo.Status.READ)
  );
  expect(statuses).toContain(proto.WebMessageInfo.Status.DELIVERY_ACK);
  expect(statuses.indexOf(proto.WebMessageInfo.Status.DELIVERY_ACK)).toBeLessThan(statuses.indexOf(proto.WebMessageInfo.Status.READ));
  const entry = sim.outbox(ME).find(e => e.id === id);
  expect(entry).toMatchObject({ to: `${ANA}@s.whatsapp.net`, text: 'hello Ana', repeat: false });
});

test('receipts mode "delivery" stops at DELIVERY_ACK; a manual read receipt then gives READ', async () => {
  sim.setReceipts(ME, ANA, 'delivery');
  const sent = await client.sock.sendMessage(`${ANA}@s.whatsapp.net`, { text: 'read me later' });
  const id = sent!.key.id!;
  await client.waitFor('messages.update', u => u.some(x => x.key.id === id && x.update.status === proto.WebMessageInfo.Status.DELIVERY_ACK));
  await new Promise(r => setTimeout(r, 200));
  expect(client.all('messages.update').flat().some(x => x.key.id === id && x.update.status === proto.WebMessageInfo.Status.READ)).toBe(false);
  await sim.read(ME, ANA, [id]);
  await client.waitFor('messages.update', u => u.some(x => x.key.id === id && x.update.status === proto.WebMessageInfo.Status.READ));
  sim.setReceipts(ME, ANA, 'auto');
});

test('resending the same message ID is recorded as a repeat, surfaced once', async () => {
  const id = 'REPEAT0000000000000001';
  await client.sock.sendMessage(`${ANA}@s.whatsapp.net`, { text: 'once' }, { messageId: id });
  await client.sock.sendMessage(`${ANA}@s.whatsapp.net`, { text: 'once' }, { messageId: id });
  await waitUntil(() => sim.outbox(ME).filter(e => e.id === id).length === 2);
  expect(sim.outbox(ME).filter(e => e.id === id).map(e => e.repeat)).toEqual([false, true]);
});

test('presence and chat state reach the client', async () => {
  await client.sock.presenceSubscribe(`${ANA}@s.whatsapp.net`);
  sim.presence(ME, ANA, 'available');
  await client.waitFor('presence.update', p => Object.values(p.presences).some(x => x.lastKnownPresence === 'available'));
  sim.presence(ME, ANA, 'composing');
  await client.waitFor('presence.update', p => Object.values(p.presences).some(x => x.lastKnownPresence === 'composing'));
  sim.presence(ME, ANA, 'recording');
  await client.waitFor('presence.update', p => Object.values(p.presences).some(x => x.lastKnownPresence === 'recording'));
});

test('a contact revokes its message: Baileys reports it deleted for everyone', async () => {
  const { messageId } = await sim.sendText(ME, ANA, 'oops');
  await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId));
  await sim.revoke(ME, ANA, messageId);
  const update = await client.waitFor('messages.update', u =>
    u.some(x => x.key.id === messageId && x.update.messageStubType === proto.WebMessageInfo.StubType.REVOKE)
  );
  expect(update.length).toBeGreaterThan(0);
});

test('a contact posts a status: it comes from status@broadcast with the contact as participant', async () => {
  const { messageId } = await sim.postStatus(ME, ANA, 'at the beach');
  const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId));
  const msg = upsert.messages.find(m => m.key.id === messageId)!;
  expect(msg.key.remoteJid).toBe('status@broadcast');
  expect(msg.key.participant).toBe(`${ANA}@s.whatsapp.net`);
  expect(textOf(msg)).toBe('at the beach');
});

test('onWhatsApp says which numbers exist', async () => {
  const result = await client.sock.onWhatsApp(ANA, GHOST);
  expect(result?.map(r => r.jid)).toEqual([`${ANA}@s.whatsapp.net`]);
});

test('profile picture URL for a contact; none for a number not on WhatsApp', async () => {
  const url = await client.sock.profilePictureUrl(`${ANA}@s.whatsapp.net`, 'image');
  expect(url).toContain(`${ANA}.png`);
  await expect(client.sock.profilePictureUrl(`${GHOST}@s.whatsapp.net`, 'image')).rejects.toBeTruthy();
});
