import type { ChatModification } from '@whiskeysockets/baileys';
import type { SimAccount } from './account.js';
import type { Phone } from './model.js';

/** Something the account's user did on the phone that changes app state. */
export type PhoneAction =
  | { action: 'contact'; phone: Phone; fullName?: string; firstName?: string }
  | { action: 'deleteChat'; chat: Phone }
  | { action: 'clearChat'; chat: Phone }
  | { action: 'deleteMessageForMe'; chat: Phone; messageId: string; fromMe?: boolean; /** Seconds. */ timestamp?: number }
  | { action: 'archive'; chat: Phone; archived?: boolean }
  | { action: 'mute'; chat: Phone; /** Unix seconds; null unmutes. */ until: number | null }
  | { action: 'pin'; chat: Phone; pinned?: boolean }
  | { action: 'markRead'; chat: Phone; read?: boolean };

export const PHONE_ACTIONS = ['contact', 'deleteChat', 'clearChat', 'deleteMessageForMe', 'archive', 'mute', 'pin', 'markRead'] as const;

const pnJid = (phone: Phone): string => `${phone}@s.whatsapp.net`;

/** The same modification Baileys' `chatModify` would make, so the phone and the client write identical patches. */
export function toModification(account: SimAccount, a: PhoneAction): { mod: ChatModification; jid: string } {
  switch (a.action) {
    case 'contact': {
      const lidJid = account.contact(a.phone)?.lidJid;
      return { jid: pnJid(a.phone), mod: { contact: { fullName: a.fullName, firstName: a.firstName, lidJid } } };
    }
    case 'deleteChat':
      return { jid: pnJid(a.chat), mod: { delete: true, lastMessages: [] } };
    case 'clearChat':
      return { jid: pnJid(a.chat), mod: { clear: true, lastMessages: [] } };
    case 'deleteMessageForMe':
      return {
        jid: pnJid(a.chat),
        mod: {
          deleteForMe: {
            key: { remoteJid: pnJid(a.chat), id: a.messageId, fromMe: a.fromMe ?? false },
            timestamp: a.timestamp ?? Math.floor(Date.now() / 1000),
            deleteMedia: false
          }
        }
      };
    case 'archive':
      return { jid: pnJid(a.chat), mod: { archive: a.archived ?? true, lastMessages: [] } };
    case 'mute':
      // WhatsApp keeps the end of a mute in milliseconds.
      return { jid: pnJid(a.chat), mod: { mute: a.until === null ? null : a.until * 1000 } };
    case 'pin':
      return { jid: pnJid(a.chat), mod: { pin: a.pinned ?? true } };
    case 'markRead':
      return { jid: pnJid(a.chat), mod: { markRead: a.read ?? true, lastMessages: [] } };
  }
}
