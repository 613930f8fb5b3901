import { Type } from 'typebox';
import { Jid } from './common.js';

/** A chat as the hub reports it. Fields beyond `id` appear when WhatsApp gave them. */
export const Chat = Type.Object({
  id: Jid,
  name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** Seconds. */
  conversationTimestamp: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  /** How many messages are unread: counted by the hub, 0 once the chat is read; -1 when the user marked it unread. */
  unreadCount: Type.Optional(Type.Union([Type.Integer({ minimum: -1 }), Type.Null()])),
  /** The map's `chats.set` sample lists group participants; empty for 1:1 chats. */
  participant: Type.Optional(Type.Array(Jid)),
  /** App state, in `chats.update` when it changed (on the phone or by a command): archived or not. */
  archived: Type.Optional(Type.Boolean()),
  /** Muted until (Unix seconds); null when unmuted. */
  mutedUntil: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  pinned: Type.Optional(Type.Boolean()),
  /** Marked unread by hand (the badge without a count); false once marked read, which also brings `unreadCount: 0`. */
  markedUnread: Type.Optional(Type.Boolean())
});

/** chats.set: the chats loaded from the initial history. */
export const ChatsSetData = Type.Array(Chat);
/** chats.update: chats that changed. */
export const ChatsUpdateData = Type.Array(Chat);
/** chats.delete: JIDs of deleted chats. */
export const ChatsDeleteData = Type.Array(Jid);

/** presence.update: what a contact is doing in a chat. */
export const PresenceUpdateData = Type.Object({
  jid: Jid,
  presences: Type.Record(
    Type.String(),
    Type.Object({
      lastKnownPresence: Type.Enum(['unavailable', 'available', 'composing', 'recording', 'paused']),
      lastSeen: Type.Optional(Type.Union([Type.Integer(), Type.Null()]))
    })
  )
});

/**
 * A contact. `wuid` is the phone-number JID whenever known; when WhatsApp only
 * gave a LID, `wuid` is that LID and `lid` repeats it. Names and the picture are
 * optional: WhatsApp does not always send them.
 */
export const Contact = Type.Object({
  wuid: Jid,
  phoneNumber: Type.Union([Type.String(), Type.Null()]),
  lid: Type.Optional(Type.Union([Jid, Type.Null()])),
  contactName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  pushName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  profilePictureUrl: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  instanceName: Type.String()
});

/** contacts.set: the contacts loaded from the initial history. */
export const ContactsSetData = Type.Array(Contact);
/** contacts.upsert: contacts added or replaced. */
export const ContactsUpsertData = Type.Array(Contact);
/** contacts.update: contacts that changed (e.g. a new push name). */
export const ContactsUpdateData = Type.Array(Contact);
