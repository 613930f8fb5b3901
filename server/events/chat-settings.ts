import { toNumber, type Chat } from '@whiskeysockets/baileys';
import type { EventData } from '../../protocol/index.js';
import { resolveJid } from './jids.js';
import type { TranslateContext } from './translate.js';

type ChatItem = EventData<'chats.update'>[number];
type BaileysChatUpdate = Partial<Chat> & { id: string };

/**
 * Baileys' `chats.update` from app state (archive, mute, pin, mark read/unread)
 * rides on the same event as message counters. Marking read gives
 * `unreadCount: 0` and marking unread `-1`, with no timestamp; a new message
 * always brings its `conversationTimestamp`.
 */
const isReadMark = (c: BaileysChatUpdate): boolean =>
  (c.unreadCount === 0 || c.unreadCount === -1) && c.conversationTimestamp == null && !c.messages;

/**
 * Takes the app-state fields out of Baileys' chat updates: each becomes its own
 * contract item with only what changed (`archived`, `mutedUntil` in seconds,
 * `pinned`, `markedUnread`). Answers those items and the updates left for the
 * ordinary chat translation (none when an update was only app state).
 */
export function splitChatSettings(ctx: TranslateContext, chats: BaileysChatUpdate[]): { settings: ChatItem[]; rest: BaileysChatUpdate[] } {
  const settings: ChatItem[] = [];
  const rest: BaileysChatUpdate[] = [];
  for (const chat of chats) {
    const { archived, muteEndTime, pinned, ...others } = chat;
    const id = resolveJid(chat.id, ctx.lookup).wuid;
    const item: ChatItem = { id };
    if (archived != null) item.archived = archived;
    if (muteEndTime !== undefined) item.mutedUntil = muteEndTime == null ? null : Math.floor(toNumber(muteEndTime) / 1000);
    if (pinned !== undefined) item.pinned = pinned != null;
    if (isReadMark(chat)) {
      const read = chat.unreadCount === 0;
      if (read) {
        item.unreadCount = 0;
        ctx.storage.chats.upsert(ctx.instanceId, { jid: id, unreadCount: 0 });
      }
      item.markedUnread = !read;
      delete others.unreadCount;
    }
    if (Object.keys(item).length > 1) settings.push(item);
    // Anything beyond the id and Baileys' own bookkeeping is left for the chat translation.
    const { conditional: _conditional, ...fields } = others as BaileysChatUpdate & { conditional?: unknown };
    if (Object.keys(fields).some(k => k !== 'id')) rest.push(fields as BaileysChatUpdate);
  }
  return { settings, rest };
}
