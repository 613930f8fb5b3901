import { deflateSync } from 'node:zlib';
import { encodeWAMessage, proto, type BinaryNode } from '@whiskeysockets/baileys';
import type { SimAccount } from './account.js';
import type { Companion, HistoryChatSpec, HistoryMessageSpec, SimContact, StanzaBuilder } from './model.js';
import { newMessageId } from './model.js';

const nowSeconds = (): string => String(Math.floor(Date.now() / 1000));

/** A Signal-encrypted message from a contact's phone to the client: pkmsg first, then msg. */
export function contactMessage(
  contact: SimContact,
  message: proto.IMessage,
  id: string,
  opts: { status?: boolean; plaintext?: boolean } = {}
): StanzaBuilder {
  return async (companion: Companion) => {
    // <plaintext> is what WhatsApp uses for newsletters; Baileys accepts it from anyone,
    // which makes it a Signal-free baseline for benchmarks.
    const body: BinaryNode = opts.plaintext
      ? { tag: 'plaintext', attrs: {}, content: proto.Message.encode(message).finish() }
      : await encrypted(contact, companion, message);
    const lid = contact.addressing === 'lid';
    const sender = lid ? contact.lidJid : contact.pnJid;
    // The alternate JID lets Baileys learn the LID mapping without a usync round trip.
    const alt: Record<string, string> = lid ? { sender_pn: contact.pnJid, addressing_mode: 'lid' } : { sender_lid: contact.lidJid };
    const attrs: Record<string, string> = opts.status
      ? {
          from: 'status@broadcast',
          participant: sender,
          ...(lid ? { participant_pn: contact.pnJid, addressing_mode: 'lid' } : { participant_lid: contact.lidJid })
        }
      : { from: sender, ...alt };
    return {
      tag: 'message',
      attrs: { ...attrs, id, type: 'text', t: nowSeconds(), notify: contact.pushName },
      content: [body]
    };
  };
}

async function encrypted(contact: SimContact, companion: Companion, message: proto.IMessage): Promise<BinaryNode> {
  const { type, ciphertext } = await contact.device.encrypt(companion.peer, companion.bundle, encodeWAMessage(message));
  return { tag: 'enc', attrs: { v: '2', type }, content: ciphertext };
}

/** A delivery, read or played receipt from a contact for messages the client sent to `chatJid`. */
export function contactReceipt(chatJid: string, ids: string[], type?: 'read' | 'played'): StanzaBuilder {
  return async () => {
    const [first, ...rest] = ids;
    return {
      tag: 'receipt',
      attrs: { from: chatJid, id: first ?? '', t: nowSeconds(), ...(type ? { type } : {}) },
      content: rest.length ? [{ tag: 'list', attrs: {}, content: rest.map(id => ({ tag: 'item', attrs: { id } })) }] : undefined
    };
  };
}

/**
 * A peer message from the account's own phone. It must come from the own PN,
 * device 0, category "peer", or Baileys drops it as spoofed; `notify` carries the
 * push name, which Baileys needs before it goes online and sends real receipts.
 */
export function phoneMessage(account: SimAccount, message: proto.IMessage): StanzaBuilder {
  return async (companion: Companion) => {
    const { type, ciphertext } = await account.phoneDevice.encrypt(companion.peer, companion.bundle, encodeWAMessage(message));
    return {
      tag: 'message',
      attrs: {
        from: account.pnJid,
        id: newMessageId(),
        type: 'text',
        t: nowSeconds(),
        category: 'peer',
        notify: account.pushName
      },
      content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }]
    };
  };
}

const historyNotification = (sync: proto.IHistorySync): proto.IMessage => ({
  protocolMessage: {
    type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
    historySyncNotification: {
      syncType: sync.syncType,
      chunkOrder: sync.chunkOrder ?? 0,
      progress: sync.progress ?? 100,
      // Inline payloads need no media download, which has no server here.
      initialHistBootstrapInlinePayload: deflateSync(proto.HistorySync.encode(sync).finish())
    }
  }
});

