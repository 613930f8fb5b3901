import type { TestClient } from '../helpers/baileys-client.js';
import { pairedClient, startSimulator, waitUntil } from '../helpers/simulator.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

const ME = '5521930000001';
const ANA = '5521930000010';
const BRUNO = '5521930000011';
const ANA_JID = `${ANA}@s.whatsapp.net`;
const BRUNO_JID = `${BRUNO}@s.whatsapp.net`;

let sim: WhatsAppSimulator;
let client: TestClient;

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  client = await pairedClient(sim, {
    phone: ME,
    pushName: 'Me',
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: BRUNO, pushName: 'Bruno' }
    ],
    history: { messages: [{ chat: ANA, text: 'old hello', id: 'OLDHELLO0001', timestamp: 1_700_000_000 }] }
  });
  // The first app-state sync ends the initial sync; changes after it are live ones.
  await client.waitFor('creds.update', u => (u.accountSyncCounter ?? 0) > 0);
});
afterAll(async () => {
  client.stop();
  await sim.stop();
});

const chatOf = (jid: string) => sim.appState(ME).chats.find(c => c.jid === jid);

test('the phone shares its app-state key at pairing', async () => {
  const keyId = client.sock.authState.creds.myAppStateKeyId!;
  expect(keyId).toBe(sim.account(ME).appState.keyId.toString('base64'));
  const { [keyId]: key } = await client.sock.authState.keys.get('app-state-sync-key', [keyId]);
  expect(key?.keyData).toHaveLength(32);
});

test('what the user does on the phone reaches the client as the events only app state brings', async () => {
  const since = client.mark;
  await sim.appStateAction(ME, { action: 'contact', phone: BRUNO, fullName: 'Bruno Souza', firstName: 'Bruno' });
  const [contact] = await client.waitFor('contacts.upsert', c => c.some(x => x.id === BRUNO_JID), { since });
  expect(contact).toEqual({ id: BRUNO_JID, name: 'Bruno Souza', lid: sim.account(ME).contact(BRUNO)!.lidJid, phoneNumber: BRUNO_JID, username: undefined });

  await sim.appStateAction(ME, { action: 'archive', chat: ANA });
  expect(await client.waitFor('chats.update', u => u.some(c => c.id === ANA_JID && c.archived !== undefined), { since })).toEqual([
    expect.objectContaining({ id: ANA_JID, archived: true })
  ]);

  const until = Math.floor(Date.now() / 1000) + 3600;
  await sim.appStateAction(ME, { action: 'mute', chat: ANA, until });
  expect(await client.waitFor('chats.update', u => u.some(c => c.id === ANA_JID && c.muteEndTime !== undefined), { since })).toEqual([
    expect.objectContaining({ id: ANA_JID, muteEndTime: until * 1000 })
  ]);

  await sim.appStateAction(ME, { action: 'pin', chat: ANA });
  const [pinned] = await client.waitFor('chats.update', u => u.some(c => c.id === ANA_JID && c.pinned !== undefined), { since });
  expect(pinned!.pinned).toBeGreaterThan(Date.now() - 60_000);

  await sim.appStateAction(ME, { action: 'markRead', chat: ANA, read: false });
  expect(await client.waitFor('chats.update', u => u.some(c => c.id === ANA_JID && c.unreadCount === -1), { since })).toBeDefined();

  await sim.appStateAction(ME, { action: 'deleteMessageForMe', chat: ANA, messageId: 'OLDHELLO0001' });
  expect(await client.waitFor('messages.delete', () => true, { since })).toEqual({ keys: [{ remoteJid: ANA_JID, id: 'OLDHELLO0001', fromMe: false }] });

  await sim.appStateAction(ME, { action: 'deleteChat', chat: BRUNO });
  expect(await client.waitFor('chats.delete', () => true, { since })).toEqual([BRUNO_JID]);

  // The client ends at the server's versions: every patch MAC and LTHash checked out.
  const versions = sim.appState(ME).collections;
  const local = await client.sock.authState.keys.get('app-state-sync-version', ['regular_high', 'regular_low', 'critical_unblock_low']);
  expect({
    regular_high: local.regular_high?.version,
    regular_low: local.regular_low?.version,
    critical_unblock_low: local.critical_unblock_low?.version
  }).toEqual({ regular_high: versions.regular_high, regular_low: versions.regular_low, critical_unblock_low: versions.critical_unblock_low });
});

test("the client's own patches are checked, applied and readable in the simulator's app state", async () => {
  await client.sock.chatModify({ archive: false, lastMessages: [] }, ANA_JID);
  await client.sock.chatModify({ pin: false }, ANA_JID);
  await client.sock.chatModify({ mute: null }, ANA_JID);
  await client.sock.chatModify({ markRead: true, lastMessages: [] }, ANA_JID);
  await client.sock.chatModify({ clear: true, lastMessages: [] }, ANA_JID);
  expect(chatOf(ANA_JID)).toEqual({
    jid: ANA_JID,
    archived: false,
    mutedUntil: null,
    pinned: false,
    unread: false,
    deleted: false,
    cleared: true,
    deletedMessages: [{ id: 'OLDHELLO0001', fromMe: false }]
  });
  const mine = sim.appState(ME).mutations.filter(m => m.source === 'client').map(m => m.index[0]);
  expect(mine).toEqual(['archive', 'pin_v1', 'mute', 'markChatAsRead', 'clearChat']);
});

test('a phone change made while the client is away reaches it at its next login', async () => {
  const since = client.mark;
  sim.kick(ME, 'drop');
  await waitUntil(() => !sim.account(ME).link);
  sim.setOffline(ME, true);
  await sim.appStateAction(ME, { action: 'archive', chat: BRUNO });
  sim.setOffline(ME, false);
  client.start();
  await client.waitFor('connection.update', u => u.connection === 'open', { since });
  expect(await client.waitFor('chats.update', u => u.some(c => c.id === BRUNO_JID && c.archived === true), { since })).toBeDefined();
  expect(chatOf(BRUNO_JID)).toMatchObject({ archived: true, deleted: true });
});
