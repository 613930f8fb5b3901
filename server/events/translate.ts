import { isJidStatusBroadcast, proto, type BaileysEventMap, type Chat, type Contact, type WAMessage } from '@whiskeysockets/baileys';
import type { PendingEvent } from '../../protocol/index.js';
import type { Storage } from '../../storage/index.js';
import type { BaileysEvent } from '../instances/instance-session.js';
import { splitChatSettings } from './chat-settings.js';
import { phoneOf, resolveJid, type LidLookup } from './jids.js';
import { isPlumbing, statusName, toMessageItem, toNumber, type MessageItemData } from './message-shape.js';

export interface TranslateContext {
  instanceId: string;
  instanceName: string;
  storage: Storage;
  lookup: LidLookup;
}

/** History arrives in large chunks; `messages.set` carries it in batches of this size. */
export const MESSAGES_SET_BATCH = 500;

const nullable = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

function storeChat(ctx: TranslateContext, chat: Partial<Chat> & { id: string }) {
  const jid = resolveJid(chat.id, ctx.lookup).wuid;
  const patch = {
    jid,
    name: chat.name ?? undefined,
    unreadCount: chat.unreadCount ?? undefined,
    conversationTimestamp: chat.conversationTimestamp == null ? undefined : toNumber(chat.conversationTimestamp)
  };
  ctx.storage.chats.upsert(ctx.instanceId, patch);
  return { id: jid, name: nullable(patch.name), conversationTimestamp: nullable(patch.conversationTimestamp), unreadCount: nullable(patch.unreadCount) };
}

function storeContact(ctx: TranslateContext, contact: Partial<Contact> & { id: string }) {
  const alt = contact.phoneNumber ?? undefined;
  const resolved = resolveJid(contact.id, ctx.lookup, alt);
  const lid = contact.lid ?? resolved.lid ?? (contact.id.endsWith('@lid') ? contact.id : undefined);
  const row = ctx.storage.contacts.upsert(ctx.instanceId, {
    jid: resolved.wuid,
    lid,
    phoneNumber: phoneOf(resolved.wuid),
    name: contact.name ?? undefined,
    notify: contact.notify ?? undefined,
    profilePictureUrl: typeof contact.imgUrl === 'string' && contact.imgUrl !== 'changed' ? contact.imgUrl : undefined
  });
  return {
    wuid: row.jid,
    phoneNumber: row.phone_number,
    lid: row.lid,
    contactName: row.name,
    pushName: row.notify,
    profilePictureUrl: row.profile_picture_url,
    instanceName: ctx.instanceName
  };
}

function storeMessage(ctx: TranslateContext, msg: WAMessage, item: MessageItemData) {
  ctx.storage.messages.upsert(ctx.instanceId, {
    chatJid: item.header.wuid,
    id: item.header.messageId,
    fromMe: item.header.fromMe,
    participant: item.header.participant ?? null,
    pushName: item.header.pushName,
    messageType: item.body.messageType,
    message: msg,
    status: statusName(msg.status) ?? null,
    timestamp: item.context.messageTimestamp
  });
}

function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function history(ctx: TranslateContext, data: BaileysEventMap['messaging-history.set']): PendingEvent[] {
  const events: PendingEvent[] = [];
  const chats = data.chats.filter((c): c is Chat & { id: string } => !!c.id);
  if (chats.length) events.push({ event: 'chats.set', data: chats.map(c => storeChat(ctx, c)) });
  if (data.contacts.length) events.push({ event: 'contacts.set', data: data.contacts.map(c => storeContact(ctx, c)) });
  const items = messageItems(ctx, data.messages);
  for (const batch of batches(items, MESSAGES_SET_BATCH)) events.push({ event: 'messages.set', data: batch });
  return events;
}

/** Stores messages that carry content and answers them in the contract's shape. */
function messageItems(ctx: TranslateContext, messages: WAMessage[]): MessageItemData[] {
  const out: MessageItemData[] = [];
  for (const msg of messages) {
    if (isPlumbing(msg)) continue;
    const item = toMessageItem(msg, ctx.lookup);
    if (!item) continue;
    storeMessage(ctx, msg, item);
    out.push(item);
  }
  return out;
}

function upsert(ctx: TranslateContext, data: BaileysEventMap['messages.upsert']): PendingEvent[] {
  const events: PendingEvent[] = [];
  const appended: MessageItemData[] = [];
  for (const msg of data.messages) {
    if (isPlumbing(msg)) continue;
    const item = toMessageItem(msg, ctx.lookup);
    if (!item) continue;
    storeMessage(ctx, msg, item);
    if (isJidStatusBroadcast(msg.key.remoteJid ?? '')) events.push({ event: 'status.broadcast', data: item });
    else if (data.type === 'notify') events.push({ event: 'new.message', data: item });
    else appended.push(item);
  }
  for (const batch of batches(appended, MESSAGES_SET_BATCH)) events.push({ event: 'messages.set', data: batch });
  return events;
}

