import { Type, type Static, type TSchema } from 'typebox';
import { ErrorReply, InstanceName, Jid, MessageId } from './common.js';

/** An instance's state as the API reports it (`qr`: waiting for a scan). */
export const InstanceStateName = Type.Enum(['connecting', 'qr', 'open', 'close', 'refused']);

export const InstanceInfo = Type.Object({
  name: InstanceName,
  id: Type.String(),
  state: InstanceStateName,
  owner: Type.Optional(Type.Union([Jid, Type.Null()])),
  pushName: Type.Optional(Type.Union([Type.String(), Type.Null()]))
});

const OnInstance = Type.Object({ instance: InstanceName }, { additionalProperties: false });

/** A phone number (digits, optionally with +, spaces or dashes) or a JID. */
export const Recipient = Type.String({ minLength: 3, maxLength: 128, pattern: '^(\\+?[0-9 ()-]{6,32}|[^@\\s]+@(s\\.whatsapp\\.net|lid|g\\.us))$' });

/** The message key WhatsApp gives a sent message. */
export const MessageKey = Type.Object({ id: MessageId, remoteJid: Jid, fromMe: Type.Boolean() });

/**
 * Every command, by name: its arguments and its result. REST routes, Socket.IO
 * acknowledgements and WebSocket frames all call these through one command layer.
 */
export const CommandSchemas = {
  /** Creates an instance; answers its own token, shown only this once. */
  'instance.create': {
    args: Type.Object({ instanceName: InstanceName }, { additionalProperties: false }),
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
  /** Sends one text to one number. */
  'message.sendText': {
    args: Type.Object({ instance: InstanceName, number: Recipient, text: Type.String({ minLength: 1, maxLength: 65536 }) }, { additionalProperties: false }),
    result: Type.Object({ key: MessageKey, status: Type.String() })
  }
} as const satisfies Record<string, { args: TSchema; result: TSchema }>;

export type CommandName = keyof typeof CommandSchemas;
export const COMMAND_NAMES = Object.keys(CommandSchemas) as CommandName[];
export type CommandArgs<C extends CommandName> = Static<(typeof CommandSchemas)[C]['args']>;
export type CommandResult<C extends CommandName> = Static<(typeof CommandSchemas)[C]['result']>;

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
