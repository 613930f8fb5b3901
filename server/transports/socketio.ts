import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Logger } from 'pino';
import type { Ack } from '../../protocol/index.js';
import type { Principal } from '../auth/principal.js';
import type { CommandLayer } from '../commands/command-layer.js';
import { Errors, toErrorBody } from '../errors.js';
import type { Authenticator } from './authenticate.js';
import type { Delivery } from './delivery.js';
import { PacketEncoder, socketIoPort } from './socketio-port.js';

export interface SocketIoDeps {
  authenticate: Authenticator;
  delivery: Delivery;
  commands: CommandLayer;
  logger: Logger;
}

/** `socket.emit(name, ack)` without arguments puts the ack first. */
const split = (rest: unknown[]): { args: unknown; ack: unknown } =>
  typeof rest[0] === 'function' ? { args: undefined, ack: rest[0] } : { args: rest[0], ack: rest.at(-1) };

/**
 * Socket.IO on the hub's port. The handshake carries `auth: {token}`. A socket
 * receives an instance's events only after `subscribe` to it, and calls any
 * command as `socket.emit(name, args, ack)`, answered `{ok, data}` or `{ok: false, error}`.
 * A socket closed by the hub (too slow, or its token's instance deleted) first
 * gets an `error` event with the reason in the error shape.
 */
export function attachSocketIo(server: HttpServer, deps: SocketIoDeps) {
  const io = new Server(server, {
    // serveClient: the dashboard loads the client from the hub, not from a CDN.
    serveClient: true,
    maxHttpBufferSize: 4 * 1024 * 1024,
    cors: { origin: false },
    // Socket.IO's defaults, stated: a client that stops answering pings is closed after 45 s.
    pingInterval: 25_000,
    pingTimeout: 20_000
  });
  const { budget } = deps.delivery;
  const encoder = new PacketEncoder();

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
    const port = socketIoPort(socket, socket.data.principal as Principal, encoder);
    deps.delivery.attach(port);
    socket.on('disconnect', () => deps.delivery.detach(port));
    const answer = (ack: unknown, body: Ack) => {
      if (typeof ack === 'function' && budget.admit(port, Buffer.byteLength(JSON.stringify(body)))) ack(body);
    };
    const failed = (ack: unknown) => (err: unknown) => answer(ack, { ok: false, error: toErrorBody(err) });

    socket.on('subscribe', (...rest: unknown[]) => {
      const { args, ack } = split(rest);
      deps.delivery.subscribe(port, args, data => answer(ack, { ok: true, data })).catch(failed(ack));
    });
    socket.on('unsubscribe', (...rest: unknown[]) => {
      const { args, ack } = split(rest);
      try {
        deps.delivery.unsubscribe(port, args);
        answer(ack, { ok: true, data: null });
      } catch (err) {
        failed(ack)(err);
      }
    });

    socket.onAny((name: unknown, ...rest: unknown[]) => {
      if (name === 'subscribe' || name === 'unsubscribe' || port.closed) return;
      const ack = rest.at(-1);
      if (typeof ack !== 'function') return; // a command without an ack has nobody to answer
      const args = rest.length > 1 ? rest[0] : {};
      deps.commands
        .run(String(name), args, port.principal)
        .then(data => answer(ack, { ok: true, data }))
        .catch(err => {
          if (toErrorBody(err).status >= 500) deps.logger.error({ err, command: name }, 'command failed');
          failed(ack)(err);
        });
    });
  });

  return io;
}
