import { getContentType, getDevice, isJidGroup, isJidStatusBroadcast, normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { Static } from 'typebox';
import { MESSAGE_STATUSES, type MessageItem } from '../../protocol/index.js';
import { resolveJid, type LidLookup } from './jids.js';

export type MessageItemData = Static<typeof MessageItem>;
export type MessageBody = MessageItemData['body'];
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : v && typeof (v as { toNumber?: () => number }).toNumber === 'function' ? (v as { toNumber: () => number }).toNumber() : Number(v ?? 0));

/** The real content of a message body: inside ephemeral, view-once, edit and similar wrappers. */
export function contentOfMessage(message: proto.IMessage | null | undefined): { type: string; content: proto.IMessage } | undefined {
  const content = normalizeMessageContent(message);
  const type = content ? getContentType(content) : undefined;
  return type && content ? { type, content } : undefined;
}

/** The message's real content. */
export const contentOf = (msg: WAMessage) => contentOfMessage(msg.message);

/** A protocol message (history sync, revoke, edit, key share...) is plumbing, not something a user sent. */
export const isPlumbing = (msg: WAMessage): boolean => {
  const c = contentOf(msg);
  return !c || c.type === 'protocolMessage' || c.type === 'senderKeyDistributionMessage';
};

/** A message body in the contract's form: the text for `conversation`, the content object for any other type. */
export function toBody(message: proto.IMessage | null | undefined): MessageBody | undefined {
  const c = contentOfMessage(message);
  if (!c) return undefined;
  const value = (c.content as Record<string, unknown>)[c.type];
  const body =
    c.type === 'conversation'
      ? (value as string)
      : value && typeof value === 'object'
        ? (proto.Message.toObject(proto.Message.fromObject({ [c.type]: value }), { longs: Number, bytes: String, defaults: false })[c.type] as Record<string, unknown>)
        : null;
  return { messageType: c.type, message: body };
}

/**
 * A WAMessage in the contract's `{header, body, context}` shape. In a group
 * `wuid` is the group and `participant` the sender; for a status, as the event
 * map shows, `wuid` is the contact who posted it.
 */
export function toMessageItem(msg: WAMessage, lookup: LidLookup): MessageItemData | undefined {
  const body = toBody(msg.message);
  if (!body) return undefined;
  const key = msg.key;
  const remote = key.remoteJid ?? '';
  const group = isJidGroup(remote) ?? false;
  const status = (isJidStatusBroadcast(remote) ?? false) && !!key.participant;
  // For broadcasts Baileys puts the poster's alternate JID in remoteJidAlt, not participantAlt.
  const chat = group
    ? { wuid: remote }
    : status
      ? resolveJid(key.participant ?? '', lookup, key.participantAlt ?? key.remoteJidAlt)
      : resolveJid(remote, lookup, key.remoteJidAlt);
  const header: MessageItemData['header'] = { messageId: key.id ?? '', fromMe: !!key.fromMe, wuid: chat.wuid, pushName: msg.pushName ?? null };
  if (chat.lid) header.lid = chat.lid;
  if (key.participant && !status) header.participant = resolveJid(key.participant, lookup, key.participantAlt).wuid;
  return {
    header,
    body,
    context: { sourceDevice: getDevice(key.id ?? ''), messageTimestamp: toNumber(msg.messageTimestamp), fromGroup: group }
  };
}

/** Baileys' numeric message status as the contract's name. */
export function statusName(status: number | null | undefined): MessageStatus | undefined {
  if (status === null || status === undefined) return undefined;
  const name = proto.WebMessageInfo.Status[status];
  return MESSAGE_STATUSES.find(s => s === name);
}

export { toNumber };
