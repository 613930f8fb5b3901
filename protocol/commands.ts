import { Type, type Static, type TSchema } from 'typebox';
import { ErrorReply, InstanceName, Jid, MessageId } from './common.js';
import { Chat, Contact } from './events-chat.js';
import { MessageItem } from './events-message.js';
import { GroupCommandSchemas } from './commands-group.js';
import { WebhookCommandSchemas } from './commands-webhook.js';
import { ProxyUrl, SettingsCommandSchemas } from './commands-settings.js';
import { MediaCommandSchemas, QueueMediaInput } from './media.js';

/** An instance's state as the API reports it (`qr`: waiting for a scan). */
export const InstanceStateName = Type.Enum(['connecting', 'qr', 'open', 'close', 'refused']);

export const InstanceInfo = Type.Object({
  name: InstanceName,
  id: Type.String(),
  state: InstanceStateName,
  owner: Type.Optional(Type.Union([Jid, Type.Null()])),
  pushName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** Why the instance is `close` when the hub closed it itself (507: the store cannot be written). */
  statusReason: Type.Optional(Type.Integer()),
  reason: Type.Optional(Type.String()),
  /** Milliseconds since the epoch of the instance's last stored event since the hub started; null before one. */
  lastEventAt: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** Milliseconds since the epoch of the last message WhatsApp took from it since the hub started; null before one. */
  lastSendAt: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** The WhatsApp Web version its current (or last) connection announced, e.g. "2.3000.1043857760"; null before the first. */
  waVersion: Type.Union([Type.String(), Type.Null()])
});

const OnInstance = Type.Object({ instance: InstanceName }, { additionalProperties: false });

/** A phone number (digits, optionally with +, spaces or dashes) or a JID. */
export const Recipient = Type.String({ minLength: 3, maxLength: 128, pattern: '^(\\+?[0-9 ()-]{6,32}|[^@\\s]+@(s\\.whatsapp\\.net|lid|g\\.us))$' });

/** The message key WhatsApp gives a sent message. */
export const MessageKey = Type.Object({ id: MessageId, remoteJid: Jid, fromMe: Type.Boolean() });

/** A message named by a caller: its chat (number or JID), its ID, and whether the instance sent it. */
export const MessageRef = Type.Object(
  { id: MessageId, remoteJid: Recipient, fromMe: Type.Boolean(), participant: Type.Optional(Jid) },
  { additionalProperties: false }
);

const Sent = Type.Object({ key: MessageKey, status: Type.String() });
const strict = { additionalProperties: false } as const;
const Text = Type.String({ minLength: 1, maxLength: 65536 });