/** One stored message of a history sync, as the phone holds it: own ones read, the contact's delivered. */
function historyMessage(
  account: SimAccount,
  contact: SimContact | undefined,
  jid: string,
  m: { text: string; fromMe?: boolean; id?: string },
  timestamp: number
): proto.IHistorySyncMsg {
  return {
    message: {
      key: { remoteJid: jid, fromMe: m.fromMe ?? false, id: m.id ?? newMessageId() },
      message: { conversation: m.text },
      messageTimestamp: timestamp,
      pushName: m.fromMe ? account.pushName : contact?.pushName,
      status: m.fromMe ? proto.WebMessageInfo.Status.READ : proto.WebMessageInfo.Status.DELIVERY_ACK
    }
  };
}

/** Messages per INITIAL_BOOTSTRAP notification unless the account says otherwise, as WhatsApp splits a large first sync. */
export const INITIAL_CHUNK_SIZE = 2_000;

/**
 * Conversations cut into chunks of at most `size` messages, in order: a conversation
 * larger than a chunk continues in the next one (with its metadata again), and one
 * without messages rides in the chunk it falls into.
 */
function chunkConversations(conversations: proto.IConversation[], size: number): proto.IConversation[][] {
  const chunks: proto.IConversation[][] = [[]];
  let room = size;
  for (const conversation of conversations) {
    const messages = conversation.messages ?? [];
    let from = 0;
    do {
      if (room === 0) {
        chunks.push([]);
        room = size;
      }
      const take = Math.min(room, messages.length - from);
      chunks[chunks.length - 1]!.push({ ...conversation, messages: messages.slice(from, from + take) });
      from += take;
      room -= take;
    } while (from < messages.length);
  }
  return chunks;
}

/**
 * The initial history sync: chats with their messages in INITIAL_BOOTSTRAP chunks of at most
 * `initialChunkSize` messages (newest chats first, as listed), each with the sync's progress so
 * far, the LID mappings in the first; then push names. WhatsApp sends a large first history in
 * several notifications too, and each one is a protobuf the client decodes in one go.
 */
export function historySync(account: SimAccount): proto.IMessage[] {
  const contacts = account.listContacts().filter(c => c.onWhatsApp);
  const chats: HistoryChatSpec[] = account.history.chats ?? contacts.map(c => ({ phone: c.phone }));
  const messages = account.history.messages ?? [];
  const now = Math.floor(Date.now() / 1000);
  const byChat = new Map<string, (HistoryMessageSpec & { timestamp: number })[]>();
  messages.forEach((m, i) => {
    const own = byChat.get(m.chat) ?? [];
    own.push({ ...m, timestamp: m.timestamp ?? now - 60 * (messages.length - i) });
    byChat.set(m.chat, own);
  });
  const conversations: proto.IConversation[] = chats.map(chat => {
    const contact = account.contact(chat.phone);
    const jid = `${chat.phone}@s.whatsapp.net`;
    // WhatsApp lists a conversation's messages newest first.
    const own = (byChat.get(chat.phone) ?? []).sort((a, b) => b.timestamp - a.timestamp);
    return {
      id: jid,
      name: chat.name ?? contact?.pushName,
      unreadCount: chat.unreadCount ?? 0,
      conversationTimestamp: chat.timestamp ?? own[0]?.timestamp ?? now,
      lidJid: contact?.lidJid,
      pnJid: jid,
      messages: own.map(m => historyMessage(account, contact, jid, m, m.timestamp))
    };
  });
  const chunks = chunkConversations(conversations, Math.max(1, account.history.initialChunkSize ?? INITIAL_CHUNK_SIZE));
  return [
    ...chunks.map((chunk, i) =>
      historyNotification({
        syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
        conversations: chunk,
        phoneNumberToLidMappings: i === 0 ? contacts.map(c => ({ pnJid: c.pnJid, lidJid: c.lidJid })) : [],
        progress: Math.round((100 * (i + 1)) / chunks.length),
        chunkOrder: i
      })
    ),
    historyNotification({
      syncType: proto.HistorySync.HistorySyncType.PUSH_NAME,
      pushnames: contacts.map(c => ({ id: c.pnJid, pushname: c.pushName })),
      progress: 100,
      chunkOrder: chunks.length
    })
  ];
}

