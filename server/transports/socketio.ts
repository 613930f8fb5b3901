import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { Compile } from 'typebox/compile';
import { Type } from 'typebox';
import type { Logger } from 'pino';
import { InstanceName, type Ack, type EventEnvelope } from '../../protocol/index.js';
import { assertMayUse, type Principal } from '../auth/principal.js';
import { Errors, toErrorBody } from '../errors.js';
import type { EventSink } from '../events/event-pipeline.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import type { Authenticator } from './authenticate.js';

const SubscribeArgs = Compile(Type.Object({ instance: InstanceName }, { additionalProperties: false }));
const room = (instance: string) => `instance:${instance}`;

/**
 * Socket.IO on the hub's port. The handshake carries `auth: {token}`; a socket
 * receives an instance's events only after `subscribe` to it, in that instance's
 * room, so no event of one instance reaches a socket not subscribed to it.
 */
export function attachSocketIo(server: HttpServer, deps: { authenticate: Authenticator; registry: InstanceRegistry; logger: Logger }) {
  const io = new Server(server, { serveClient: false, maxHttpBufferSize: 1e6, cors: { origin: false } });

  io.use((socket, next) => {
    const principal = deps.authenticate((socket.handshake.auth as { token?: unknown } | undefined)?.token);
    if (!principal) {
      const err = new Error('missing or invalid token') as Error & { data: unknown };
      err.data = toErrorBody(new Errors.unauthorized());
      return next(err);
    }
    socket.data.principal = principal;
    next();
  });

  io.on('connection', (socket: Socket) => {
    const principal = socket.data.principal as Principal;
    const reply = (ack: unknown, body: Ack) => {
      if (typeof ack === 'function') ack(body);
    };
    socket.on('subscribe', async (args: unknown, ack: unknown) => {
      try {
        if (!SubscribeArgs.Check(args)) throw new Errors.badRequest('subscribe takes {instance}');
        assertMayUse(principal, args.instance);
        const inst = deps.registry.get(args.instance);
        await socket.join(room(args.instance));
        reply(ack, { ok: true, data: { instance: args.instance, state: inst.session.state, lastSeq: deps.registry.lastSeq(inst) } });
      } catch (err) {
        reply(ack, { ok: false, error: toErrorBody(err) });
      }
    });
    socket.on('unsubscribe', async (args: unknown, ack: unknown) => {
      if (SubscribeArgs.Check(args)) await socket.leave(room(args.instance));
      reply(ack, { ok: true, data: null });
    });
  });

  const sink: EventSink = {
    name: 'socket.io',
    publish: (instance: string, envelope: EventEnvelope) => {
      io.to(room(instance)).emit(envelope.event, envelope);
    }
  };
  return { io, sink };
}
