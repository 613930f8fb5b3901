import { EVENT_NAMES, EventDataSchemas, validateEvent } from '../../protocol/index.js';

const instance = { name: 'codechat', owner: '553195918699@s.whatsapp.net' };
const env = (event: string, data: unknown) => ({ event, instance, data, seq: 1, timestamp: 1672004593497 });
const message = {
  header: { messageId: '0542F8EF37C48548301A9C957C33EB17', fromMe: false, wuid: '123@s.whatsapp.net', pushName: 'pushName' },
  body: { messageType: 'conversation', message: 'Test' },
  context: { sourceDevice: 'android', messageTimestamp: 1666479478, fromGroup: false }
};
const queue = {
  queueId: '78e37ede-32d9-4636-83f0-39469daf89f6',
  progress: 100,
  queueTimestamp: 1672004593500,
  data: {
    jids: ['123@s.whatsapp.net', '456@s.whatsapp.net'],
    message: { messageType: 'extendedTextMessage', message: { text: 'hi' } },
    messageIds: ['BAESGT65172ED24G', 'LGMI5Y6I4W5IT5YI']
  }
};

// EVENTS.md "Events beyond the map": a group.
const group = {
  id: '120363000000000001@g.us',
  subject: 'Team',
  description: null,
  owner: '5531900000010@s.whatsapp.net',
  creation: 1700000000,
  participants: [
    { wuid: '5531900000010@s.whatsapp.net', lid: '100000000000010@lid', admin: 'superadmin' },
    { wuid: '553195918699@s.whatsapp.net', admin: null }
  ],
  announce: false,
  restrict: false,
  size: 2
};

// The event map's samples, with EVENTS.md's corrections applied.
const samples: [string, unknown][] = [
  ['connection.update', { instance: { name: 'codechat', id: 'unique id' }, state: 'open', statusReason: 200 }],
  ['qrcode.updated', { name: 'codechat', qrcode: { code: '2@J9pWS+08tuf2uUrFCw91UxzkLmuW', base64: 'data:image/png;base64,iVBORw0KGgo=' } }],
  ['chats.set', [{ participant: [], id: '123@s.whatsapp.net' }]],
  ['chats.update', [{ id: '123@s.whatsapp.net', conversationTimestamp: 1666473399, unreadCount: 1 }]],
  ['chats.delete', ['123@s.whatsapp.net']],
  ['presence.update', { jid: '123@s.whatsapp.net', presences: { '123@s.whatsapp.net': { lastKnownPresence: 'composing', lastSeen: 1672004025 } } }],
  ['contacts.set', [{ phoneNumber: '5531900000000', wuid: '5531900000000@s.whatsapp.net', profilePictureUrl: 'https://pps.whatsapp.net/x.jpg', instanceName: 'codechat' }]],
  ['contacts.upsert', [{ contactName: 'name', phoneNumber: '123', wuid: '123@s.whatsapp.net', instanceName: 'codechat' }]],
  ['contacts.update', [{ contactName: 'update name', phoneNumber: '123', wuid: '123@s.whatsapp.net', profilePictureUrl: 'update url', instanceName: 'codechat' }]],
  ['new.message', message],
  ['messages.update', { update: { status: 'READ', header: { messageId: '3A8B7F4631EA2A840895', wuid: '553197853327@s.whatsapp.net', fromMe: true }, dateTime: 1672002761941 } }],
  ['messages.update', { update: { edit: { messageType: 'conversation', message: 'Test, edited' }, header: { messageId: '3A8B7F4631EA2A840895', wuid: '553197853327@s.whatsapp.net', fromMe: false }, dateTime: 1672002761000 } }],
  ['messages.delete', [{ messageId: '0542F8EF37C48548301A9C957C33EB17', fromMe: false, wuid: '123@s.whatsapp.net' }]],
  ['messages.delete', { wuid: '123@s.whatsapp.net', all: true }],
  ['messages.set', [message]],
  ['status.broadcast', message],
  ['groups.upsert', [group]],
  ['groups.update', [{ id: group.id, subject: 'Renamed' }]],
  ['group-participants.update', { id: group.id, author: '5531900000010@s.whatsapp.net', action: 'add', participants: ['5531900000011@s.whatsapp.net'] }],
  ['send.message:START', { queue: { queueId: queue.queueId, queueTimestamp: queue.queueTimestamp, progress: 0, status: 'STARTED', total: 3 } }],
  ['send.message:PROCESSING', { queue: { queueId: queue.queueId, queueTimestamp: queue.queueTimestamp, progress: 67, messageId: 'BAE58965172ED18B', jid: '456@s.whatsapp.net' } }],
  ['send.message:COMPLETED', { queue }],
  ['send.message:ERROR', { number: '123@s.whatsapp.net', message: 'The number entered is not a valid whatsapp contact', status: 404, error: 'Not Found', queueId: queue.queueId }],
  ['send.message:ERROR', { number: '5531900000002', jid: '5531900000002@s.whatsapp.net', message: 'WhatsApp refused the message (error 479)', status: 479, error: 'Refused', queueId: queue.queueId }],
  ['paused.queue', { action: 'pause', queue: { ...queue, progress: 43 } }],
  ['resumed.queue', { action: 'resume', queue: { ...queue, progress: 43 } }],
  ['resumed.queue', { action: 'resume', reason: 'instance not connected', queue: { ...queue, progress: 43 } }],
  ['deleted.queue', { action: 'delete', queue: { ...queue, progress: 95 } }],
  // EVENTS.md "Events beyond the map".
  ['call', { id: '7D5B0C1A2E', from: '123@s.whatsapp.net', status: 'offer', isVideo: false, isGroup: false }],
  ['call', { id: '7D5B0C1A2E', from: '123@s.whatsapp.net', lid: '1234567890@lid', status: 'reject', isVideo: true, isGroup: false }],
  ['call', { id: '7D5B0C1A2F', from: '123@s.whatsapp.net', status: 'offer', isVideo: false, isGroup: true, groupJid: '120363000000000001@g.us' }]
];