/** The instance, message, chat and presence commands. */
const BaseCommandSchemas = {
  /** Creates an instance; answers its own token, shown only this once. */
  'instance.create': {
    args: Type.Object({ instanceName: InstanceName, proxy: Type.Optional(ProxyUrl) }, { additionalProperties: false }),
    result: Type.Object({ instance: InstanceInfo, token: Type.String() })
  },
  /** Lists instances (an instance token sees only its own). */
  'instance.list': { args: Type.Object({}, { additionalProperties: false }), result: Type.Array(InstanceInfo) },
  /** Starts connecting; answers the current QR code if one is showing. */
  'instance.connect': {
    args: OnInstance,
    result: Type.Object({ instance: InstanceInfo, qrcode: Type.Union([Type.Object({ code: Type.String(), base64: Type.String() }), Type.Null()]) })
  },
  /** The instance's connection state. */
  'instance.state': { args: OnInstance, result: InstanceInfo },
  /** Logs the account out on WhatsApp and forgets its credentials. */
  'instance.logout': { args: OnInstance, result: InstanceInfo },
  /** Logs out if needed and deletes the instance with everything stored for it. */
  'instance.delete': { args: OnInstance, result: Type.Object({ deleted: InstanceName }) },
  /** A pairing code for a phone number, as an alternative to the QR: typed on the phone under "Link with phone number". */
  'instance.pairingCode': {
    args: Type.Object({ instance: InstanceName, number: Type.String({ pattern: '^\\+?[0-9 ()-]{6,32}$' }) }, strict),
    result: Type.Object({ instance: InstanceName, pairingCode: Type.String() })
  },
  /** Disconnects and connects again with the same credentials. */
  'instance.restart': { args: OnInstance, result: InstanceInfo },
  /** Stored events after a seq, oldest first: what a client missed (the same log `subscribe` replays). */
  'instance.events': {
    args: Type.Object(
      { instance: InstanceName, after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
      strict
    ),
    result: Type.Object({ events: Type.Array(Type.Unknown()), lastSeq: Type.Integer(), more: Type.Boolean() })
  },
  /** Sends a text; `quoted` replies to a stored message, `mentions` are numbers mentioned in it. */
  'message.sendText': {
    args: Type.Object(
      {
        instance: InstanceName,
        number: Recipient,
        text: Text,
        quoted: Type.Optional(MessageId),
        mentions: Type.Optional(Type.Array(Recipient, { maxItems: 256 }))
      },
      strict
    ),
    result: Sent
  },
  /** Sends a location pin. */
  'message.sendLocation': {
    args: Type.Object(
      {
        instance: InstanceName,
        number: Recipient,
        latitude: Type.Number({ minimum: -90, maximum: 90 }),
        longitude: Type.Number({ minimum: -180, maximum: 180 }),
        name: Type.Optional(Type.String({ maxLength: 1000 })),
        address: Type.Optional(Type.String({ maxLength: 1000 }))
      },
      strict
    ),
    result: Sent
  },
  /** Sends a contact card. */
  'message.sendContact': {
    args: Type.Object(
      {
        instance: InstanceName,
        number: Recipient,
        contact: Type.Object(
          { fullName: Type.String({ minLength: 1, maxLength: 256 }), phoneNumber: Type.String({ pattern: '^\\+?[0-9 ()-]{6,32}$' }), organization: Type.Optional(Type.String({ maxLength: 256 })) },
          strict
        )
      },
      strict
    ),
    result: Sent
  },
  /** Reacts to a message; an empty reaction removes it. */
  'message.sendReaction': {
    args: Type.Object({ instance: InstanceName, key: MessageRef, reaction: Type.String({ maxLength: 16 }) }, strict),
    result: Sent
  },
  /** Sends a text with a link; no preview is fetched. */
  'message.sendLink': {
    args: Type.Object({ instance: InstanceName, number: Recipient, text: Type.String({ minLength: 1, maxLength: 65536, pattern: 'https?://' }) }, strict),
    result: Sent
  },
  /** Deletes a message for everyone. */
  'message.delete': { args: Type.Object({ instance: InstanceName, key: MessageRef }, strict), result: Sent },
  /** Edits the text of a message the instance sent. */
  'message.edit': { args: Type.Object({ instance: InstanceName, key: MessageRef, text: Text }, strict), result: Sent },
  /** Marks messages as read (the sender sees blue ticks). */
  'message.markRead': {
    args: Type.Object({ instance: InstanceName, keys: Type.Array(MessageRef, { minItems: 1, maxItems: 500 }) }, strict),
    result: Type.Object({ read: Type.Integer() })
  },
  /** Archives a chat, or with `archive: false` takes it out of the archive. */
  'chat.archive': {
    args: Type.Object({ instance: InstanceName, number: Recipient, archive: Type.Optional(Type.Boolean({ default: true })) }, strict),
    result: Type.Object({ jid: Jid, archived: Type.Boolean() })
  },
  /** Mutes a chat until a time (Unix seconds); `until: null` unmutes it. */
  'chat.mute': {
    args: Type.Object({ instance: InstanceName, number: Recipient, until: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]) }, strict),
    result: Type.Object({ jid: Jid, mutedUntil: Type.Union([Type.Integer(), Type.Null()]) })
  },
  /** Pins a chat to the top of the list, or with `pin: false` unpins it. */
  'chat.pin': {
    args: Type.Object({ instance: InstanceName, number: Recipient, pin: Type.Optional(Type.Boolean({ default: true })) }, strict),
    result: Type.Object({ jid: Jid, pinned: Type.Boolean() })
  },
  /** Marks a chat unread (the badge without a count), or with `unread: false` read. */
  'chat.markUnread': {
    args: Type.Object({ instance: InstanceName, number: Recipient, unread: Type.Optional(Type.Boolean({ default: true })) }, strict),
    result: Type.Object({ jid: Jid, markedUnread: Type.Boolean() })
  },
  /** Deletes a chat with its messages on every device of the account. */
  'chat.delete': { args: Type.Object({ instance: InstanceName, number: Recipient }, strict), result: Type.Object({ jid: Jid, deleted: Type.Boolean() }) },
  /** Clears a chat's messages on every device; the chat stays. */
  'chat.clear': { args: Type.Object({ instance: InstanceName, number: Recipient }, strict), result: Type.Object({ jid: Jid, cleared: Type.Boolean() }) },
  /** Deletes a message on the account's devices only; the other side keeps it. */
  'message.deleteForMe': {
    args: Type.Object({ instance: InstanceName, key: MessageRef }, strict),
    result: Type.Object({ key: MessageKey, deleted: Type.Boolean() })
  },
  /** The chats stored for the instance, most recent first. */
  'chats.find': { args: OnInstance, result: Type.Array(Chat) },
  /** The contacts stored for the instance. */
  'contacts.find': { args: OnInstance, result: Type.Array(Contact) },
  /** A chat's stored messages, newest first, a page at a time: pass back `next` as `cursor`. */
  'messages.find': {
    args: Type.Object(
      {
        instance: InstanceName,
        chat: Recipient,
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        cursor: Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()]))
      },
      strict
    ),
    result: Type.Object({ messages: Type.Array(MessageItem), next: Type.Union([Type.String(), Type.Null()]) })
  },
  /** Which numbers are on WhatsApp, checked in small batches. */
  'numbers.check': {
    args: Type.Object({ instance: InstanceName, numbers: Type.Array(Recipient, { minItems: 1, maxItems: 1000 }) }, strict),
    result: Type.Array(Type.Object({ number: Type.String(), exists: Type.Boolean(), jid: Type.Union([Jid, Type.Null()]) }))
  },
  /**
   * Resolves LIDs and phone numbers both ways through WhatsApp's LID mapping: each
   * query answers its `lid` and its `pn` (phone-number JID), null where WhatsApp has not told us.
   */
  'contacts.lid': {
    args: Type.Object({ instance: InstanceName, jids: Type.Array(Recipient, { minItems: 1, maxItems: 100 }) }, strict),
    result: Type.Array(Type.Object({ query: Type.String(), lid: Type.Union([Jid, Type.Null()]), pn: Type.Union([Jid, Type.Null()]) }))
  },
  /** A contact's profile picture URL, or null when there is none. */
  'profile.picture': {
    args: Type.Object({ instance: InstanceName, number: Recipient, type: Type.Optional(Type.Enum(['preview', 'image'])) }, strict),
    result: Type.Object({ number: Type.String(), url: Type.Union([Type.String(), Type.Null()]) })
  },
  /** Shows the instance as typing, recording, paused or available in a chat. */
  'presence.send': {
    args: Type.Object(
      { instance: InstanceName, number: Recipient, presence: Type.Enum(['composing', 'recording', 'paused', 'available', 'unavailable']) },
      strict
    ),
    result: Type.Object({ sent: Type.Boolean() })
  },
  /** Asks WhatsApp for a contact's presence updates (they arrive as presence.update). */
  'presence.subscribe': { args: Type.Object({ instance: InstanceName, number: Recipient }, strict), result: Type.Object({ subscribed: Type.Boolean() }) }
} as const satisfies Record<string, { args: TSchema; result: TSchema }>;