function updates(ctx: TranslateContext, data: BaileysEventMap['messages.update']): PendingEvent[] {
  const events: PendingEvent[] = [];
  const deleted: { messageId: string; fromMe: boolean; wuid: string }[] = [];
  for (const { key, update } of data) {
    const wuid = resolveJid(key.remoteJid ?? '', ctx.lookup, key.remoteJidAlt).wuid;
    const ref = { messageId: key.id ?? '', fromMe: !!key.fromMe, wuid };
    if (update.messageStubType === proto.WebMessageInfo.StubType.REVOKE || (update.message === null && 'message' in update)) {
      // A revoke ("deleted for everyone") is a deletion in the contract.
      ctx.storage.messages.delete(ctx.instanceId, wuid, ref.messageId, ref.fromMe);
      deleted.push(ref);
      continue;
    }
    const status = statusName(update.status);
    if (!status) continue;
    ctx.storage.messages.updateStatus(ctx.instanceId, wuid, ref.messageId, ref.fromMe, status);
    events.push({
      event: 'messages.update',
      data: { update: { status: status as never, header: ref, dateTime: Date.now() } }
    });
  }
  if (deleted.length) events.push({ event: 'messages.delete', data: deleted });
  return events;
}

function deletes(ctx: TranslateContext, data: BaileysEventMap['messages.delete']): PendingEvent[] {
  if ('all' in data) {
    const wuid = resolveJid(data.jid, ctx.lookup).wuid;
    ctx.storage.messages.clearChat(ctx.instanceId, wuid);
    return [{ event: 'messages.delete', data: { wuid, all: true } }];
  }
  const refs = data.keys.map(key => {
    const wuid = resolveJid(key.remoteJid ?? '', ctx.lookup, key.remoteJidAlt).wuid;
    ctx.storage.messages.delete(ctx.instanceId, wuid, key.id ?? '', !!key.fromMe);
    return { messageId: key.id ?? '', fromMe: !!key.fromMe, wuid };
  });
  return refs.length ? [{ event: 'messages.delete', data: refs }] : [];
}

function presence(ctx: TranslateContext, data: BaileysEventMap['presence.update']): PendingEvent[] {
  const presences: Record<string, { lastKnownPresence: 'unavailable' | 'available' | 'composing' | 'recording' | 'paused'; lastSeen?: number | null }> = {};
  for (const [jid, p] of Object.entries(data.presences)) {
    presences[resolveJid(jid, ctx.lookup).wuid] = { lastKnownPresence: p.lastKnownPresence, lastSeen: p.lastSeen ?? null };
  }
  return [{ event: 'presence.update', data: { jid: resolveJid(data.id, ctx.lookup).wuid, presences } }];
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
    case 'chats.update': {
      const { settings, rest } = splitChatSettings(
        ctx,
        (event.data as Partial<Chat>[]).filter((c): c is Partial<Chat> & { id: string } => !!c.id)
      );
      const out: PendingEvent[] = settings.length ? [{ event: 'chats.update', data: settings }] : [];
      if (rest.length) out.push({ event: 'chats.update', data: rest.map(c => storeChat(ctx, c)) });
      return out;
    }
    case 'chats.delete':
      return [
        {
          event: 'chats.delete',
          data: event.data.map(jid => {
            const wuid = resolveJid(jid, ctx.lookup).wuid;
            ctx.storage.chats.delete(ctx.instanceId, wuid);
            // Deleting a chat on WhatsApp deletes its messages too.
            ctx.storage.messages.clearChat(ctx.instanceId, wuid);
            return wuid;
          })
        }
      ];
    case 'presence.update':
      return presence(ctx, event.data);
    case 'contacts.upsert':
      return event.data.length ? [{ event: 'contacts.upsert', data: event.data.map(c => storeContact(ctx, c)) }] : [];
    case 'contacts.update': {
      const contacts = event.data.filter((c): c is Partial<Contact> & { id: string } => !!c.id);
      return contacts.length ? [{ event: 'contacts.update', data: contacts.map(c => storeContact(ctx, c)) }] : [];
    }
    case 'messages.upsert':
      return upsert(ctx, event.data);
    case 'messages.update':
      return updates(ctx, event.data);
    case 'messages.delete':
      return deletes(ctx, event.data);
    default:
      return [];
  }
}

/** The LIDs an event mentions, so they can be resolved (asynchronously) before translating. */
export function lidsIn(event: BaileysEvent): string[] {
  const found = new Set<string>();
  const add = (jid: string | null | undefined) => {
    if (jid && jid.endsWith('@lid')) found.add(jid);
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
  }
  return [...found];
}

