import { validateEvent, type EventEnvelope } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator } from '../helpers/simulator.js';
import { WsClient } from '../helpers/ws-client.js';

const PHONE = '5521940000001';
const BRUNO = '5521940000020';
const CAIO = '5521940000021';
/** One chat per transport, so each transport's commands are asserted on a chat of their own. */
const CHAT = { rest: '5521940000011', 'socket.io': '5521940000012', websocket: '5521940000013' } as const;
const jidOf = (phone: string) => `${phone}@s.whatsapp.net`;

let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;
let ws: WsClient;

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  sim.createAccount({
    phone: PHONE,
    contacts: [...Object.values(CHAT), BRUNO, CAIO].map(phone => ({ phone, pushName: `P${phone.slice(-2)}` }))
  });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '1000' } });
  const paired = await pairInstance(hub, sim, 'apps', PHONE);
  token = paired.token;
  io = paired.client;
  ws = new WsClient(hub.url, { token });
  await ws.open();
  // The push-name chunk is the last of the first sync: app state is synced by then and changes are live ones.
  await io.waitFor('contacts.set', e => e.data.some(c => c.pushName === 'P21'));
});
afterAll(async () => {
  io.close();
  ws.close();
  await hub.close();
  await sim.stop();
});

type Transport = keyof typeof CHAT;
const REST: Record<string, [string, string]> = {
  'chat.archive': ['POST', '/chat/archiveChat/apps'],
  'chat.mute': ['POST', '/chat/muteChat/apps'],
  'chat.pin': ['POST', '/chat/pinChat/apps'],
  'chat.markUnread': ['POST', '/chat/markChatUnread/apps'],
  'chat.delete': ['DELETE', '/chat/deleteChat/apps'],
  'chat.clear': ['POST', '/chat/clearChat/apps'],
  'message.deleteForMe': ['DELETE', '/chat/deleteMessageForMe/apps'],
  'chats.find': ['POST', '/chat/findChats/apps'],
  'messages.find': ['POST', '/chat/findMessages/apps']
};

async function call(transport: Transport, command: string, args: Record<string, unknown>): Promise<{ ok: boolean; data?: any; error?: any }> {
  const full = { instance: 'apps', ...args };
  if (transport === 'socket.io') return io.emit(command, full);
  if (transport === 'websocket') {
    const { ok, data, error } = await ws.call(command, full);
    return { ok, data, error };
  }
  const [method, path] = REST[command]!;
  const res = await hub.request(method, path, command === 'chats.find' ? undefined : args, token);
  return res.status < 300 ? { ok: true, data: res.json } : { ok: false, error: res.json };
}

/** The next event of that name after `seq` that passes the test, checked against its schema. */
async function next<N extends EventEnvelope['event']>(event: N, seq: number, test: (e: Extract<EventEnvelope, { event: N }>) => boolean) {
  const found = await io.waitFor(event, e => e.seq > seq && test(e));
  expect(validateEvent(found)).toEqual({ ok: true });
  return found;
}
const lastSeq = () => io.events.at(-1)?.seq ?? 0;
const chatState = (phone: string) => sim.appState(PHONE).chats.find(c => c.jid === jidOf(phone));
const has = (key: string) => (e: { data: object[] }) => e.data.some(c => key in c);

