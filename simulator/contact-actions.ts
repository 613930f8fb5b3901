import { encodeWAMessage, proto } from '@whiskeysockets/baileys';
import type { SimAccount } from './account.js';
import type { Companion, SimContact, StanzaBuilder } from './model.js';

const nowSeconds = (): string => String(Math.floor(Date.now() / 1000));

/**
 * What a contact's phone sends when its user edits a message: a MESSAGE_EDIT
 * protocol message inside the `editedMessage` wrapper, naming the original by ID.
 */
export function editMessage(account: SimAccount, messageId: string, text: string): proto.IMessage {
  return {
    editedMessage: {
      message: {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          key: { remoteJid: account.pnJid, fromMe: true, id: messageId },
          editedMessage: { conversation: text },
          timestampMs: Date.now()
        }
      }
    }
  };
}

/** WhatsApp's notice that a contact set (`set`) or removed (`delete`) its profile picture. */
export function pictureNotification(contact: SimContact, id: string): StanzaBuilder {
  return async () => ({
    tag: 'notification',
    attrs: { from: contact.pnJid, type: 'picture', id, t: nowSeconds() },
    content: [{ tag: contact.picture ? 'set' : 'delete', attrs: { jid: contact.pnJid, id: String(contact.pictureId) } }]
  });
}

/**
 * A message the account's own phone sent to a contact, as the linked device gets
 * its copy: from the own PN with the chat in `recipient`, the content wrapped in
 * `deviceSentMessage`, encrypted by the phone.
 */
export function phoneSentMessage(account: SimAccount, contact: SimContact, text: string, id: string): StanzaBuilder {
  return async (companion: Companion) => {
    const message: proto.IMessage = { deviceSentMessage: { destinationJid: contact.pnJid, message: { conversation: text } } };
    const { type, ciphertext } = await account.phoneDevice.encrypt(companion.peer, companion.bundle, encodeWAMessage(message));
    return {
      tag: 'message',
      attrs: { from: account.pnJid, recipient: contact.pnJid, id, type: 'text', t: nowSeconds(), notify: account.pushName },
      content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }]
    };
  };
}
