import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import { CommandSchemas, ErrorReply, InstanceName, type CommandName } from '../../protocol/index.js';
import type { Principal } from '../auth/principal.js';
import type { CommandLayer } from '../commands/command-layer.js';
import { Errors } from '../errors.js';
import type { Authenticator } from './authenticate.js';
import { propertiesOf, restArgs, type ArgsFrom } from './rest-args.js';
import type { MediaService } from '../media/media-service.js';
import { MEDIA_COMMANDS, mediaBodyLimit, multipartArgs, registerMultipart } from './rest-multipart.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

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
  ['POST', '/message/sendMedia/:instance', 'message.sendMedia', 'body', 201],
  ['POST', '/media/signUrl/:instance', 'media.url', 'body'],
  ['POST', '/chat/updateMessage/:instance', 'message.edit', 'body'],
  ['DELETE', '/chat/deleteMessageForEveryone/:instance', 'message.delete', 'body'],
  ['POST', '/chat/markMessageAsRead/:instance', 'message.markRead', 'body'],
  ['DELETE', '/chat/deleteMessageForMe/:instance', 'message.deleteForMe', 'body'],
  ['POST', '/chat/archiveChat/:instance', 'chat.archive', 'body'],
  ['POST', '/chat/muteChat/:instance', 'chat.mute', 'body'],
  ['POST', '/chat/pinChat/:instance', 'chat.pin', 'body'],
  ['POST', '/chat/markChatUnread/:instance', 'chat.markUnread', 'body'],
  ['DELETE', '/chat/deleteChat/:instance', 'chat.delete', 'body'],
  ['POST', '/chat/clearChat/:instance', 'chat.clear', 'body'],
  ['POST', '/chat/whatsappNumbers/:instance', 'numbers.check', 'body'],
  ['POST', '/chat/findChats/:instance', 'chats.find', 'none'],
  ['POST', '/chat/findContacts/:instance', 'contacts.find', 'none'],
  ['POST', '/chat/findMessages/:instance', 'messages.find', 'body'],
  ['POST', '/chat/fetchProfilePictureUrl/:instance', 'profile.picture', 'body'],
  ['POST', '/chat/lid/:instance', 'contacts.lid', 'body'],
  ['POST', '/chat/sendPresence/:instance', 'presence.send', 'body'],
  ['POST', '/chat/subscribePresence/:instance', 'presence.subscribe', 'body'],
  ['POST', '/message/sendBulk/:instance', 'queue.create', 'body', 201],
  ['GET', '/queue/list/:instance', 'queue.list', 'none'],
  ['GET', '/queue/get/:instance', 'queue.get', 'query'],
  ['PUT', '/queue/pause/:instance', 'queue.pause', 'body'],
  ['PUT', '/queue/resume/:instance', 'queue.resume', 'body'],
  ['DELETE', '/queue/delete/:instance', 'queue.delete', 'body'],
  ['POST', '/admin/backup', 'admin.backup', 'none'],
  ['POST', '/webhook/set/:instance', 'webhook.set', 'body', 201],
  ['GET', '/webhook/find/:instance', 'webhook.find', 'none'],
  ['DELETE', '/webhook/delete/:instance', 'webhook.delete', 'body'],
  ['GET', '/webhook/deliveries/:instance', 'webhook.deliveries', 'query'],
  ['POST', '/webhook/redeliver/:instance', 'webhook.redeliver', 'body'],
  ['POST', '/group/create/:instance', 'group.create', 'body', 201],
  ['GET', '/group/fetchAllGroups/:instance', 'group.list', 'none'],
  ['GET', '/group/findGroupInfos/:instance', 'group.metadata', 'query'],
  ['PUT', '/group/updateParticipant/:instance', 'group.participants', 'body'],
  ['PUT', '/group/updateSubject/:instance', 'group.subject', 'body'],
  ['PUT', '/group/updateDescription/:instance', 'group.description', 'body'],
  ['PUT', '/group/updateSetting/:instance', 'group.settings', 'body'],
  ['GET', '/group/inviteCode/:instance', 'group.inviteCode', 'query'],
  ['PUT', '/group/revokeInviteCode/:instance', 'group.revokeInvite', 'body'],
  ['POST', '/group/acceptInviteCode/:instance', 'group.acceptInvite', 'body'],
  ['DELETE', '/group/leaveGroup/:instance', 'group.leave', 'body'],
  ['POST', '/settings/set/:instance', 'instance.settings', 'body'],
  ['GET', '/settings/find/:instance', 'settings.find', 'none']
];

const errors = Object.fromEntries([400, 401, 403, 404, 409, 429, 502].map(s => [s, ErrorReply]));
const Params = Type.Object({ instance: InstanceName });

/** The command's argument schema without `instance`, which the path carries; for /docs. */
function rest(name: CommandName): TSchema {
  const { instance: _instance, ...properties } = propertiesOf(name);
  return Type.Object(properties, { additionalProperties: false });
}

/**
 * REST: each route is an adapter that takes the instance from the path and the
 * rest of the arguments from the body or query, and calls the command layer.
 * The schemas come from protocol/, so `/docs` shows exactly what is checked.
 */
export async function restRoutes(app: FastifyInstance, opts: { commands: CommandLayer; authenticate: Authenticator; media: MediaService }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // The schemas below describe the routes for /docs; checking is the command layer's, with
  // the compiled validators every transport shares. Fastify's Ajv would coerce types
  // ("4242001" for 4242001) and drop unknown fields, which the sockets refuse.
  r.setValidatorCompiler(() => () => true);
  // A callback hook, not an async one: it runs on every request, and has nothing to wait for.
  r.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
    const principal = opts.authenticate(req.headers.apikey);
    if (!principal) return done(new Errors.unauthorized());
    req.principal = principal;
    done();
  });

  const define = (scope: typeof r, [method, url, command, from, status = 200]: (typeof ROUTES)[number]) => {
    const hasInstance = url.includes(':instance');
    const media = MEDIA_COMMANDS.has(command);
    scope.route({
      method,
      url,
      // A JSON send carries its file as base64: room for MEDIA_MAX_BYTES of it, on these routes only.
      ...(media ? { bodyLimit: mediaBodyLimit(opts.media.maxBytes) } : {}),
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
        // multipart/form-data: the file part is streamed into the media store, the other parts are the arguments.
        const upload = command === 'message.sendMedia' && req.isMultipart() ? await multipartArgs(req, opts.media) : undefined;
        const result = upload
          ? await opts.commands
              .run(command, restArgs(command, from, { ...req, body: upload.args }, hasInstance), req.principal!, upload.attachment)
              .catch((err: unknown) => {
                // The file is in the store before the command checks anything: a refused send must not leave it there.
                opts.media.discard(upload.attachment.file);
                throw err;
              })
          : await opts.commands.run(command, restArgs(command, from, req, hasInstance), req.principal!);
        return reply.status(status).send(result);
      }
    });
  };
  for (const entry of ROUTES) {
    if (entry[2] !== 'message.sendMedia') define(r, entry);
    // The multipart parser and its two hooks per request, only where a file part is taken.
    else
      await r.register(async scope => {
        await registerMultipart(scope, opts.media.maxBytes);
        define(scope.withTypeProvider<TypeBoxTypeProvider>(), entry);
      });
  }
}
