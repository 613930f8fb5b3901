import { join } from 'node:path';
import { validateEvent } from '../../../protocol/index.js';
import { translate, type TranslateContext } from '../../../server/events/translate.js';
import { createStorage, type Storage } from '../../../storage/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

const ANA = '5521960000010@s.whatsapp.net';
const ANA_LID = '123456789012345@lid';
let dir: ReturnType<typeof tempDir>;
let storage: Storage;
let ctx: TranslateContext;

beforeEach(() => {
  dir = tempDir('wahub-chat-settings-');
  storage = createStorage(join(dir.path, 'hub.sqlite'));
  const instance = storage.instances.create({ name: 'unit', token_hash: 'h', state: 'open' });
  ctx = { instanceId: instance.id, instanceName: 'unit', storage, lookup: new Map([[ANA_LID, ANA]]), pictures: new Map() };
});
afterEach(() => {
  storage.close();
  dir.cleanup();
});

const chatsUpdate = (data: object[]) => translate({ name: 'chats.update', data } as never, ctx);
const envelope = (pending: { event: string; data: unknown }) => ({ ...pending, instance: { name: 'unit', owner: null }, seq: 1, timestamp: 1 });

test.each([
  ['archive', { id: ANA, archived: true, conditional: undefined }, { id: ANA, archived: true }],
  ['unarchive', { id: ANA, archived: false }, { id: ANA, archived: false }],
  ['mute (WhatsApp milliseconds to seconds)', { id: ANA, muteEndTime: 1_800_000_123_456 }, { id: ANA, mutedUntil: 1_800_000_123 }],
  ['unmute', { id: ANA, muteEndTime: null }, { id: ANA, mutedUntil: null }],
  ['pin (a timestamp in Baileys)', { id: ANA, pinned: 1_700_000_000_000 }, { id: ANA, pinned: true }],
  ['unpin', { id: ANA, pinned: null }, { id: ANA, pinned: false }],
  ['mark unread (Baileys: -1)', { id: ANA, unreadCount: -1 }, { id: ANA, markedUnread: true }],
  ['mark read', { id: ANA, unreadCount: 0 }, { id: ANA, unreadCount: 0, markedUnread: false }],
  ['a LID chat, resolved to its phone number', { id: ANA_LID, archived: true }, { id: ANA, archived: true }]
])('%s becomes one chats.update item with only what changed', (_name, baileys, contract) => {
  const events = chatsUpdate([baileys]);
  expect(events).toEqual([{ event: 'chats.update', data: [contract] }]);
  expect(validateEvent(envelope(events[0]!))).toEqual({ ok: true });
});

test('marking read resets the stored unread count', () => {
  storage.chats.upsert(ctx.instanceId, { jid: ANA, unreadCount: 3 });
  chatsUpdate([{ id: ANA, unreadCount: 0 }]);
  expect(storage.chats.get(ctx.instanceId, ANA)?.unread_count).toBe(0);
});

test('a message counter update is left to the chat translation, and an update carrying both gives both', () => {
  const counter = chatsUpdate([{ id: ANA, conversationTimestamp: 1_700_000_100, unreadCount: 1 }]);
  expect(counter).toEqual([{ event: 'chats.update', data: [expect.objectContaining({ id: ANA, conversationTimestamp: 1_700_000_100 })] }]);
  expect(counter[0]!.data).toEqual([expect.not.objectContaining({ markedUnread: expect.anything() })]);

  const both = chatsUpdate([{ id: ANA, archived: true, conversationTimestamp: 1_700_000_200, unreadCount: 1 }]);
  expect(both).toEqual([
    { event: 'chats.update', data: [{ id: ANA, archived: true }] },
    { event: 'chats.update', data: [expect.objectContaining({ id: ANA, conversationTimestamp: 1_700_000_200 })] }
  ]);
});

const storeMessage = () =>
  storage.messages.upsert(ctx.instanceId, {
    chatJid: ANA,
    id: 'M1',
    fromMe: false,
    participant: null,
    pushName: null,
    messageType: 'conversation',
    message: { key: { remoteJid: ANA, id: 'M1', fromMe: false }, message: { conversation: 'x' }, messageTimestamp: 1 },
    status: null,
    timestamp: 1
  });

test('a cleared chat (messages.delete with all) empties the stored chat and says so', () => {
  storeMessage();
  const events = translate({ name: 'messages.delete', data: { jid: ANA_LID, all: true } }, ctx);
  expect(events).toEqual([{ event: 'messages.delete', data: { wuid: ANA, all: true } }]);
  expect(storage.messages.page(ctx.instanceId, ANA, { limit: 5 }).messages).toEqual([]);
});

test('a deleted chat leaves the store with its messages', () => {
  storage.chats.upsert(ctx.instanceId, { jid: ANA, name: 'Ana' });
  storeMessage();
  expect(translate({ name: 'chats.delete', data: [ANA_LID] }, ctx)).toEqual([{ event: 'chats.delete', data: [ANA] }]);
  expect(storage.chats.get(ctx.instanceId, ANA)).toBeUndefined();
  expect(storage.messages.page(ctx.instanceId, ANA, { limit: 5 }).messages).toEqual([]);
});
