import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { WsClient } from '../helpers/ws-client.js';

const PHONE = '5521920000001';
const ANA = '5521920000010';
const GHOST = '5521920000099';
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;
let ws: WsClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({
    phone: PHONE,
    contacts: [{ phone: ANA, pushName: 'Ana' }, { phone: GHOST, onWhatsApp: false }],
    history: { messages: Array.from({ length: 5 }, (_, i) => ({ chat: ANA, text: `old ${i}`, id: `OLD${i}AAAAAA`, timestamp: 1_700_000_000 + i })) }
  });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '1000' } });
  const paired = await pairInstance(hub, sim, 'ops', PHONE);
  token = paired.token;
  io = paired.client;
  ws = new WsClient(hub.url, { token });
  await ws.open();
  await io.waitFor('messages.set', e => e.data.some(m => m.body.message === 'old 4'));
});
afterAll(async () => {
  io.close();
  ws.close();
  await hub.close();
  await sim.stop();
});

/** How REST reaches each command: method, path, and whether the arguments go in the body or the query. */
const REST: Record<string, [string, string, 'body' | 'query' | 'none']> = {
  'message.sendText': ['POST', '/message/sendText/ops', 'body'],
  'message.sendLocation': ['POST', '/message/sendLocation/ops', 'body'],
  'message.sendContact': ['POST', '/message/sendContact/ops', 'body'],
  'message.sendReaction': ['POST', '/message/sendReaction/ops', 'body'],
  'message.sendLink': ['POST', '/message/sendLink/ops', 'body'],
  'message.delete': ['DELETE', '/chat/deleteMessageForEveryone/ops', 'body'],
  'message.edit': ['POST', '/chat/updateMessage/ops', 'body'],
  'message.markRead': ['POST', '/chat/markMessageAsRead/ops', 'body'],
  'chats.find': ['POST', '/chat/findChats/ops', 'none'],
  'contacts.find': ['POST', '/chat/findContacts/ops', 'none'],
  'messages.find': ['POST', '/chat/findMessages/ops', 'body'],
  'numbers.check': ['POST', '/chat/whatsappNumbers/ops', 'body'],
  'profile.picture': ['POST', '/chat/fetchProfilePictureUrl/ops', 'body'],
  'presence.send': ['POST', '/chat/sendPresence/ops', 'body'],
  'presence.subscribe': ['POST', '/chat/subscribePresence/ops', 'body'],
  'instance.restart': ['PUT', '/instance/restart/ops', 'none'],
  'instance.events': ['GET', '/instance/events/ops', 'query']
};

type Transport = 'rest' | 'socket.io' | 'websocket';
const TRANSPORTS: Transport[] = ['rest', 'socket.io', 'websocket'];

/** Calls a command over a transport; answers `{ok, data}` or `{ok: false, error}` whatever the wire. */
async function call(transport: Transport, command: string, args: Record<string, unknown>): Promise<{ ok: boolean; data?: any; error?: any }> {
  const full = { instance: 'ops', ...args };
  if (transport === 'socket.io') return io.emit(command, full);
  if (transport === 'websocket') {
    const { ok, data, error } = await ws.call(command, full);
    return { ok, data, error };
  }
  const [method, path, from] = REST[command]!;
  const query = from === 'query' ? '?' + new URLSearchParams(Object.entries(args).map(([k, v]) => [k, String(v)])).toString() : '';
  const res = await hub.request(method, path + query, from === 'body' ? args : undefined, token);
  return res.status < 300 ? { ok: true, data: res.json } : { ok: false, error: res.json };
}

const sentTo = async (id: string) => {
  await waitUntil(() => sim.outbox(PHONE).some(o => o.id === id));
  return sim.outbox(PHONE).find(o => o.id === id)!;
};