/** A Socket.IO acknowledgement (and a WebSocket reply's body). */
export const Ack = Type.Union([
  Type.Object({ ok: Type.Literal(true), data: Type.Unknown() }),
  Type.Object({ ok: Type.Literal(false), error: ErrorReply })
]);
export type Ack = Static<typeof Ack>;

/** Subscribing to an instance's events; with `after`, every stored event after that seq is replayed first. */
export const SubscribeArgs = Type.Object(
  { instance: InstanceName, after: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false }
);

/** A plain WebSocket request frame; `id` comes back on the reply. */
export const WsFrame = Type.Object({
  id: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Number(), Type.Null()])),
  command: Type.String({ minLength: 1, maxLength: 64 }),
  args: Type.Optional(Type.Unknown())
});

/** What a bulk send sends: a text, a location or a contact card, as the single-send commands take them. */
export const QueueMessageInput = Type.Union([
  Type.Object({ text: Type.String({ minLength: 1, maxLength: 65536 }) }, { additionalProperties: false }),
  Type.Object(
    {
      location: Type.Object(
        {
          latitude: Type.Number({ minimum: -90, maximum: 90 }),
          longitude: Type.Number({ minimum: -180, maximum: 180 }),
          name: Type.Optional(Type.String({ maxLength: 1000 })),
          address: Type.Optional(Type.String({ maxLength: 1000 }))
        },
        { additionalProperties: false }
      )
    },
    { additionalProperties: false }
  ),
  Type.Object(
    {
      contact: Type.Object(
        { fullName: Type.String({ minLength: 1, maxLength: 256 }), phoneNumber: Type.String({ pattern: '^\\+?[0-9 ()-]{6,32}$' }) },
        { additionalProperties: false }
      )
    },
    { additionalProperties: false }
  ),
  Type.Object({ media: QueueMediaInput }, { additionalProperties: false })
]);

