import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import { CommandSchemas, ErrorReply, InstanceName, type CommandName } from '../../protocol/index.js';
import type { Principal } from '../auth/principal.js';
import type { CommandLayer } from '../commands/command-layer.js';
import { Errors } from '../errors.js';
import type { Authenticator } from './authenticate.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** Where a route finds the command's arguments besides the instance in its path. */
type ArgsFrom = 'body' | 'query' | 'none';

/** Each REST route names the command it calls; CodeChat/Evolution-style paths. */
const ROUTES: [Method, string, CommandName, ArgsFrom, number?][] = [
  ['POST', '/instance/create', 'instance.create', 'body', 201],
  ['GET', '/instance/fetchInstances', 'instance.list', 'none'],
  ['GET', '/instance/connect/:instance', 'instance.connect', 'none'],
  ['GET', '/instance/connectionState/:instance', 'instance.state', 'none'],
  ['PUT', '/instance/restart/:instance', 'instance.restart', 'none'],
  ['POST', '/instance/pairingCode/:instance', 'instance.pairingCode', 'body'],
  ['DELETE', '/instance/logout/:instance', 'instance.logout', 'none'],
  ['DELETE', '/instance/delete/:instance', 'instance.delete', 'none'],
  ['GET', '/instance/events/:instance', 'instance.events', 'query'],
  ['POST', '/message/sendText/:instance', 'message.sendText', 'body', 201],
  ['POST', '/message/sendLocation/:instance', 'message.sendLocation', 'body', 201],
  ['POST', '/message/sendContact/:instance', 'message.sendContact', 'body', 201],
  ['POST', '/message/sendReaction/:instance', 'message.sendReaction', 'body', 201],
  ['POST', '/message/sendLink/:instance', 'message.sendLink', 'body', 201],
  ['POST', '/chat/updateMessage/:instance', 'message.edit', 'body'],
  ['DELETE', '/chat/deleteMessageForEveryone/:instance', 'message.delete', 'body'],
  ['POST', '/chat/markMessageAsRead/:instance', 'message.markRead', 'body'],
  ['POST', '/chat/whatsappNumbers/:instance', 'numbers.check', 'body'],
  ['POST', '/chat/findChats/:instance', 'chats.find', 'none'],
  ['POST', '/chat/findContacts/:instance', 'contacts.find', 'none'],
  ['POST', '/chat/findMessages/:instance', 'messages.find', 'body'],
  ['POST', '/chat/fetchProfilePictureUrl/:instance', 'profile.picture', 'body'],
  ['POST', '/chat/sendPresence/:instance', 'presence.send', 'body'],
  ['POST', '/chat/subscribePresence/:instance', 'presence.subscribe', 'body'],
  ['POST', '/message/sendBulk/:instance', 'queue.create', 'body', 201],
  ['GET', '/queue/list/:instance', 'queue.list', 'none'],
  ['GET', '/queue/get/:instance', 'queue.get', 'query'],
  ['PUT', '/queue/pause/:instance', 'queue.pause', 'body'],
  ['PUT', '/queue/resume/:instance', 'queue.resume', 'body'],
  ['DELETE', '/queue/delete/:instance', 'queue.delete', 'body']
];

const errors = Object.fromEntries([400, 401, 403, 404, 409, 429, 502].map(s => [s, ErrorReply]));
const Params = Type.Object({ instance: InstanceName });

const propertiesOf = (name: CommandName) => (CommandSchemas[name].args as unknown as { properties: Record<string, TSchema & { type?: unknown }> }).properties;

/** The command's argument schema without `instance`, which the path carries; for /docs. */
function rest(name: CommandName): TSchema {
  const { instance: _instance, ...properties } = propertiesOf(name);
  return Type.Object(properties, { additionalProperties: false });
}

const NUMERAL = /^-?\d+(\.\d+)?$/;

/**
 * A query string carries only text: a value becomes a number where the command's
 * schema takes a number and the text is a plain numeral, and stays as it came
 * everywhere else, so the command layer refuses it the way the sockets would.
 */
function fromQuery(name: CommandName, query: Record<string, unknown>): Record<string, unknown> {
  const properties = propertiesOf(name);
  return Object.fromEntries(
    Object.entries(query).map(([key, value]) => {
      const type = Object.hasOwn(properties, key) ? properties[key]!.type : undefined;
      const numeric = (type === 'integer' || type === 'number') && typeof value === 'string' && NUMERAL.test(value);
      return [key, numeric ? Number(value) : value];
    })
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The command's arguments: the instance from the path beside the body's or the query's. */
function argsOf(name: CommandName, from: ArgsFrom, req: FastifyRequest, hasInstance: boolean): unknown {
  const given = from === 'body' ? req.body : from === 'query' ? fromQuery(name, req.query as Record<string, unknown>) : {};
  if (!hasInstance) return given ?? {};
  // Not an object: handed on as it is, so the command layer answers what it answers on the sockets.
  if (given !== undefined && !isRecord(given)) return given;
  if (given && Object.hasOwn(given, 'instance')) throw new Errors.badRequest('instance is named by the path, not the ' + from);
  return { ...given, instance: (req.params as { instance: string }).instance };
}

/**
 * REST: each route is an adapter that takes the instance from the path and the
 * rest of the arguments from the body or query, and calls the command layer.
 * The schemas come from protocol/, so `/docs` shows exactly what is checked.
 */
export async function restRoutes(app: FastifyInstance, opts: { commands: CommandLayer; authenticate: Authenticator }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // The schemas below describe the routes for /docs; checking is the command layer's, with
  // the compiled validators every transport shares. Fastify's Ajv would coerce types
  // ("4242001" for 4242001) and drop unknown fields, which the sockets refuse.
  r.setValidatorCompiler(() => () => true);
  r.addHook('onRequest', async (req: FastifyRequest) => {
    const principal = opts.authenticate(req.headers.apikey);
    if (!principal) throw new Errors.unauthorized();
    req.principal = principal;
  });

  for (const [method, url, command, from, status = 200] of ROUTES) {
    const hasInstance = url.includes(':instance');
    r.route({
      method,
      url,
      schema: {
        summary: command,
        description: (CommandSchemas[command].args as { description?: string }).description,
        tags: [url.split('/')[1]!],
        security: [{ apikey: [] }],
        ...(hasInstance ? { params: Params } : {}),
        ...(from === 'body' ? { body: hasInstance ? rest(command) : CommandSchemas[command].args } : {}),
        ...(from === 'query' ? { querystring: rest(command) } : {}),
        response: { [status]: CommandSchemas[command].result, ...errors }
      },
      handler: async (req, reply) => {
        const result = await opts.commands.run(command, argsOf(command, from, req, hasInstance), req.principal!);
        return reply.status(status).send(result);
      }
    });
  }
}
