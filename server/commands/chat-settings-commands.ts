import { jidNormalizedUser, type ChatModification, type WAMessage } from '@whiskeysockets/baileys';
import type { Storage } from '../../storage/index.js';
import { Errors } from '../errors.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import type { CommandHandlers } from './command-layer.js';
import { toJid } from './message-content.js';

type Names = 'chat.archive' | 'chat.mute' | 'chat.pin' | 'chat.markUnread' | 'chat.delete' | 'chat.clear' | 'message.deleteForMe';

/**
 * Archive, mute, pin, unread, delete and clear: app-state changes through Baileys'
 * `chatModify`, which WhatsApp syncs to the account's other devices. The store
 * follows from the events Baileys emits for its own changes.
 */
export function chatSettingCommands(registry: InstanceRegistry, storage: Storage): Pick<CommandHandlers, Names> {
  const chatJid = (number: string) => jidNormalizedUser(toJid(number)) || toJid(number);
  const modify = async (instance: string, mod: ChatModification, jid: string) => {
    const inst = registry.get(instance);
    if (!inst.session.socket) throw new Errors.notConnected(instance, inst.session.state);
    await inst.session.modifyChat(mod, jid).catch((err: Error) => {
      throw new Errors.appStateFailed(err.message);
    });
  };
  /** WhatsApp wants the newest message of the chat with archive, read, clear and delete, to know what they cover. */
  const lastMessages = (instance: string, jid: string): WAMessage[] =>
    storage.messages.page(registry.get(instance).row.id, jid, { limit: 1 }).messages.map(m => m.message);

  return {
    'chat.archive': async ({ instance, number, archive = true }) => {
      const jid = chatJid(number);
      await modify(instance, { archive, lastMessages: lastMessages(instance, jid) }, jid);
      return { jid, archived: archive };
    },
    'chat.mute': async ({ instance, number, until }) => {
      const jid = chatJid(number);
      // WhatsApp keeps the end of a mute in milliseconds.
      await modify(instance, { mute: until === null ? null : until * 1000 }, jid);
      return { jid, mutedUntil: until };
    },
    'chat.pin': async ({ instance, number, pin = true }) => {
      const jid = chatJid(number);
      await modify(instance, { pin }, jid);
      return { jid, pinned: pin };
    },
    'chat.markUnread': async ({ instance, number, unread = true }) => {
      const jid = chatJid(number);
      await modify(instance, { markRead: !unread, lastMessages: lastMessages(instance, jid) }, jid);
      return { jid, markedUnread: unread };
    },
    'chat.delete': async ({ instance, number }) => {
      const jid = chatJid(number);
      await modify(instance, { delete: true, lastMessages: lastMessages(instance, jid) }, jid);
      return { jid, deleted: true };
    },
    'chat.clear': async ({ instance, number }) => {
      const jid = chatJid(number);
      await modify(instance, { clear: true, lastMessages: lastMessages(instance, jid) }, jid);
      return { jid, cleared: true };
    },
    'message.deleteForMe': async ({ instance, key }) => {
      const jid = chatJid(key.remoteJid);
      const stored = storage.messages.get(registry.get(instance).row.id, jid, key.id, key.fromMe);
      const timestamp = stored?.timestamp ?? Math.floor(Date.now() / 1000);
      await modify(instance, { deleteForMe: { key: { remoteJid: jid, id: key.id, fromMe: key.fromMe, participant: key.participant }, timestamp, deleteMedia: false } }, jid);
      return { key: { id: key.id, remoteJid: jid, fromMe: key.fromMe }, deleted: true };
    }
  };
}