test('the map covers every canonical event of EVENTS.md and the calls beyond it, and nothing else', () => {
  expect(EVENT_NAMES).toHaveLength(25);
  expect(new Set(samples.map(([name]) => name))).toEqual(new Set(EVENT_NAMES));
  for (const name of EVENT_NAMES) expect(EventDataSchemas[name]).toBeDefined();
});

test.each(samples)('the corrected sample of %s validates', (event, data) => {
  expect(validateEvent(env(event, data))).toEqual({ ok: true });
});

test.each([
  ['a slip of the map: connections.update', env('connections.update', samples[0]![1])],
  ['a slip of the map: message.update', env('message.update', samples[10]![1])],
  ['wrong state', env('connection.update', { instance: { name: 'codechat', id: 'x' }, state: 'opened', statusReason: 200 })],
  ['a QR that is not a PNG data URL', env('qrcode.updated', { name: 'codechat', qrcode: { code: 'x', base64: 'iVBOR' } })],
  ['a message without header', env('new.message', { body: message.body, context: message.context })],
  ['a timestamp as a string', env('new.message', { ...message, context: { ...message.context, messageTimestamp: '1666479478' } })],
  ['an update with neither status nor edit', env('messages.update', { update: { header: { messageId: 'a', wuid: 'b@s.whatsapp.net', fromMe: true }, dateTime: 1 } })],
  ['an edit without its body type', env('messages.update', { update: { edit: { message: 'x' }, header: { messageId: 'a', wuid: 'b@s.whatsapp.net', fromMe: true }, dateTime: 1 } })],
  ['an unknown status', env('messages.update', { update: { status: 'SEEN', header: { messageId: 'a', wuid: 'b@lid', fromMe: true }, dateTime: 1 } })],
  ['seq 0', { ...env('chats.delete', []), seq: 0 }],
  ['no instance', { event: 'chats.delete', data: [], seq: 1, timestamp: 1 }],
  ['progress above 100', env('send.message:COMPLETED', { queue: { ...queue, progress: 101 } })],
  ['PROCESSING with the lists', env('send.message:PROCESSING', { queue: { ...queue, progress: 67, messageId: 'BAE58965172ED18B', jid: '456@s.whatsapp.net' } })],
  ['a group member with an unknown role', env('groups.upsert', [{ ...group, participants: [{ wuid: 'a@s.whatsapp.net', admin: 'owner' }] }])],
  ['a participants update with an unknown action', env('group-participants.update', { id: group.id, author: null, action: 'modify', participants: [] })],
  ['a call status EVENTS.md does not name', env('call', { id: 'a', from: '123@s.whatsapp.net', status: 'terminate', isVideo: false, isGroup: false })],
  ['PROCESSING without its jid', env('send.message:PROCESSING', { queue: { queueId: queue.queueId, queueTimestamp: 1, progress: 67, messageId: 'BAE58965172ED18B' } })]
])('rejected: %s', (_why, envelope) => {
  const result = validateEvent(envelope);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
});