describe.each(Object.keys(CHAT) as Transport[])('over %s', transport => {
  const phone = CHAT[transport];
  const jid = jidOf(phone);

  test('archive, mute, pin and mark unread reach the app state and come back as chats.update', async () => {
    let seq = lastSeq();
    expect(await call(transport, 'chat.archive', { number: phone })).toEqual({ ok: true, data: { jid, archived: true } });
    expect((await next('chats.update', seq, has('archived'))).data).toEqual([{ id: jid, archived: true }]);

    const until = Math.floor(Date.now() / 1000) + 8 * 3600;
    seq = lastSeq();
    expect(await call(transport, 'chat.mute', { number: phone, until })).toEqual({ ok: true, data: { jid, mutedUntil: until } });
    expect((await next('chats.update', seq, has('mutedUntil'))).data).toEqual([{ id: jid, mutedUntil: until }]);

    seq = lastSeq();
    expect(await call(transport, 'chat.pin', { number: phone })).toEqual({ ok: true, data: { jid, pinned: true } });
    expect((await next('chats.update', seq, has('pinned'))).data).toEqual([{ id: jid, pinned: true }]);

    seq = lastSeq();
    expect(await call(transport, 'chat.markUnread', { number: phone })).toEqual({ ok: true, data: { jid, markedUnread: true } });
    expect((await next('chats.update', seq, has('markedUnread'))).data).toEqual([{ id: jid, markedUnread: true }]);
    expect(chatState(phone)).toMatchObject({ archived: true, mutedUntil: until, pinned: true, unread: true });

    const undo: [string, Record<string, unknown>, object][] = [
      ['chat.archive', { archive: false }, { archived: false }],
      ['chat.mute', { until: null }, { mutedUntil: null }],
      ['chat.pin', { pin: false }, { pinned: false }],
      ['chat.markUnread', { unread: false }, { unreadCount: 0, markedUnread: false }]
    ];
    for (const [command, args, change] of undo) {
      seq = lastSeq();
      expect(await call(transport, command, { number: phone, ...args })).toMatchObject({ ok: true });
      const field = Object.keys(change).at(-1)!;
      expect((await next('chats.update', seq, has(field))).data).toEqual([{ id: jid, ...change }]);
    }
    expect(chatState(phone)).toMatchObject({ archived: false, mutedUntil: null, pinned: false, unread: false });
  });

  test('deleteForMe, clear and delete reach the app state and the store', async () => {
    const first = await sim.sendText(PHONE, phone, `one ${transport}`);
    const second = await sim.sendText(PHONE, phone, `two ${transport}`);
    await io.waitFor('new.message', e => e.data.header.messageId === second.messageId);

    let seq = lastSeq();
    const key = { id: first.messageId, remoteJid: phone, fromMe: false };
    expect(await call(transport, 'message.deleteForMe', { key })).toEqual({ ok: true, data: { key: { ...key, remoteJid: jid }, deleted: true } });
    expect((await next('messages.delete', seq, () => true)).data).toEqual([{ messageId: first.messageId, fromMe: false, wuid: jid }]);
    expect(chatState(phone)?.deletedMessages).toEqual([{ id: first.messageId, fromMe: false }]);
    const left = await call(transport, 'messages.find', { chat: phone });
    expect(left.data.messages.map((m: any) => m.header.messageId)).toEqual([second.messageId]);

    seq = lastSeq();
    expect(await call(transport, 'chat.clear', { number: phone })).toEqual({ ok: true, data: { jid, cleared: true } });
    expect((await next('messages.delete', seq, () => true)).data).toEqual({ wuid: jid, all: true });
    expect(chatState(phone)?.cleared).toBe(true);
    expect((await call(transport, 'messages.find', { chat: phone })).data.messages).toEqual([]);

    seq = lastSeq();
    expect(await call(transport, 'chat.delete', { number: phone })).toEqual({ ok: true, data: { jid, deleted: true } });
    expect((await next('chats.delete', seq, () => true)).data).toEqual([jid]);
    expect(chatState(phone)?.deleted).toBe(true);
    expect((await call(transport, 'chats.find', {})).data.map((c: { id: string }) => c.id)).not.toContain(jid);
    // The clear was reported once: by the command, not again when the app state came back.
    expect(io.of('messages.delete').filter(e => !Array.isArray(e.data) && e.data.wuid === jid)).toHaveLength(1);
  });
});

