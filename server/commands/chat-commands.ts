import { withMedia } from '../events/translate-media.js';
import { jidNormalizedUser } from '@whiskeysockets/baileys';
import type { Storage } from '../../storage/index.js';
import { Errors } from '../errors.js';
import { toMessageItem } from '../events/message-shape.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import type { CommandHandlers } from './command-layer.js';
import { openSocket, recipient } from './message-commands.js';
import { lookUpNumbers, toJid } from './message-content.js';

/** Numbers go to WhatsApp in batches this size, a moment apart: bulk checks get numbers banned. */
export const CHECK_BATCH = 50;
const CHECK_PAUSE_MS = 250;

const encodeCursor = (c: unknown): string => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(raw: string): { timestamp: number; id: string; fromMe: boolean } {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof c?.timestamp === 'number' && typeof c?.id === 'string' && typeof c?.fromMe === 'boolean') return c;
  } catch {
    // fall through to the refusal
  }
  throw new Errors.badRequest('cursor is not one this hub gave out');
}

/** chats, contacts, stored messages, number checks, pictures and presence. */
export function chatCommands(
  registry: InstanceRegistry,
  storage: Storage
): Pick<CommandHandlers, 'chats.find' | 'contacts.find' | 'messages.find' | 'numbers.check' | 'profile.picture' | 'presence.send' | 'presence.subscribe'> {
  const idOf = (instance: string) => registry.get(instance).row.id;
  return {
    'chats.find': ({ instance }) =>
      storage.chats.list(idOf(instance)).map(c => ({ id: c.jid, name: c.name, unreadCount: c.unread_count, conversationTimestamp: c.conversation_timestamp })),
    'contacts.find': ({ instance }) =>
      storage.contacts.list(idOf(instance)).map(c => ({
        wuid: c.jid,
        phoneNumber: c.phone_number,
        lid: c.lid,
        contactName: c.name,
        pushName: c.notify,
        profilePictureUrl: c.profile_picture_url,
        instanceName: instance
      })),
    'messages.find': ({ instance, chat, limit, cursor }) => {
      const chatJid = jidNormalizedUser(toJid(chat)) || toJid(chat);
      const page = storage.messages.page(idOf(instance), chatJid, { limit: limit ?? 50, before: cursor ? decodeCursor(cursor) : undefined });
      const none = new Map<string, string>();
      return {
        messages: page.messages.flatMap(m => {
          const item = toMessageItem(m.message, none);
          return item ? [withMedia(instance, m.message, { ...item, header: { ...item.header, wuid: m.chatJid } })] : [];
        }),
        next: page.next ? encodeCursor(page.next) : null
      };
    },
    'numbers.check': async ({ instance, numbers }) => {
      const sock = openSocket(registry, instance);
      const out: { number: string; exists: boolean; jid: string | null }[] = [];
      for (let i = 0; i < numbers.length; i += CHECK_BATCH) {
        if (i > 0) await new Promise(r => setTimeout(r, CHECK_PAUSE_MS));
        const batch = numbers.slice(i, i + CHECK_BATCH);
        const found = await lookUpNumbers(sock, batch);
        for (const number of batch) {
          const jid = found.get(number) ?? null;
          out.push({ number, exists: jid !== null, jid });
        }
      }
      return out;
    },
    'profile.picture': async ({ instance, number, type }) => {
      const sock = openSocket(registry, instance);
      const url = await sock.profilePictureUrl(toJid(number), type ?? 'image').catch(() => undefined);
      return { number, url: url ?? null };
    },
    'presence.send': async ({ instance, number, presence }) => {
      const sock = openSocket(registry, instance);
      await sock.sendPresenceUpdate(presence, await recipient(sock, number));
      return { sent: true };
    },
    'presence.subscribe': async ({ instance, number }) => {
      const sock = openSocket(registry, instance);
      await sock.presenceSubscribe(await recipient(sock, number));
      return { subscribed: true };
    }
  };
}
