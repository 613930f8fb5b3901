import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { Compile } from 'typebox/compile';
import { WsFrame } from '../../protocol/index.js';
import type { CommandLayer } from '../commands/command-layer.js';
import { Errors, toErrorBody } from '../errors.js';
import type { Authenticator } from './authenticate.js';
import type { Delivery } from './delivery.js';
import { websocketPort } from './websocket-port.js';

/** Frames larger than this are refused with the error shape (the socket stays open). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** A client that has not answered the previous ping by the next one is cut. */
const HEARTBEAT_MS = 30_000;

const frameCheck = Compile(WsFrame);

export interface WebSocketDeps {
  authenticate: Authenticator;
  delivery: Delivery;
  commands: CommandLayer;
}

const tokenOf = (req: FastifyRequest): string | undefined => {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  const query = req.query as { token?: unknown };
  return typeof query.token === 'string' ? query.token : undefined;
};

/**
 * A plain WebSocket at `/ws` for clients without Socket.IO: the same subscribe,
 * the same envelopes, the same commands, as JSON frames `{id, command, args}`
 * answered by `{id, ok, data}` or `{id, ok: false, error}`.
 */
export function websocketRoutes(app: FastifyInstance, deps: WebSocketDeps): void {
  const { delivery } = deps;
  app.get('/ws', { websocket: true }, (socket: WebSocket, req: FastifyRequest) => {
    const principal = deps.authenticate(tokenOf(req));
    if (!principal) {
      socket.send(JSON.stringify({ id: null, ok: false, error: toErrorBody(new Errors.unauthorized()) }));
      socket.close(4401, 'unauthorized');
      return;
    }
    const port = websocketPort(socket, principal);
    delivery.attach(port);
    const send = (body: unknown) => {
      const text = JSON.stringify(body);
      if (delivery.budget.admit(port, Buffer.byteLength(text))) port.send(text);
    };
    let alive = true;
    socket.on('pong', () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, HEARTBEAT_MS);
    socket.on('close', () => {
      clearInterval(heartbeat);
      delivery.detach(port);
    });

    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (port.closed) return; // a client being closed is answered nothing more
      let id: unknown = null;
      const failed = (err: unknown) => send({ id, ok: false, error: toErrorBody(err) });
      try {
        if (isBinary) throw new Errors.badRequest('frames must be JSON text');
        if (data.length > MAX_FRAME_BYTES) throw new Errors.badRequest(`frame larger than ${MAX_FRAME_BYTES} bytes`);
        let frame: unknown;
        try {
          frame = JSON.parse(data.toString('utf8'));
        } catch {
          throw new Errors.badRequest('frame is not valid JSON');
        }
        id = (frame as { id?: unknown } | null)?.id ?? null;
        if (!frameCheck.Check(frame)) throw new Errors.badRequest('a frame is {id, command, args}');
        const { command, args } = frame;
        if (command === 'unsubscribe') {
          delivery.unsubscribe(port, args);
          return send({ id, ok: true, data: null });
        }
        if (command === 'subscribe') {
          delivery.subscribe(port, args, result => send({ id, ok: true, data: result })).catch(failed);
          return;
        }
        deps.commands
          .run(command, args, principal)
          .then(result => send({ id, ok: true, data: result }))
          .catch(failed);
      } catch (err) {
        failed(err);
      }
    });
  });
}
