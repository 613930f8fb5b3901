import { Type, type TSchema } from 'typebox';
import { ErrorReply } from './common.js';
import { CommandSchemas, COMMAND_NAMES, SubscribeArgs, type CommandName } from './commands.js';
import { envelopeSchema, EVENT_NAMES, type EventName } from './events.js';

/** AsyncAPI keys and JSON pointers are kept to letters, digits, `.`, `-` and `_`: `send.message:START` becomes `send.message-START`. */
const key = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '-');
/** TypeBox schemas are plain JSON Schema once serialized; the copy keeps the document free of shared references. */
const json = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema));

const ackOf = (result: TSchema) =>
  Type.Union([Type.Object({ ok: Type.Literal(true), data: result }), Type.Object({ ok: Type.Literal(false), error: ErrorReply })]);

const eventMessage = (name: EventName) => ({ name, title: name, contentType: 'application/json', payload: json(envelopeSchema(name)) });

const commandMessages = (name: CommandName) => {
  const { args, result } = CommandSchemas[name];
  return {
    [`${key(name)}.request`]: { name, title: `${name} arguments`, contentType: 'application/json', payload: json(args) },
    [`${key(name)}.reply`]: { name, title: `${name} acknowledgement`, contentType: 'application/json', payload: json(ackOf(result)) }
  };
};

const ref = (pointer: string) => ({ $ref: pointer });

/**
 * The hub's socket API as an AsyncAPI 3 document, built from the same TypeBox
 * schemas that validate the wire: events are messages on a channel per
 * instance (received after `subscribe`), commands are request/reply operations
 * answered by a Socket.IO acknowledgement or a /ws reply frame.
 */
export function asyncApiDocument(version: string) {
  const subscribeReply = Type.Object({
    instance: Type.String(),
    state: Type.String(),
    replayed: Type.Integer(),
    lastSeq: Type.Integer(),
    more: Type.Boolean(),
    reset: Type.Boolean(),
    gap: Type.Boolean()
  });
  const controls = {
    'subscribe.request': { name: 'subscribe', contentType: 'application/json', payload: json(SubscribeArgs) },
    'subscribe.reply': { name: 'subscribe', contentType: 'application/json', payload: json(ackOf(subscribeReply)) },
    'unsubscribe.request': { name: 'unsubscribe', contentType: 'application/json', payload: json(SubscribeArgs) },
    'unsubscribe.reply': { name: 'unsubscribe', contentType: 'application/json', payload: json(ackOf(Type.Null())) },
    error: { name: 'error', title: 'why the hub closes the socket', contentType: 'application/json', payload: json(ErrorReply) }
  };
  const commands = Object.assign({}, ...COMMAND_NAMES.map(commandMessages)) as Record<string, unknown>;

  const operations: Record<string, unknown> = {};
  for (const name of EVENT_NAMES) {
    operations[`receive.${key(name)}`] = {
      action: 'receive',
      title: name,
      channel: ref('#/channels/instanceEvents'),
      messages: [ref(`#/channels/instanceEvents/messages/${key(name)}`)]
    };
  }
  operations['receive.error'] = { action: 'receive', channel: ref('#/channels/control'), messages: [ref('#/channels/control/messages/error')] };
  for (const name of ['subscribe', 'unsubscribe']) {
    operations[name] = {
      action: 'send',
      channel: ref('#/channels/control'),
      messages: [ref(`#/channels/control/messages/${name}.request`)],
      reply: { channel: ref('#/channels/control'), messages: [ref(`#/channels/control/messages/${name}.reply`)] }
    };
  }
  for (const name of COMMAND_NAMES) {
    operations[key(name)] = {
      action: 'send',
      title: name,
      channel: ref('#/channels/commands'),
      messages: [ref(`#/channels/commands/messages/${key(name)}.request`)],
      reply: { channel: ref('#/channels/commands'), messages: [ref(`#/channels/commands/messages/${key(name)}.reply`)] }
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'wahub',
      version,
      description:
        'Realtime event hub for WhatsApp. Socket.IO at /socket.io/ (handshake `auth: {token}`) and a plain WebSocket at /ws. ' +
        'Every event carries a per-instance `seq`; subscribe with `after` to replay what was missed.'
    },
    defaultContentType: 'application/json',
    channels: {
      instanceEvents: {
        address: 'instances/{instance}/events',
        title: "An instance's events",
        parameters: { instance: { description: 'the instance name given to `subscribe`' } },
        messages: Object.fromEntries(EVENT_NAMES.map(name => [key(name), eventMessage(name)]))
      },
      control: { address: 'control', title: 'Subscriptions and the reason a socket is closed', messages: controls },
      commands: { address: 'commands', title: 'Commands, each answered by an acknowledgement', messages: commands }
    },
    operations
  };
}