describe.each(TRANSPORTS)('over %s', transport => {
  test('sendText with a quoted message and a mention', async () => {
    const r = await call(transport, 'message.sendText', { number: ANA, text: `hello @${ANA}`, quoted: 'OLD4AAAAAA', mentions: [ANA] });
    expect(r).toMatchObject({ ok: true, data: { key: { fromMe: true } } });
    const out = await sentTo(r.data.key.id);
    const ctx = (out.message as any).extendedTextMessage.contextInfo;
    expect(ctx.stanzaId).toBe('OLD4AAAAAA');
    expect(ctx.mentionedJid).toEqual([`${ANA}@s.whatsapp.net`]);
  });

  test('sendText quoting a message that does not exist: 400 in the map\'s words', async () => {
    const r = await call(transport, 'message.sendText', { number: ANA, text: 'x', quoted: 'NOPE123' });
    expect(r).toEqual({ ok: false, error: { status: 400, error: 'Bad Request', message: 'Message ID: NOPE123 - not found to be quoted' } });
  });

  test('sendText to a number not on WhatsApp: 404 naming the number', async () => {
    const r = await call(transport, 'message.sendText', { number: GHOST, text: 'x' });
    expect(r).toEqual({ ok: false, error: { status: 404, error: 'Not Found', message: `The number ${GHOST} is not a valid whatsapp contact` } });
  });

  test('sendLocation, sendContact and sendLink reach the contact', async () => {
    const loc = await call(transport, 'message.sendLocation', { number: ANA, latitude: -19.9, longitude: -43.9, name: 'BH' });
    expect((await sentTo(loc.data.key.id)).message).toMatchObject({ locationMessage: { degreesLatitude: -19.9, degreesLongitude: -43.9, name: 'BH' } });
    const card = await call(transport, 'message.sendContact', { number: ANA, contact: { fullName: 'Zeca Silva', phoneNumber: '+55 31 99999-0000' } });
    expect(((await sentTo(card.data.key.id)).message as any).contactMessage.vcard).toContain('FN:Zeca Silva');
    const started = Date.now();
    const link = await call(transport, 'message.sendLink', { number: ANA, text: 'see https://example.com/page' });
    expect((await sentTo(link.data.key.id)).text).toBe('see https://example.com/page');
    expect(Date.now() - started).toBeLessThan(2500); // no preview fetch waiting out a timeout
  });

  test('sendReaction, edit and delete act on an earlier message', async () => {
    const base = await call(transport, 'message.sendText', { number: ANA, text: 'original' });
    const key = { id: base.data.key.id, remoteJid: ANA, fromMe: true };
    const react = await call(transport, 'message.sendReaction', { key, reaction: '👍' });
    expect((await sentTo(react.data.key.id)).message).toMatchObject({ reactionMessage: { text: '👍', key: { id: key.id } } });
    const edit = await call(transport, 'message.edit', { key, text: 'edited' });
    const edited = (await sentTo(edit.data.key.id)).message as any;
    expect(edited.protocolMessage.key.id).toBe(key.id);
    expect(JSON.stringify(edited.protocolMessage.editedMessage)).toContain('edited');
    const del = await call(transport, 'message.delete', { key });
    expect((await sentTo(del.data.key.id)).message).toMatchObject({ protocolMessage: { type: 0, key: { id: key.id } } });
  });

  test('markRead sends the contact a read receipt', async () => {
    const { messageId } = await sim.sendText(PHONE, ANA, `read me ${transport}`);
    await io.waitFor('new.message', e => e.data.header.messageId === messageId);
    const r = await call(transport, 'message.markRead', { keys: [{ id: messageId, remoteJid: ANA, fromMe: false }] });
    expect(r).toEqual({ ok: true, data: { read: 1 } });
    await waitUntil(() => sim.clientReceipts(PHONE).some(x => x.type === 'read' && x.ids.includes(messageId)));
  });

  test('chats.find, contacts.find and messages.find answer from the store, paged newest first', async () => {
    const chats = await call(transport, 'chats.find', {});
    expect(chats.data.map((c: { id: string }) => c.id)).toContain(`${ANA}@s.whatsapp.net`);
    const contacts = await call(transport, 'contacts.find', {});
    expect(contacts.data).toEqual(expect.arrayContaining([expect.objectContaining({ wuid: `${ANA}@s.whatsapp.net`, pushName: 'Ana' })]));
    const first = await call(transport, 'messages.find', { chat: ANA, limit: 2 });
    expect(first.data.messages).toHaveLength(2);
    const ts = first.data.messages.map((m: any) => m.context.messageTimestamp);
    expect(ts[0]).toBeGreaterThanOrEqual(ts[1]);
    const second = await call(transport, 'messages.find', { chat: ANA, limit: 2, cursor: first.data.next });
    const ids = [...first.data.messages, ...second.data.messages].map((m: any) => m.header.messageId);
    expect(new Set(ids).size).toBe(4);
    const bad = await call(transport, 'messages.find', { chat: ANA, cursor: 'garbage' });
    expect(bad).toMatchObject({ ok: false, error: { status: 400 } });
  });

  test('numbers.check and profile.picture', async () => {
    const r = await call(transport, 'numbers.check', { numbers: [ANA, GHOST] });
    expect(r.data).toEqual([
      { number: ANA, exists: true, jid: `${ANA}@s.whatsapp.net` },
      { number: GHOST, exists: false, jid: null }
    ]);
    expect((await call(transport, 'profile.picture', { number: ANA })).data.url).toContain(`${ANA}.png`);
    expect((await call(transport, 'profile.picture', { number: GHOST })).data).toEqual({ number: GHOST, url: null });
  });

  test('presence.send shows the chat state to the contact; presence.subscribe brings theirs', async () => {
    expect(await call(transport, 'presence.send', { number: ANA, presence: 'composing' })).toEqual({ ok: true, data: { sent: true } });
    await waitUntil(() => sim.clientPresence(PHONE).some(p => p.state === 'composing' && p.to === `${ANA}@s.whatsapp.net`));
    sim.presence(PHONE, ANA, 'available');
    const before = io.events.length;
    expect(await call(transport, 'presence.subscribe', { number: ANA })).toEqual({ ok: true, data: { subscribed: true } });
    await io.waitFor('presence.update', e => io.events.indexOf(e) >= before && Object.values(e.data.presences).some(p => p.lastKnownPresence === 'available'));
  });

  test('instance.events serves the log after a seq', async () => {
    const last = io.events.at(-1)!.seq;
    const r = await call(transport, 'instance.events', { after: last - 3, limit: 2 });
    expect(r.data.events.map((e: { seq: number }) => e.seq)).toEqual([last - 2, last - 1]);
    expect(r.data.more).toBe(true);
  });
});

test.each(TRANSPORTS)('instance.restart over %s reconnects with the same credentials', async transport => {
  const before = io.events.length;
  const r = await call(transport, 'instance.restart', {});
  expect(r.ok).toBe(true);
  await io.waitFor('connection.update', e => io.events.indexOf(e) >= before && e.data.state === 'open');
  expect(io.events.slice(before).some(e => e.event === 'qrcode.updated')).toBe(false);
});
