import { getContentType, getDevice, isJidGroup, normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { Static } from 'typebox';
import type { MessageItem } from '../../protocol/index.js';
import { resolveJid, type LidLookup } from './jids.js';

export type MessageItemData = Static<typeof MessageItem>;

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : v && typeof (v as { toNumber?: () => number }).toNumber === 'function' ? (v as { toNumber: () => number }).toNumber() : Number(v ?? 0));

/** The message's real content: inside ephemeral, view-once and similar wrappers. */
export function contentOf(msg: WAMessage): { type: string; content: proto.IMessage } | undefined {
  const content = normalizeMessageContent(msg.message);
  const type = content ? getContentType(content) : undefined;
  return type && content ? { type, content } : undefined;
}

/** A protocol message (history sync, revoke, key share...) is plumbing, not something a user sent. */
export const isPlumbing = (msg: WAMessage): boolean => {
  const c = contentOf(msg);
  return !c || c.type === 'protocolMessage' || c.type === 'senderKeyDistributionMessage';
};

/** A WAMessage in the contract's `{header, body, context}` shape. */
export function toMessageItem(msg: WAMessage, lookup: LidLookup): MessageItemData | undefined {
  const c = contentOf(msg);
  if (!c) return undefined;
  const key = msg.key;
  const remote = key.remoteJid ?? '';
  const group = isJidGroup(remote) ?? false;
  const chat = group ? { wuid: remote } : resolveJid(remote, lookup, key.remoteJidAlt);
  const value = (c.content as Record<string, unknown>)[c.type];
  const body =
    c.type === 'conversation'
      ? (value as string)
      : value && typeof value === 'object'
        ? (proto.Message.toObject(proto.Message.fromObject({ [c.type]: value }), { longs: Number, bytes: String, defaults: false })[c.type] as Record<string, unknown>)
        : null;
  const header: MessageItemData['header'] = { messageId: key.id ?? '', fromMe: !!key.fromMe, wuid: chat.wuid, pushName: msg.pushName ?? null };
  if (chat.lid) header.lid = chat.lid;
  if (key.participant) header.participant = resolveJid(key.participant, lookup, key.participantAlt).wuid;
  return {
    header,
    body: { messageType: c.type, message: body },
    context: { sourceDevice: getDevice(key.id ?? ''), messageTimestamp: toNumber(msg.messageTimestamp), fromGroup: group }
  };
}

/** Baileys' numeric message status as the contract's name. */
export function statusName(status: number | null | undefined): string | undefined {
  if (status === null || status === undefined) return undefined;
  return proto.WebMessageInfo.Status[status];
}

export { toNumber };
