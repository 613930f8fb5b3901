import { Type } from 'typebox';
import { Jid, MessageId } from './common.js';
import { MediaInfo } from './media.js';

/** Who sent a message and in which chat. In a group `wuid` is the group and `participant` the sender. */
export const MessageHeader = Type.Object({
  messageId: MessageId,
  fromMe: Type.Boolean(),
  wuid: Jid,
  pushName: Type.Union([Type.String(), Type.Null()]),
  participant: Type.Optional(Jid),
  /** Present when `wuid` could only be given as a LID. */
  lid: Type.Optional(Jid)
});

/** A message body as the map shows it: the text for `conversation`, the content object for every other type. */
export const MessageBody = Type.Object({
  messageType: Type.String({ minLength: 1 }),
  message: Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  /** Image, video, audio, document or sticker: where the hub serves the bytes (EVENTS.md, "Events beyond the map"). */
  media: Type.Optional(MediaInfo)
});

/** A message as the map shows it. */
export const MessageItem = Type.Object({
  header: MessageHeader,
  body: MessageBody,
  context: Type.Object({
    sourceDevice: Type.String(),
    /** Seconds, as WhatsApp sends it. */
    messageTimestamp: Type.Integer(),
    fromGroup: Type.Boolean()
  })
});

/** new.message: every message that is not history: live, delivered from WhatsApp's offline queue, and own sends (`fromMe`). */
export const NewMessageData = MessageItem;
/** status.broadcast: a contact published a status; `wuid` is that contact. */
export const StatusBroadcastData = MessageItem;
/** messages.set: messages loaded from history (the first sync and on-demand fetches), in batches. */
export const MessagesSetData = Type.Array(MessageItem);

/**
 * Beside `data` in a `messages.set` envelope: which history chunk the batch came from.
 * `data` stays the map's array; this is an addition to the envelope, like `seq`.
 */
export const HistoryProgress = Type.Object({
  /** WhatsApp's kind of history: INITIAL_BOOTSTRAP, RECENT, FULL, ON_DEMAND... */
  syncType: Type.String(),
  /** How far WhatsApp says the whole sync is, 0 to 100; null when it does not say. */
  progress: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()]),
  /** True for the first chunk the account ever received (the newest history); null for on-demand fetches. */
  isLatest: Type.Union([Type.Boolean(), Type.Null()])
});

export const MESSAGE_STATUSES = ['PENDING', 'SERVER_ACK', 'DELIVERY_ACK', 'READ', 'PLAYED', 'ERROR'] as const;

const UpdatedMessage = Type.Object({ messageId: MessageId, wuid: Jid, fromMe: Type.Boolean() });

/**
 * messages.update: one status change of one message, or an edit of it. An edit
 * carries the new body in `edit` and no `status`.
 */
export const MessagesUpdateData = Type.Object({
  update: Type.Union([
    Type.Object({
      status: Type.Enum(MESSAGE_STATUSES),
      header: UpdatedMessage,
      /** Milliseconds. */
      dateTime: Type.Integer()
    }),
    Type.Object({
      edit: MessageBody,
      header: UpdatedMessage,
      /** Milliseconds: when the message was edited. */
      dateTime: Type.Integer()
    })
  ])
});

/** messages.delete: messages deleted (revokes included), or a whole chat cleared. */
export const MessagesDeleteData = Type.Union([
  Type.Array(Type.Object({ messageId: MessageId, fromMe: Type.Boolean(), wuid: Jid })),
  Type.Object({ wuid: Jid, all: Type.Literal(true) })
]);
