import type { BaileysEventMap, WAMessage } from '@whiskeysockets/baileys';
import { HISTORY_CHUNK, historyChunks } from '../../../server/events/translate.js';

type HistorySet = BaileysEventMap['messaging-history.set'];
const message = (i: number): WAMessage => ({ key: { remoteJid: '5531900000001@s.whatsapp.net', id: `M${i}`, fromMe: false }, message: { conversation: `m${i}` } });

test('a history larger than a chunk is split into parts of at most HISTORY_CHUNK rows, chats then contacts then messages, in order', () => {
  const data: HistorySet = {
    chats: [{ id: '5531900000001@s.whatsapp.net' }, { id: '5531900000002@s.whatsapp.net' }],
    contacts: [{ id: '5531900000001@s.whatsapp.net' }],
    messages: Array.from({ length: 2 * HISTORY_CHUNK + 1 }, (_, i) => message(i)),
    syncType: 0,
    progress: 100,
    isLatest: true
  };
  const parts = historyChunks(data);
  expect(parts.map(p => [p.chats.length, p.contacts.length, p.messages.length])).toEqual([
    [2, 0, 0],
    [0, 1, 0],
    [0, 0, HISTORY_CHUNK],
    [0, 0, HISTORY_CHUNK],
    [0, 0, 1]
  ]);
  expect(parts.flatMap(p => p.messages.map(m => m.key.id))).toEqual(data.messages.map(m => m.key.id));
  // Every part keeps the sync's type; only the last says it is the latest or reaches the chunk's
  // progress, so a client that stops at isLatest or at 100 has every part by then.
  expect(parts.every(p => p.syncType === 0)).toBe(true);
  expect(parts.map(p => p.isLatest)).toEqual([false, false, false, false, true]);
  expect(parts.map(p => p.progress)).toEqual([20, 40, 60, 80, 100]);
});

test('the parts of a later chunk count up from where the previous chunk of the sync left off', () => {
  const data: HistorySet = { chats: [], contacts: [], messages: Array.from({ length: 4 * HISTORY_CHUNK }, (_, i) => message(i)), syncType: 0, progress: 100, isLatest: false };
  expect(historyChunks(data, 92).map(p => p.progress)).toEqual([94, 96, 98, 100]);
  // Less than before is a sync that started over; the same as before leaves nothing to count.
  expect(historyChunks({ ...data, progress: 50 }, 92).map(p => p.progress)).toEqual([12, 25, 37, 50]);
  expect(historyChunks(data, 100).map(p => p.progress)).toEqual([100, 100, 100, 100]);
  expect(historyChunks({ ...data, progress: null }, 92).map(p => p.progress)).toEqual([null, null, null, null]);
});

test('an empty history stays one (empty) part, so its event is still translated once', () => {
  const data: HistorySet = { chats: [], contacts: [], messages: [], syncType: 2 };
  expect(historyChunks(data)).toEqual([data]);
});