/**
 * The full history a client asked for at pairing: the account's `older` messages in FULL
 * chunks, oldest chunk last as WhatsApp sends them, each with the sync's progress so far.
 */
export function fullHistorySync(account: SimAccount, firstChunkOrder: number): proto.IMessage[] {
  const older = account.history.older ?? [];
  const size = Math.max(1, account.history.fullChunkSize ?? 50);
  const chunks: (typeof older)[] = [];
  for (let i = 0; i < older.length; i += size) chunks.push(older.slice(i, i + size));
  const now = Math.floor(Date.now() / 1000);
  return chunks.map((chunk, i) => {
    const byChat = new Map<string, typeof chunk>();
    for (const m of chunk) byChat.set(m.chat, [...(byChat.get(m.chat) ?? []), m]);
    const conversations: proto.IConversation[] = [...byChat].map(([phone, messages]) => {
      const contact = account.contact(phone);
      const jid = `${phone}@s.whatsapp.net`;
      return {
        id: jid,
        lidJid: contact?.lidJid,
        pnJid: jid,
        messages: messages.map((m, j) => historyMessage(account, contact, jid, m, m.timestamp ?? now - 86_400 - j))
      };
    });
    return historyNotification({
      syncType: proto.HistorySync.HistorySyncType.FULL,
      conversations,
      progress: Math.round((100 * (i + 1)) / chunks.length),
      chunkOrder: firstChunkOrder + i
    });
  });
}

/** Presence or chat state of a contact, as WhatsApp pushes it. */
export function presenceNode(contact: SimContact): BinaryNode {
  const { state, lastSeen } = contact.presence;
  const from = contact.fromJid;
  if (state === 'available') return { tag: 'presence', attrs: { from } };
  if (state === 'unavailable') return { tag: 'presence', attrs: { from, type: 'unavailable', last: String(lastSeen) } };
  const child: BinaryNode =
    state === 'recording'
      ? { tag: 'composing', attrs: { media: 'audio' } }
      : { tag: state === 'composing' ? 'composing' : 'paused', attrs: {} };
  return { tag: 'chatstate', attrs: { from }, content: [child] };
}

/**
 * A call offer from a contact, as WhatsApp pushes it: `<call>` around an `<offer>` naming
 * the call and its creator (LID-addressed contacts come as their LID with `caller_pn`).
 * A group call names its group in the offer's `group-jid`, which Baileys reads as `isGroup`
 * and `groupJid`. Baileys emits it as a `call` event with status `offer` and acks it.
 */
export function callOffer(contact: SimContact, callId: string, isVideo: boolean, groupJid?: string): StanzaBuilder {
  return async () => {
    const lid = contact.addressing === 'lid';
    const creator = lid ? contact.lidJid : contact.pnJid;
    const media: BinaryNode[] = [{ tag: 'audio', attrs: { enc: 'opus', rate: '16000' } }];
    if (isVideo) media.push({ tag: 'video', attrs: { enc: 'vp8', dec: 'vp8', orientation: '0', screen_width: '1080', screen_height: '1920', device_orientation: '0' } });
    return {
      tag: 'call',
      attrs: { from: creator, id: newMessageId(), t: nowSeconds(), notify: contact.pushName },
      content: [
        {
          tag: 'offer',
          attrs: { 'call-id': callId, 'call-creator': creator, ...(lid ? { caller_pn: contact.pnJid } : {}), ...(groupJid ? { 'group-jid': groupJid } : {}) },
          content: media
        }
      ]
    };
  };
}
