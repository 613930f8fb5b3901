import { Type } from 'typebox';
import { Jid } from './common.js';

export const CALL_STATUSES = ['offer', 'ringing', 'timeout', 'reject', 'accept'] as const;

/**
 * call (EVENTS.md "Events beyond the map"): a call offered to the account, or what became
 * of it. `from` is the caller's phone-number JID where known; `lid` is beside it when
 * WhatsApp named the caller by LID (and `from` stays that LID if no phone number is known).
 */
export const CallData = Type.Object({
  id: Type.String({ minLength: 1 }),
  from: Jid,
  lid: Type.Optional(Jid),
  status: Type.Enum(CALL_STATUSES),
  isVideo: Type.Boolean(),
  isGroup: Type.Boolean(),
  /** The group a group call is in, when WhatsApp named it in the offer. */
  groupJid: Type.Optional(Jid)
});
