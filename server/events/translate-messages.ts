import { isJidStatusBroadcast, jidNormalizedUser, proto, type BaileysEventMap, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import type { Static } from 'typebox';
import type { HistoryProgress, PendingEvent } from '../../protocol/index.js';
import { resolveJid } from './jids.js';
import { isPlumbing, statusName, toBody, toMessageItem, toNumber, type MessageBody, type MessageItemData } from './message-shape.js';
import type { TranslateContext } from './translate-context.js';
import { registerMedia, withMedia } from './translate-media.js';

/** History arrives in large chunks; `messages.set` carries it in batches of this size. */
export const MESSAGES_SET_BATCH = 500;

type MessageRef = { messageId: string; fromMe: boolean; wuid: string };

/** The chat a message is stored under: a status belongs to status@broadcast, not to the chat with its poster. */
const storedChat = (msg: WAMessage, item: MessageItemData): string =>
  isJidStatusBroadcast(msg.key.remoteJid ?? '') ? jidNormalizedUser(msg.key.remoteJid ?? '') : item.header.wuid;

function storeMessage(ctx: TranslateContext, msg: WAMessage, item: MessageItemData): void {
  ctx.storage.messages.upsert(ctx.instanceId, {
    chatJid: storedChat(msg, item),
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

/**
 * Stores messages that carry content and answers each with its contract shape.
 * `again` marks an inbound message that was stored before: WhatsApp delivers it
 * once more when its receipt never went out (the process died between the commit
 * and the receipt, here or on another node), and its event is already in the log.
 */
function stored(ctx: TranslateContext, messages: WAMessage[]): { msg: WAMessage; item: MessageItemData; again: boolean }[] {
  const out: { msg: WAMessage; item: MessageItemData; again: boolean }[] = [];
  for (const msg of messages) {
    if (isPlumbing(msg)) continue;
    const plain = toMessageItem(msg, ctx.lookup);
    if (!plain) continue;
    const again = !plain.header.fromMe && ctx.storage.messages.get(ctx.instanceId, storedChat(msg, plain), plain.header.messageId, false) !== undefined;
    storeMessage(ctx, msg, plain);
    registerMedia(ctx, msg, plain);
    out.push({ msg, item: withMedia(ctx.instanceName, msg, plain), again });
  }
  return out;
}

/** History (the first sync or an on-demand fetch): `messages.set`, and nothing else. */
export function historyMessages(ctx: TranslateContext, messages: WAMessage[], history?: Static<typeof HistoryProgress>): PendingEvent[] {
  return batches(
    stored(ctx, messages).map(s => s.item),
    MESSAGES_SET_BATCH
  ).map(batch => ({ event: 'messages.set', data: batch, ...(history ? { history } : {}) }));
}

/**
 * Every upsert is a message that is not history, whatever Baileys calls it:
 * `notify` (live) or `append` (delivered from the offline queue, or sent by this
 * account from the hub or the phone). Only statuses have their own event.
 */
export function upsert(ctx: TranslateContext, data: BaileysEventMap['messages.upsert']): PendingEvent[] {
  return stored(ctx, data.messages).flatMap(({ msg, item, again }): PendingEvent[] => {
    if (again) return [];
    return [isJidStatusBroadcast(msg.key.remoteJid ?? '') ? { event: 'status.broadcast', data: item } : { event: 'new.message', data: item }];
  });
}

/** The stored message takes the edit's body, so what the hub serves afterwards is the edited text. */
function storeEdit(ctx: TranslateContext, ref: MessageRef, edited: proto.IMessage, body: MessageBody): void {
  const current = ctx.storage.messages.get(ctx.instanceId, ref.wuid, ref.messageId, ref.fromMe);
  if (!current) return;
  ctx.storage.messages.upsert(ctx.instanceId, {
    ...current,
    messageType: body.messageType,
    message: { ...current.message, message: edited }
  });
}

const refOf = (ctx: TranslateContext, key: WAMessageKey): MessageRef => ({
  messageId: key.id ?? '',
  fromMe: !!key.fromMe,
  wuid: resolveJid(key.remoteJid ?? '', ctx.lookup, key.remoteJidAlt).wuid
});

/** Status changes, edits, and revokes (a deletion in the contract). */
export function updates(ctx: TranslateContext, data: BaileysEventMap['messages.update']): PendingEvent[] {
  const events: PendingEvent[] = [];
  const deleted: MessageRef[] = [];
  for (const { key, update } of data) {
    const ref = refOf(ctx, key);
    if (update.messageStubType === proto.WebMessageInfo.StubType.REVOKE || (update.message === null && 'message' in update)) {
      ctx.storage.messages.delete(ctx.instanceId, ref.wuid, ref.messageId, ref.fromMe);
      deleted.push(ref);
      continue;
    }
    // Baileys surfaces a MESSAGE_EDIT protocol message as `update.message.editedMessage.message`.
    const edited = update.message?.editedMessage?.message;
    const edit = edited ? toBody(edited) : undefined;
    if (edited && edit) {
      storeEdit(ctx, ref, edited, edit);
      const seconds = update.messageTimestamp == null ? undefined : toNumber(update.messageTimestamp);
      events.push({ event: 'messages.update', data: { update: { edit, header: ref, dateTime: seconds ? seconds * 1000 : Date.now() } } });
      continue;
    }
    const status = statusName(update.status);
    if (!status) continue;
    ctx.storage.messages.updateStatus(ctx.instanceId, ref.wuid, ref.messageId, ref.fromMe, status);
    events.push({ event: 'messages.update', data: { update: { status, header: ref, dateTime: Date.now() } } });
  }
  if (deleted.length) events.push({ event: 'messages.delete', data: deleted });
  return events;
}

export function deletes(ctx: TranslateContext, data: BaileysEventMap['messages.delete']): PendingEvent[] {
  if ('all' in data) {
    const wuid = resolveJid(data.jid, ctx.lookup).wuid;
    ctx.storage.messages.clearChat(ctx.instanceId, wuid);
    return [{ event: 'messages.delete', data: { wuid, all: true } }];
  }
  const refs = data.keys.map(key => {
    const ref = refOf(ctx, key);
    ctx.storage.messages.delete(ctx.instanceId, ref.wuid, ref.messageId, ref.fromMe);
    return ref;
  });
  return refs.length ? [{ event: 'messages.delete', data: refs }] : [];
}
