import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { Compile } from 'typebox/compile';
import type { Logger } from 'pino';
import { SubscribeArgs, type Ack, type EventEnvelope } from '../../protocol/index.js';
import type { Storage } from '../../storage/index.js';
import type { Principal } from '../auth/principal.js';
import type { CommandLayer } from '../commands/command-layer.js';
import { Errors, toErrorBody } from '../errors.js';
import type { EventSink } from '../events/event-pipeline.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import type { Authenticator } from './authenticate.js';
import { subscribe } from './replay.js';

const unsubscribeArgs = Compile(SubscribeArgs);
const room = (instance: string) => `instance:${instance}`;

export interface SocketIoDeps {
  authenticate: Authenticator;
  registry: InstanceRegistry;
  storage: Storage;
  commands: CommandLayer;
  logger: Logger;
}

/**
 * Socket.IO on the hub's port. The handshake carries `auth: {token}`. A socket
 * receives an instance's events only after `subscribe` to it (from its room, so
 * no event of one instance reaches a socket not subscribed to it), and calls any
 * command as `socket.emit(name, args, ack)`, answered `{ok, data}` or `{ok: false, error}`.
 */
export function attachSocketIo(server: HttpServer, deps: SocketIoDeps) {
  // serveClient: the dashboard loads the client from the hub, not from a CDN.
  const io = new Server(server, { serveClient: true, maxHttpBufferSize: 4 * 1024 * 1024, cors: { origin: false } });

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
    const answer = (ack: unknown, body: Ack) => {
      if (typeof ack === 'function') ack(body);
    };

    socket.on('subscribe', (args: unknown, ack: unknown) => {
      try {
        const data = subscribe(
          deps.storage,
          deps.registry,
          principal,
          args,
          raw => {
            const envelope = JSON.parse(raw) as EventEnvelope;
            socket.emit(envelope.event, envelope);
          },
          instance => void socket.join(room(instance))
        );
        answer(ack, { ok: true, data });
      } catch (err) {
        answer(ack, { ok: false, error: toErrorBody(err) });
      }
    });
    socket.on('unsubscribe', (args: unknown, ack: unknown) => {
      if (unsubscribeArgs.Check(args)) void socket.leave(room(args.instance));
      answer(ack, { ok: true, data: null });
    });

    socket.onAny((name: unknown, ...rest: unknown[]) => {
      if (name === 'subscribe' || name === 'unsubscribe') return;
      const ack = rest.at(-1);
      if (typeof ack !== 'function') return; // a command without an ack has nobody to answer
      const args = rest.length > 1 ? rest[0] : {};
      deps.commands
        .run(String(name), args, principal)
        .then(data => answer(ack, { ok: true, data }))
        .catch(err => {
          if (toErrorBody(err).status >= 500) deps.logger.error({ err, command: name }, 'command failed');
          answer(ack, { ok: false, error: toErrorBody(err) });
        });
    });
  });

  const sink: EventSink = {
    name: 'socket.io',
    publish: (instance, envelope) => {
      io.to(room(instance)).emit(envelope.event, envelope);
    }
  };
  return { io, sink };
}
