import { isJidGroup, isLidUser, type AnyMessageContent, type MiscMessageGenerationOptions, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { Static } from 'typebox';
import type { MessageRef } from '../../protocol/index.js';
import type { Storage } from '../../storage/index.js';
import { Errors } from '../errors.js';
import { resolveJid } from '../events/jids.js';
import { chatsRead } from '../events/translate-chats.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import { PRIORITY, type SendScheduler } from '../queue/send-scheduler.js';
import type { CommandHandlers } from './command-layer.js';
import type { GroupDirectory } from './group-directory.js';
import { countSend } from '../queue/daily-sends.js';
import { contactContent, locationContent, lookUpNumbers, skipsNumberCheck, toJid } from './message-content.js';
import { secondsSince } from '../metrics/hub-observer.js';

/** The open socket of an instance, or 409 in the error shape. */
export function openSocket(registry: InstanceRegistry, instance: string): WASocket {
  const inst = registry.get(instance);
  const sock = inst.session.socket;
  if (!sock) throw new Errors.notConnected(instance, inst.session.state);
  return sock;
}

/**
 * The JID to send to: a phone number is checked with WhatsApp first, so a number
 * that is not on WhatsApp is refused (404, in the event map's words) before anything goes out.
 */
export async function recipient(sock: WASocket, number: string, group?: (jid: string) => Promise<void>): Promise<string> {
  const jid = toJid(number);
  // A group is checked against its metadata instead: WhatsApp's number check knows only phones.
  if (group && isJidGroup(jid)) {
    await group(jid);
    return jid;
  }
  if (skipsNumberCheck(jid)) return jid;
  const found = (await lookUpNumbers(sock, [number])).get(number);
  if (!found) throw new Errors.numberNotOnWhatsApp(number);
  return found;
}

/** The JID a chat is stored under: the phone-number JID, also when the key names the chat by its LID. */
async function storedChatJid(sock: WASocket, jid: string): Promise<string> {
  const pn = isLidUser(jid) ? await sock.signalRepository.lidMapping.getPNForLID(jid).catch(() => null) : null;
  return resolveJid(jid, new Map(), pn).wuid;
}

const keyOf = (ref: Static<typeof MessageRef>) => ({ id: ref.id, remoteJid: toJid(ref.remoteJid), fromMe: ref.fromMe, participant: ref.participant });

async function sendNow(sock: WASocket, jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions) {
  const sent = await sock.sendMessage(jid, content, options).catch((err: Error) => {
    throw new Errors.sendFailed(err.message);
  });
  if (!sent?.key.id) throw new Errors.sendFailed('no message key');
  return { key: { id: sent.key.id, remoteJid: sent.key.remoteJid ?? jid, fromMe: true }, status: 'PENDING' };
}

/** Single sends take the instance's send line ahead of bulk items, so one pacing covers all it sends. */
export function singleSender(registry: InstanceRegistry, storage: Storage, scheduler: SendScheduler) {
  return (instance: string, sock: WASocket, jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions) =>
    scheduler.run(
      instance,
      async () => {
        const start = process.hrtime.bigint();
        const sent = await sendNow(sock, jid, content, options);
        const inst = registry.get(instance);
        registry.noteSend(inst, secondsSince(start));
        // A queue's daily cap counts what the number sent, single sends included.
        countSend(storage, inst.row.id);
        return sent;
      },
      PRIORITY.single
    );
}

/** message.*: every kind of send, delete, edit and read receipts. */
export function messageCommands(
  registry: InstanceRegistry,
  storage: Storage,
  scheduler: SendScheduler,
  groups: GroupDirectory
): Pick<
  CommandHandlers,
  | 'message.sendText'
  | 'message.sendLocation'
  | 'message.sendContact'
  | 'message.sendReaction'
  | 'message.sendLink'
  | 'message.delete'
  | 'message.edit'
  | 'message.markRead'
> {
  const send = singleSender(registry, storage, scheduler);

  /** The JID to send to; a group must have the account in it (and let it write, when only admins send). */
  const to = (instance: string, sock: WASocket, number: string) => recipient(sock, number, jid => groups.sender(instance, sock, jid));

  /** The stored message a reply quotes, or 400 in the event map's words. */
  const quotedMessage = (instance: string, chatJid: string, id: string): WAMessage => {
    const row = registry.get(instance).row;
    const found = storage.messages.get(row.id, chatJid, id, false) ?? storage.messages.get(row.id, chatJid, id, true);
    if (!found) throw new Errors.badRequest(`Message ID: ${id} - not found to be quoted`);
    return found.message;
  };

  return {
    'message.sendText': async ({ instance, number, text, quoted, mentions }) => {
      const sock = openSocket(registry, instance);
      const jid = await to(instance, sock, number);
      const quote = quoted ? quotedMessage(instance, jid, quoted) : undefined;
      return send(instance, sock, jid, { text, mentions: mentions?.map(toJid) }, quote ? { quoted: quote } : undefined);
    },
    'message.sendLocation': async ({ instance, number, latitude, longitude, name, address }) => {
      const sock = openSocket(registry, instance);
      const jid = await to(instance, sock, number);
      return send(instance, sock, jid, locationContent({ latitude, longitude, name, address }));
    },
    'message.sendContact': async ({ instance, number, contact }) => {
      const sock = openSocket(registry, instance);
      const jid = await to(instance, sock, number);
      return send(instance, sock, jid, contactContent(contact));
    },
    'message.sendReaction': async ({ instance, key, reaction }) => {
      const sock = openSocket(registry, instance);
      const k = keyOf(key);
      return send(instance, sock, k.remoteJid, { react: { text: reaction, key: k } });
    },
    'message.sendLink': async ({ instance, number, text }) => {
      const sock = openSocket(registry, instance);
      const jid = await to(instance, sock, number);
      // linkPreview: null keeps Baileys from fetching the page (it would wait out a timeout offline).
      return send(instance, sock, jid, { text, linkPreview: null });
    },
    'message.delete': async ({ instance, key }) => {
      const sock = openSocket(registry, instance);
      const k = keyOf(key);
      return send(instance, sock, k.remoteJid, { delete: k });
    },
    'message.edit': async ({ instance, key, text }) => {
      const sock = openSocket(registry, instance);
      const k = keyOf(key);
      if (!k.fromMe) throw new Errors.badRequest('only messages the instance sent can be edited');
      return send(instance, sock, k.remoteJid, { text, edit: k });
    },
    'message.markRead': async ({ instance, keys }) => {
      const sock = openSocket(registry, instance);
      const read = keys.map(keyOf);
      await sock.readMessages(read);
      // WhatsApp sends no chat update for receipts this device sent: the hub resets the count itself.
      const inst = registry.get(instance);
      const chats = await Promise.all(read.map(k => storedChatJid(sock, k.remoteJid)));
      registry.publish(inst, () => chatsRead({ instanceId: inst.row.id, storage }, chats));
      return { read: keys.length };
    }
  };
}