/** Pacing and safety of a bulk send. */
export const QueueOptions = Type.Object(
  {
    /** A random pause between two sends, in this range (ms). */
    minDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    /** Show "typing…" before each send, for a time that grows with the text. */
    composing: Type.Optional(Type.Boolean()),
    /** Hold the queue once the instance sent this many messages today, single sends included (from midnight, server time). */
    dailyCap: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /**
     * A recipient caught mid-send by a crash: `resend` (default) sends again with the
     * same message ID, which WhatsApp shows once; `skip` marks it `unknown` (at most once).
     */
    onUncertain: Type.Optional(Type.Enum(['resend', 'skip']))
  },
  { additionalProperties: false }
);

export const QUEUE_STATES = ['queued', 'running', 'pausing', 'paused', 'waiting', 'completed', 'deleted'] as const;
export const RECIPIENT_STATES = ['pending', 'sending', 'sent', 'failed', 'unknown'] as const;

/** A queue as `queue.get` and `queue.list` report it. */
export const QueueInfo = Type.Object({
  queueId: Type.String(),
  instance: InstanceName,
  state: Type.Enum(QUEUE_STATES),
  reason: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  total: Type.Integer(),
  counts: Type.Object({ pending: Type.Integer(), sending: Type.Integer(), sent: Type.Integer(), failed: Type.Integer(), unknown: Type.Integer() }),
  queueTimestamp: Type.Integer(),
  recipients: Type.Optional(
    Type.Array(
      Type.Object({
        number: Type.String(),
        /** The JID WhatsApp's number check returned (it may differ from the number's digits), null before the check. */
        jid: Type.Union([Jid, Type.Null()]),
        state: Type.Enum(RECIPIENT_STATES),
        messageId: Type.Union([Type.String(), Type.Null()]),
        /** Sends tried with `messageId`; transient failures are retried a bounded number of times. */
        attempts: Type.Integer({ minimum: 0 }),
        error: Type.Union([Type.String(), Type.Null()])
      })
    )
  )
});

const OnQueue = Type.Object({ instance: InstanceName, queueId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** The send queue: bulk sends with progress, pause, resume and delete. */
export const QueueCommandSchemas = {
  /** Starts a bulk send in the background; answers its ID at once. */
  'queue.create': {
    args: Type.Object(
      {
        instance: InstanceName,
        numbers: Type.Array(Recipient, { minItems: 1, maxItems: 100_000 }),
        message: QueueMessageInput,
        options: Type.Optional(QueueOptions)
      },
      { additionalProperties: false }
    ),
    result: Type.Object({ queueId: Type.String() })
  },
  /** Stops before the next recipient; what is in flight finishes. */
  'queue.pause': { args: OnQueue, result: QueueInfo },
  /** Goes on with a paused queue. */
  'queue.resume': { args: OnQueue, result: QueueInfo },
  /** Stops a queue for good. */
  'queue.delete': { args: OnQueue, result: QueueInfo },
  /** One queue with every recipient's state. */
  'queue.get': { args: OnQueue, result: QueueInfo },
  /** The instance's queues. */
  'queue.list': { args: Type.Object({ instance: InstanceName }, { additionalProperties: false }), result: Type.Array(QueueInfo) }
} as const;

/** Operator commands, admin key only. */
export const AdminCommandSchemas = {
  /** Writes a consistent copy of the live database (SQLite's online backup) under DATA_DIR/backups; answers where and how big. */
  'admin.backup': {
    args: Type.Object({}, { additionalProperties: false }),
    result: Type.Object({ path: Type.String(), bytes: Type.Integer({ minimum: 0 }) })
  }
} as const;

/**
 * Every command, by name: its arguments and its result. REST routes, Socket.IO
 * acknowledgements and WebSocket frames all call these through one command layer.
 */
export const CommandSchemas = {
  ...BaseCommandSchemas,
  ...MediaCommandSchemas,
  ...QueueCommandSchemas,
  ...AdminCommandSchemas,
  ...WebhookCommandSchemas,
  ...GroupCommandSchemas,
  ...SettingsCommandSchemas
};

export type CommandName = keyof typeof CommandSchemas;
export const COMMAND_NAMES = Object.keys(CommandSchemas) as CommandName[];
export type CommandArgs<C extends CommandName> = Static<(typeof CommandSchemas)[C]['args']>;
export type CommandResult<C extends CommandName> = Static<(typeof CommandSchemas)[C]['result']>;
