import { Type, type Static } from 'typebox';

/** An instance's name: what users pick at creation and address it by. */
export const InstanceName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'instance name' });
export type InstanceName = Static<typeof InstanceName>;

/** A WhatsApp JID: `…@s.whatsapp.net` (phone number), `…@lid`, `…@g.us`, `status@broadcast`. */
export const Jid = Type.String({ minLength: 3, maxLength: 128, description: 'WhatsApp JID' });
export type Jid = Static<typeof Jid>;

/** A WhatsApp message ID. */
export const MessageId = Type.String({ minLength: 1, maxLength: 128, description: 'message ID' });
export type MessageId = Static<typeof MessageId>;

/** The event map's error shape; every refused request answers with it. */
export const ErrorReply = Type.Object({
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  error: Type.String(),
  message: Type.String()
});
export type ErrorReply = Static<typeof ErrorReply>;

/** Which instance an event is about; `owner` is the paired account's JID, null until known. */
export const InstanceRef = Type.Object({ name: InstanceName, owner: Type.Union([Jid, Type.Null()]) });
export type InstanceRef = Static<typeof InstanceRef>;
