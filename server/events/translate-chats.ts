import { areJidsSameUser, type BaileysEventMap, type Chat } from '@whiskeysockets/baileys';
import type { PendingEvent } from '../../protocol/index.js';
import type { ChatRow } from '../../storage/index.js';
import { resolveJid } from './jids.js';
import { toNumber } from './message-shape.js';
import type { TranslateContext } from './translate-context.js';

type ChatData = Extract<PendingEvent, { event: 'chats.update' }>['data'][number];
type Presence = 'unavailable' | 'available' | 'composing' | 'recording' | 'paused';

/**
 * The unread count to store. A snapshot (history, a new chat) gives the count
 * itself; Baileys' `chats.update` gives a change: a positive number is that many
 * new messages, 0 the chat was read, -1 the user marked it unread, null nothing.
 */
export function unreadAfter(stored: number | null | undefined, reported: number | null | undefined, snapshot: boolean): number | undefined {
  if (reported === null || reported === undefined) return undefined;
  if (snapshot || reported === 0) return reported;
  if (reported < 0) return -1;
  return Math.max(stored ?? 0, 0) + reported;
}

const report = (row: ChatRow): ChatData => ({
  id: row.jid,
  name: row.name,
  conversationTimestamp: row.conversation_timestamp,
  unreadCount: row.unread_count
});

/** Merges what Baileys says of a chat into the store and answers the chat as it now is. */
export function storeChat(ctx: TranslateContext, chat: Partial<Chat> & { id: string }, snapshot: boolean): ChatData {
  const jid = resolveJid(chat.id, ctx.lookup).wuid;
  const stored = snapshot ? undefined : ctx.storage.chats.get(ctx.instanceId, jid);
  const row = ctx.storage.chats.upsert(ctx.instanceId, {
    jid,
    name: chat.name ?? undefined,
    unreadCount: unreadAfter(stored?.unread_count, chat.unreadCount, snapshot),
    conversationTimestamp: chat.conversationTimestamp == null ? undefined : toNumber(chat.conversationTimestamp)
  });
  return report(row);
}

/** The chats a `chats.upsert` (new chats: counts as they are) or `chats.update` (changes) names. */
export function chatsChanged(ctx: TranslateContext, chats: Partial<Chat>[], snapshot: boolean): PendingEvent[] {
  const known = chats.filter((c): c is Partial<Chat> & { id: string } => !!c.id);
  return known.length ? [{ event: 'chats.update', data: known.map(c => storeChat(ctx, c, snapshot)) }] : [];
}

/** The account read these chats (e.g. read receipts sent from the hub): nothing is unread any more. */
export function chatsRead(ctx: Pick<TranslateContext, 'instanceId' | 'storage'>, jids: string[]): PendingEvent[] {
  const unique = jids.filter((jid, i) => jids.findIndex(other => areJidsSameUser(other, jid)) === i);
  if (!unique.length) return [];
  return [{ event: 'chats.update', data: unique.map(jid => report(ctx.storage.chats.upsert(ctx.instanceId, { jid, unreadCount: 0 }))) }];
}

export function chatsDeleted(ctx: TranslateContext, jids: string[]): PendingEvent[] {
  return [
    {
      event: 'chats.delete',
      data: jids.map(jid => {
        const wuid = resolveJid(jid, ctx.lookup).wuid;
        ctx.storage.chats.delete(ctx.instanceId, wuid);
        // Deleting a chat on WhatsApp deletes its messages too.
        ctx.storage.messages.clearChat(ctx.instanceId, wuid);
        return wuid;
      })
    }
  ];
}

export function presence(ctx: TranslateContext, data: BaileysEventMap['presence.update']): PendingEvent[] {
  const presences: Record<string, { lastKnownPresence: Presence; lastSeen?: number | null }> = {};
  for (const [jid, p] of Object.entries(data.presences)) {
    presences[resolveJid(jid, ctx.lookup).wuid] = { lastKnownPresence: p.lastKnownPresence, lastSeen: p.lastSeen ?? null };
  }
  return [{ event: 'presence.update', data: { jid: resolveJid(data.id, ctx.lookup).wuid, presences } }];
}
