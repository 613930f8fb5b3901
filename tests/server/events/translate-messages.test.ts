import { proto, type WAMessage, type WAMessageUpdate } from '@whiskeysockets/baileys';
import { validateEvent } from '../../../protocol/index.js';
import { MESSAGES_SET_BATCH, translate } from '../../../server/events/translate.js';
import type { BaileysEvent } from '../../../server/instances/instance-session.js';
import { translateContext } from './translate-context.js';

const ANA = '5531900000010@s.whatsapp.net';
const ANA_LID = '100000000000010@lid';
const GROUP = '120363000000000001@g.us';
const { Status, StubType } = proto.WebMessageInfo;

let ctx: ReturnType<typeof translateContext>;
beforeEach(() => (ctx = translateContext({ lookup: { [ANA_LID]: ANA } })));
afterEach(() => ctx.cleanup());

const text = (id: string, over: Partial<WAMessage> = {}): WAMessage => ({
  key: { remoteJid: ANA, fromMe: false, id },
  message: { conversation: `text of ${id}` },
  messageTimestamp: 1_700_000_000,
  pushName: 'Ana',
  ...over
});
const upsert = (type: 'notify' | 'append', ...messages: WAMessage[]): BaileysEvent => ({ name: 'messages.upsert', data: { type, messages } });
const item = (id: string, header: object = {}, body: object = { messageType: 'conversation', message: `text of ${id}` }) => ({
  header: { messageId: id, fromMe: false, wuid: ANA, pushName: 'Ana', ...header },
  body,
  context: { sourceDevice: expect.any(String), messageTimestamp: 1_700_000_000, fromGroup: false }
});
const run = (event: BaileysEvent) => {
  const out = translate(event, ctx);
  for (const e of out) expect(validateEvent({ ...e, instance: { name: 'codechat', owner: null }, seq: 1, timestamp: 1 })).toEqual({ ok: true });
  return out;
};

describe('messages.upsert', () => {
  test.each(['notify', 'append'] as const)('%s is a new.message (live, offline queue and own sends alike)', type => {
    expect(run(upsert(type, text('A1')))).toEqual([{ event: 'new.message', data: item('A1') }]);
    expect(ctx.storage.messages.get(ctx.instanceId, ANA, 'A1', false)?.messageType).toBe('conversation');
  });

  test('an own send is a new.message with fromMe and its stored status', () => {
    const own = text('OWN1', { key: { remoteJid: ANA, fromMe: true, id: 'OWN1' }, message: { extendedTextMessage: { text: 'mine' } }, pushName: undefined, status: Status.PENDING });
    expect(run(upsert('append', own))).toEqual([
      { event: 'new.message', data: item('OWN1', { fromMe: true, pushName: null }, { messageType: 'extendedTextMessage', message: { text: 'mine' } }) }
    ]);
    expect(ctx.storage.messages.get(ctx.instanceId, ANA, 'OWN1', true)?.status).toBe('PENDING');
  });

  test('a LID chat is reported by the phone-number JID from remoteJidAlt or the LID mapping; an unknown LID is sent with lid beside it', () => {
    const viaAlt = text('L1', { key: { remoteJid: '100000000000099@lid', remoteJidAlt: '5531900000099@s.whatsapp.net', fromMe: false, id: 'L1' } });
    const viaLookup = text('L2', { key: { remoteJid: ANA_LID, fromMe: false, id: 'L2' } });
    const unknown = text('L3', { key: { remoteJid: '100000000000077@lid', fromMe: false, id: 'L3' } });
    const [a, b, c] = run(upsert('notify', viaAlt, viaLookup, unknown));
    expect(a).toEqual({ event: 'new.message', data: item('L1', { wuid: '5531900000099@s.whatsapp.net' }) });
    expect(b).toEqual({ event: 'new.message', data: item('L2') });
    expect(c).toEqual({ event: 'new.message', data: item('L3', { wuid: '100000000000077@lid', lid: '100000000000077@lid' }) });
  });

  test('a group message names the group as wuid and the sender as participant', () => {
    const msg = text('G1', { key: { remoteJid: GROUP, participant: ANA_LID, fromMe: false, id: 'G1' } });
    expect(run(upsert('notify', msg))).toEqual([
      { event: 'new.message', data: { ...item('G1', { wuid: GROUP, participant: ANA }), context: { sourceDevice: expect.any(String), messageTimestamp: 1_700_000_000, fromGroup: true } } }
    ]);
  });

  test('a status is status.broadcast with the poster as wuid (its PN beside a LID participant), stored under status@broadcast', () => {
    const status = text('S1', {
      key: { remoteJid: 'status@broadcast', participant: '100000000000099@lid', remoteJidAlt: '5531900000099@s.whatsapp.net', fromMe: false, id: 'S1' },
      message: { extendedTextMessage: { text: 'beach' } }
    });
    expect(run(upsert('notify', status))).toEqual([
      { event: 'status.broadcast', data: item('S1', { wuid: '5531900000099@s.whatsapp.net' }, { messageType: 'extendedTextMessage', message: { text: 'beach' } }) }
    ]);
    expect(ctx.storage.messages.get(ctx.instanceId, 'status@broadcast', 'S1', false)).toBeDefined();
    expect(ctx.storage.messages.get(ctx.instanceId, '5531900000099@s.whatsapp.net', 'S1', false)).toBeUndefined();
  });

  test('a status from a LID participant without an alternate JID is resolved through the LID mapping', () => {
    const status = text('S2', { key: { remoteJid: 'status@broadcast', participant: ANA_LID, fromMe: false, id: 'S2' } });
    expect(run(upsert('notify', status))).toEqual([{ event: 'status.broadcast', data: item('S2') }]);
  });

  test('protocol messages (the carrier of an edit or a revoke, history notifications) are not messages', () => {
    const edit = text('P1', { message: { editedMessage: { message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT, key: { id: 'A1' }, editedMessage: { conversation: 'x' } } } } } });
    const revoke = text('P2', { message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: 'A1' } } } });
    expect(run(upsert('notify', edit, revoke))).toEqual([]);
  });
});

