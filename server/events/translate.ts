import { isLidUser, proto, type BaileysEventMap, type Chat } from '@whiskeysockets/baileys';
import type { PendingEvent } from '../../protocol/index.js';
import type { BaileysEvent } from '../instances/instance-session.js';
import { chatsChanged, chatsDeleted, presence, storeChat } from './translate-chats.js';
import { changedPictures, contactsChanged, storeContact } from './translate-contacts.js';
import { groupsUpdated, groupsUpserted, participantsUpdated } from './translate-groups.js';
import type { TranslateContext } from './translate-context.js';
import { deletes, historyMessages, MESSAGES_SET_BATCH, updates, upsert } from './translate-messages.js';
import { splitChatSettings } from './chat-settings.js';
import { calls } from './translate-calls.js';

export type { TranslateContext } from './translate-context.js';
export { MESSAGES_SET_BATCH } from './translate-messages.js';

function history(ctx: TranslateContext, data: BaileysEventMap['messaging-history.set']): PendingEvent[] {
  const events: PendingEvent[] = [];
  const chats = data.chats.filter((c): c is Chat & { id: string } => !!c.id);
  if (chats.length) events.push({ event: 'chats.set', data: chats.map(c => storeChat(ctx, c, true)) });
  const contacts = data.contacts.filter(c => !!c.id);
  if (contacts.length) events.push({ event: 'contacts.set', data: contacts.map(c => storeContact(ctx, c)) });
  const syncType = data.syncType ?? null;
  const history =
    syncType === null
      ? undefined
      : {
          syncType: proto.HistorySync.HistorySyncType[syncType] ?? String(syncType),
          progress: typeof data.progress === 'number' ? Math.max(0, Math.min(100, Math.round(data.progress))) : null,
          isLatest: data.isLatest ?? null
        };
  events.push(...historyMessages(ctx, data.messages, history));
  return events;
}

/**
 * A history sync's rows per commit. WhatsApp's first sync can carry tens of
 * thousands of messages in one `messaging-history.set` (and Baileys may fold
 * several notifications into one while it syncs app state); stored and emitted
 * in one transaction it stalls the process for seconds and floods every
 * subscriber's buffer at once. In parts, the hub yields between them. 200 rows
 * keep a part's commit (with the WAL checkpoint SQLite runs in it now and then)
 * well under 100 ms on a loaded machine; 500 did not.
 */
export const HISTORY_CHUNK = 200;

type HistorySet = BaileysEventMap['messaging-history.set'];

/**
 * Splits a history sync into parts of at most HISTORY_CHUNK chats, contacts or messages, in that order.
 *
 * Only the last part closes the sync's chunk: a client waiting for `isLatest`, or for
 * `progress: 100`, has every part by then. The parts before it count up from
 * `progressBefore` (where the previous chunk of the same sync left off) towards the
 * chunk's own progress, so progress never says more than what has been delivered.
 */
export function historyChunks(data: HistorySet, progressBefore = 0): HistorySet[] {
  const empty: HistorySet = { ...data, chats: [], contacts: [], messages: [] };
  const parts: HistorySet[] = [];
  for (let i = 0; i < data.chats.length; i += HISTORY_CHUNK) parts.push({ ...empty, chats: data.chats.slice(i, i + HISTORY_CHUNK) });
  for (let i = 0; i < data.contacts.length; i += HISTORY_CHUNK) parts.push({ ...empty, contacts: data.contacts.slice(i, i + HISTORY_CHUNK) });
  for (let i = 0; i < data.messages.length; i += HISTORY_CHUNK) parts.push({ ...empty, messages: data.messages.slice(i, i + HISTORY_CHUNK) });
  if (!parts.length) return [data];
  const target = data.progress;
  // Less than before: a new sync of the same type, counted from 0; the same as before: nothing to count.
  const from = typeof target !== 'number' || progressBefore === target ? null : progressBefore < target ? progressBefore : 0;
  return parts.map((part, i) => {
    if (i === parts.length - 1) return part;
    const progress = from === null ? target : Math.floor(from + ((target! - from) * (i + 1)) / parts.length);
    return { ...part, isLatest: false, progress };
  });
}

