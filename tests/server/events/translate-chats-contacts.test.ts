import { validateEvent } from '../../../protocol/index.js';
import { translate } from '../../../server/events/translate.js';
import { chatsRead, unreadAfter } from '../../../server/events/translate-chats.js';
import { pictureAfter } from '../../../server/events/translate-contacts.js';
import type { BaileysEvent } from '../../../server/instances/instance-session.js';
import { translateContext } from './translate-context.js';

const ANA = '5531900000010@s.whatsapp.net';
const ANA_LID = '100000000000010@lid';
const URL_V2 = 'https://pps.whatsapp.net/v/ana.jpg?id=2';

let ctx: ReturnType<typeof translateContext>;
beforeEach(() => (ctx = translateContext({ lookup: { [ANA_LID]: ANA }, pictures: { [ANA]: URL_V2, [ANA_LID]: URL_V2 } })));
afterEach(() => ctx.cleanup());

const run = (event: BaileysEvent) => {
  const out = translate(event, ctx);
  for (const e of out) expect(validateEvent({ ...e, instance: { name: 'codechat', owner: null }, seq: 1, timestamp: 1 })).toEqual({ ok: true });
  return out;
};
const unreadOf = (event: BaileysEvent) => run(event).flatMap(e => (e.event === 'chats.update' ? e.data.map(c => c.unreadCount) : []));
const chatsUpdate = (chat: object): BaileysEvent => ({ name: 'chats.update', data: [{ id: ANA, ...chat }] });

describe('unreadAfter (Baileys reports a change, the contract a count)', () => {
  test.each([
    ['a new message adds one', 2, 1, false, 3],
    ['messages buffered while offline add up', 0, 3, false, 3],
    ['nothing stored yet counts from zero', null, 1, false, 1],
    ['read resets', 5, 0, false, 0],
    ['marked unread is -1', 0, -1, false, -1],
    ['a message after marked unread counts from zero', -1, 1, false, 1],
    ['null changes nothing', 4, null, false, undefined],
    ['a snapshot (history, a new chat) is the count itself', 4, 2, true, 2]
  ])('%s', (_why, stored, reported, snapshot, expected) => {
    expect(unreadAfter(stored, reported, snapshot)).toBe(expected);
  });
});

describe('chats', () => {
  test('three +1 updates report 1, 2, 3 and the chat is stored with 3; 0 reports and stores 0', () => {
    expect([1, 1, 1].flatMap(n => unreadOf(chatsUpdate({ unreadCount: n, conversationTimestamp: 1_700_000_000 })))).toEqual([1, 2, 3]);
    expect(ctx.storage.chats.get(ctx.instanceId, ANA)?.unread_count).toBe(3);
    expect(unreadOf(chatsUpdate({ unreadCount: 0 }))).toEqual([0]);
    expect(ctx.storage.chats.get(ctx.instanceId, ANA)).toMatchObject({ unread_count: 0, conversation_timestamp: 1_700_000_000 });
  });

  test('chats the account read (markRead) are reported once each with unreadCount 0', () => {
    run(chatsUpdate({ unreadCount: 2 }));
    expect(chatsRead(ctx, [ANA, ANA])).toEqual([{ event: 'chats.update', data: [{ id: ANA, name: null, conversationTimestamp: null, unreadCount: 0 }] }]);
    expect(ctx.storage.chats.get(ctx.instanceId, ANA)?.unread_count).toBe(0);
  });

  test('an update reports the chat as stored, and a LID chat by its phone-number JID', () => {
    run({ name: 'chats.upsert', data: [{ id: ANA, name: 'Ana', unreadCount: 4, conversationTimestamp: 1_700_000_000 }] });
    expect(run({ name: 'chats.update', data: [{ id: ANA_LID, unreadCount: 1 }] })).toEqual([
      { event: 'chats.update', data: [{ id: ANA, name: 'Ana', conversationTimestamp: 1_700_000_000, unreadCount: 5 }] }
    ]);
  });

  test('chats.delete removes the chat; presence names the phone-number JID', () => {
    run(chatsUpdate({ unreadCount: 1 }));
    expect(run({ name: 'chats.delete', data: [ANA_LID] })).toEqual([{ event: 'chats.delete', data: [ANA] }]);
    expect(ctx.storage.chats.get(ctx.instanceId, ANA)).toBeUndefined();
    expect(run({ name: 'presence.update', data: { id: ANA_LID, presences: { [ANA_LID]: { lastKnownPresence: 'composing' } } } })).toEqual([
      { event: 'presence.update', data: { jid: ANA, presences: { [ANA]: { lastKnownPresence: 'composing', lastSeen: null } } } }
    ]);
  });
});

describe('contacts', () => {
  test.each([
    ['removed is null', 'removed', null],
    ['changed is the URL fetched before translating', 'changed', URL_V2],
    ['a URL is itself', 'https://x/y.jpg', 'https://x/y.jpg'],
    ['absent keeps what is stored', undefined, undefined]
  ])('pictureAfter: %s', (_why, imgUrl, expected) => {
    expect(pictureAfter(ctx, ANA, imgUrl)).toBe(expected);
  });

  test('a changed picture not fetched (WhatsApp did not answer) keeps the stored URL', () => {
    expect(pictureAfter({ pictures: new Map() }, ANA, 'changed')).toBeUndefined();
  });

  test('picture removed then changed: contacts.update with null, then with the new URL, and the store follows', () => {
    run({ name: 'contacts.upsert', data: [{ id: ANA, notify: 'Ana', imgUrl: 'https://pps.whatsapp.net/v/ana.jpg?id=1' }] });
    expect(run({ name: 'contacts.update', data: [{ id: ANA, imgUrl: 'removed' }] })).toEqual([
      { event: 'contacts.update', data: [{ wuid: ANA, phoneNumber: '5531900000010', lid: null, contactName: null, pushName: 'Ana', profilePictureUrl: null, instanceName: 'codechat' }] }
    ]);
    expect(ctx.storage.contacts.get(ctx.instanceId, ANA)?.profile_picture_url).toBeNull();
    const [changed] = run({ name: 'contacts.update', data: [{ id: ANA_LID, imgUrl: 'changed' }] });
    expect(changed).toEqual({
      event: 'contacts.update',
      // Named by its LID this time, so the contact learns its LID too.
      data: [{ wuid: ANA, phoneNumber: '5531900000010', lid: ANA_LID, contactName: null, pushName: 'Ana', profilePictureUrl: URL_V2, instanceName: 'codechat' }]
    });
    expect(ctx.storage.contacts.get(ctx.instanceId, ANA)?.profile_picture_url).toBe(URL_V2);
  });

  test('a push name from a message is stored and reported; an unknown LID contact keeps its LID', () => {
    expect(run({ name: 'contacts.update', data: [{ id: ANA, notify: 'Ana Maria' }] })[0]?.data).toEqual([expect.objectContaining({ wuid: ANA, pushName: 'Ana Maria' })]);
    expect(run({ name: 'contacts.upsert', data: [{ id: '100000000000077@lid', name: 'Zé' }] })[0]?.data).toEqual([
      { wuid: '100000000000077@lid', phoneNumber: null, lid: '100000000000077@lid', contactName: 'Zé', pushName: null, profilePictureUrl: null, instanceName: 'codechat' }
    ]);
  });
});