describe('messaging-history.set', () => {
  test('history is chats.set, contacts.set and messages.set in batches, never new.message', () => {
    const messages = Array.from({ length: MESSAGES_SET_BATCH + 1 }, (_, i) => text(`H${i}`));
    const out = run({
      name: 'messaging-history.set',
      data: { chats: [{ id: ANA, unreadCount: 2, conversationTimestamp: 1_700_000_000 }], contacts: [{ id: ANA, notify: 'Ana' }], messages, isLatest: true }
    } as BaileysEvent);
    expect(out.map(e => e.event)).toEqual(['chats.set', 'contacts.set', 'messages.set', 'messages.set']);
    expect(out[0]!.data).toEqual([{ id: ANA, name: null, conversationTimestamp: 1_700_000_000, unreadCount: 2 }]);
    const sizes = out.slice(2).map(e => (e.data as unknown[]).length);
    expect(sizes).toEqual([MESSAGES_SET_BATCH, 1]);
  });
});

describe('messages.update', () => {
  const update = (...updates: WAMessageUpdate[]): BaileysEvent => ({ name: 'messages.update', data: updates });

  test('a status change is one messages.update with the status name, and stored', () => {
    run(upsert('append', text('S1', { key: { remoteJid: ANA, fromMe: true, id: 'S1' } })));
    const [e] = run(update({ key: { remoteJid: ANA, fromMe: true, id: 'S1' }, update: { status: Status.DELIVERY_ACK } }));
    expect(e).toEqual({ event: 'messages.update', data: { update: { status: 'DELIVERY_ACK', header: { messageId: 'S1', wuid: ANA, fromMe: true }, dateTime: expect.any(Number) } } });
    expect(ctx.storage.messages.get(ctx.instanceId, ANA, 'S1', true)?.status).toBe('DELIVERY_ACK');
  });

  test('an edit is messages.update with edit, no status, its own time; the stored message takes the new body', () => {
    run(upsert('notify', text('E1')));
    const [e] = run(update({ key: { remoteJid: ANA_LID, fromMe: false, id: 'E1' }, update: { message: { editedMessage: { message: { conversation: 'fixed' } } }, messageTimestamp: 1_700_000_100 } }));
    expect(e).toEqual({ event: 'messages.update', data: { update: { edit: { messageType: 'conversation', message: 'fixed' }, header: { messageId: 'E1', wuid: ANA, fromMe: false }, dateTime: 1_700_000_100_000 } } });
    const stored = ctx.storage.messages.get(ctx.instanceId, ANA, 'E1', false);
    expect(stored?.message.message).toEqual({ conversation: 'fixed' });
    expect(stored?.message.key.id).toBe('E1');
  });

  test('an edit to another type of body changes the stored type too', () => {
    run(upsert('notify', text('E2')));
    run(update({ key: { remoteJid: ANA, fromMe: false, id: 'E2' }, update: { message: { editedMessage: { message: { extendedTextMessage: { text: 'with a link https://x.y' } } } } } }));
    expect(ctx.storage.messages.get(ctx.instanceId, ANA, 'E2', false)?.messageType).toBe('extendedTextMessage');
  });

  test('a revoke is a messages.delete and removes the stored message; an update without a status says nothing', () => {
    run(upsert('notify', text('R1')));
    expect(run(update({ key: { remoteJid: ANA, fromMe: false, id: 'R1' }, update: { message: null, messageStubType: StubType.REVOKE } }))).toEqual([
      { event: 'messages.delete', data: [{ messageId: 'R1', fromMe: false, wuid: ANA }] }
    ]);
    expect(ctx.storage.messages.get(ctx.instanceId, ANA, 'R1', false)).toBeUndefined();
    expect(run(update({ key: { remoteJid: ANA, fromMe: false, id: 'R2' }, update: { starred: true } }))).toEqual([]);
  });
});

describe('messages.delete', () => {
  test('keys give the list; a cleared chat gives {wuid, all: true} and empties it', () => {
    run(upsert('notify', text('D1'), text('D2')));
    expect(run({ name: 'messages.delete', data: { keys: [{ remoteJid: ANA_LID, fromMe: false, id: 'D1' }] } })).toEqual([
      { event: 'messages.delete', data: [{ messageId: 'D1', fromMe: false, wuid: ANA }] }
    ]);
    expect(run({ name: 'messages.delete', data: { jid: ANA, all: true } })).toEqual([{ event: 'messages.delete', data: { wuid: ANA, all: true } }]);
    expect(ctx.storage.messages.get(ctx.instanceId, ANA, 'D2', false)).toBeUndefined();
  });
});