/**
 * Translates one Baileys event into contract events and writes what it says to
 * the store. Synchronous on purpose: it runs inside the event's transaction.
 */
export function translate(event: BaileysEvent, ctx: TranslateContext): PendingEvent[] {
  switch (event.name) {
    case 'messaging-history.set':
      return history(ctx, event.data);
    case 'chats.upsert':
      return chatsChanged(ctx, event.data, true);
    case 'chats.update': {
      const { settings, rest } = splitChatSettings(
        ctx,
        (event.data as Partial<Chat>[]).filter((c): c is Partial<Chat> & { id: string } => !!c.id)
      );
      const out: PendingEvent[] = settings.length ? [{ event: 'chats.update', data: settings }] : [];
      return out.concat(chatsChanged(ctx, rest, false));
    }
    case 'chats.delete':
      return chatsDeleted(ctx, event.data);
    case 'presence.update':
      return presence(ctx, event.data);
    case 'contacts.upsert':
    case 'contacts.update':
      return contactsChanged(ctx, event.name, event.data);
    case 'messages.upsert':
      return upsert(ctx, event.data);
    case 'messages.update':
      return updates(ctx, event.data);
    case 'messages.delete':
      return deletes(ctx, event.data);
    case 'groups.upsert':
      return groupsUpserted(ctx, event.data);
    case 'groups.update':
      return groupsUpdated(ctx, event.data);
    case 'group-participants.update':
      return participantsUpdated(ctx, event.data);
    case 'call':
      return calls(event.data, ctx.lookup);
    default:
      return [];
  }
}

/** The LIDs an event mentions, so they can be resolved (asynchronously) before translating. */
export function lidsIn(event: BaileysEvent): string[] {
  const found = new Set<string>();
  const add = (jid: string | null | undefined) => {
    if (jid && isLidUser(jid)) found.add(jid);
  };
  const visitKey = (key: { remoteJid?: string | null; participant?: string | null }) => {
    add(key.remoteJid);
    add(key.participant);
  };
  switch (event.name) {
    case 'messages.upsert':
      event.data.messages.forEach(m => visitKey(m.key));
      break;
    case 'messaging-history.set':
      event.data.messages.forEach(m => visitKey(m.key));
      event.data.chats.forEach(c => add(c.id));
      event.data.contacts.forEach(c => add(c.id));
      break;
    case 'messages.update':
      event.data.forEach(u => visitKey(u.key));
      break;
    case 'messages.delete':
      if ('keys' in event.data) event.data.keys.forEach(visitKey);
      else add(event.data.jid);
      break;
    case 'presence.update':
      add(event.data.id);
      Object.keys(event.data.presences).forEach(add);
      break;
    case 'chats.update':
    case 'chats.upsert':
      (event.data as { id?: string | null }[]).forEach(c => add(c.id));
      break;
    case 'chats.delete':
      event.data.forEach(add);
      break;
    case 'contacts.upsert':
    case 'contacts.update':
      (event.data as { id?: string | null }[]).forEach(c => add(c.id));
      break;
    case 'groups.upsert':
    case 'groups.update':
      event.data.forEach(g => {
        add(g.owner);
        g.participants?.forEach(p => add(p.id));
      });
      break;
    case 'group-participants.update':
      add(event.data.author);
      event.data.participants.forEach(p => add(p.id));
      break;
    case 'call':
      event.data.forEach(c => add(c.from));
      break;
  }
  return [...found];
}

/** The contacts whose new profile picture URL must be fetched before translating. */
export function picturesIn(event: BaileysEvent): string[] {
  return event.name === 'contacts.update' ? changedPictures(event.data) : [];
}