describe('what the user does on the phone', () => {
  const jid = jidOf(BRUNO);

  test('a new contact arrives as contacts.upsert', async () => {
    const seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'contact', phone: CAIO, fullName: 'Caio Prado', firstName: 'Caio' });
    const upsert = await next('contacts.upsert', seq, () => true);
    expect(upsert.data).toEqual([
      {
        wuid: jidOf(CAIO),
        phoneNumber: CAIO,
        lid: sim.account(PHONE).contact(CAIO)!.lidJid,
        contactName: 'Caio Prado',
        pushName: 'P21',
        profilePictureUrl: null,
        instanceName: 'apps'
      }
    ]);
  });

  test('archive, mute, pin and mark read or unread arrive as chats.update with only what changed', async () => {
    let seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'archive', chat: BRUNO });
    expect((await next('chats.update', seq, has('archived'))).data).toEqual([{ id: jid, archived: true }]);
    seq = lastSeq();
    const until = Math.floor(Date.now() / 1000) + 3600;
    await sim.appStateAction(PHONE, { action: 'mute', chat: BRUNO, until });
    expect((await next('chats.update', seq, has('mutedUntil'))).data).toEqual([{ id: jid, mutedUntil: until }]);
    seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'pin', chat: BRUNO });
    expect((await next('chats.update', seq, has('pinned'))).data).toEqual([{ id: jid, pinned: true }]);
    seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'markRead', chat: BRUNO, read: false });
    expect((await next('chats.update', seq, has('markedUnread'))).data).toEqual([{ id: jid, markedUnread: true }]);
    seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'markRead', chat: BRUNO, read: true });
    expect((await next('chats.update', seq, has('markedUnread'))).data).toEqual([{ id: jid, unreadCount: 0, markedUnread: false }]);
    seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'mute', chat: BRUNO, until: null });
    expect((await next('chats.update', seq, has('mutedUntil'))).data).toEqual([{ id: jid, mutedUntil: null }]);
  });

  test('delete for me, clear and delete arrive as messages.delete and chats.delete, and the store follows', async () => {
    const first = await sim.sendText(PHONE, BRUNO, 'keep?');
    const second = await sim.sendText(PHONE, BRUNO, 'and this');
    await io.waitFor('new.message', e => e.data.header.messageId === second.messageId);

    let seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'deleteMessageForMe', chat: BRUNO, messageId: first.messageId });
    expect((await next('messages.delete', seq, () => true)).data).toEqual([{ messageId: first.messageId, fromMe: false, wuid: jid }]);

    seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'clearChat', chat: BRUNO });
    expect((await next('messages.delete', seq, () => true)).data).toEqual({ wuid: jid, all: true });
    expect((await call('rest', 'messages.find', { chat: BRUNO })).data.messages).toEqual([]);

    seq = lastSeq();
    await sim.appStateAction(PHONE, { action: 'deleteChat', chat: BRUNO });
    expect((await next('chats.delete', seq, () => true)).data).toEqual([jid]);
    expect((await call('rest', 'chats.find', {})).data.map((c: { id: string }) => c.id)).not.toContain(jid);
    expect(io.of('messages.delete').filter(e => !Array.isArray(e.data) && e.data.wuid === jid)).toHaveLength(1);
  });
});

test("a chat change's own event is not held when Baileys' event buffer lost its scheduled flush", async () => {
  const sock = hub.app.hub.registry.get('apps').session.socket!;
  // rc14: a flush inside a buffered function leaves its end-of-work flush timer to fire on an
  // idle buffer, after which no buffered function schedules a flush again.
  await sock.ev.createBufferedFunction(async () => void sock.ev.flush())();
  await new Promise(r => setTimeout(r, 150));
  const seq = lastSeq();
  const phone = CHAT.rest;
  await call('rest', 'chat.pin', { number: phone });
  // Held, it would come out with the next stanza or after Baileys' 30 s buffer timeout.
  const pinned = await io.waitFor('chats.update', e => e.seq > seq && e.data.some(c => 'pinned' in c), 5000);
  expect(pinned.data).toEqual([{ id: jidOf(phone), pinned: true }]);
});
