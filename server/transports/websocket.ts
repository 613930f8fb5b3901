import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { Compile } from 'typebox/compile';
import type { Logger } from 'pino';
import { WsFrame } from '../../protocol/index.js';
import type { Storage } from '../../storage/index.js';
import type { Principal } from '../auth/principal.js';
import type { CommandLayer } from '../commands/command-layer.js';
import { Errors, toErrorBody } from '../errors.js';
import type { EventSink } from '../events/event-pipeline.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import type { Authenticator } from './authenticate.js';
import { subscribe, subscriptionTarget } from './replay.js';

/** Frames larger than this are refused with the error shape (the socket stays open). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;

const frameCheck = Compile(WsFrame);

export interface WebSocketDeps {
  authenticate: Authenticator;
  registry: InstanceRegistry;
  storage: Storage;
  commands: CommandLayer;
  logger: Logger;
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
export function websocketRoutes(app: FastifyInstance, deps: WebSocketDeps): EventSink {
  const subscribers = new Map<string, Set<WebSocket>>();

  app.get('/ws', { websocket: true }, (socket: WebSocket, req: FastifyRequest) => {
    const principal: Principal | undefined = deps.authenticate(tokenOf(req));
    const send = (body: unknown) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(body));
    if (!principal) {
      send({ id: null, ok: false, error: toErrorBody(new Errors.unauthorized()) });
      socket.close(4401, 'unauthorized');
      return;
    }
    const joined = new Set<string>();
    let alive = true;
    socket.on('pong', () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, HEARTBEAT_MS);
    socket.on('close', () => {
      clearInterval(heartbeat);
      for (const name of joined) subscribers.get(name)?.delete(socket);
    });

    socket.on('message', (data: Buffer, isBinary: boolean) => {
      let id: unknown = null;
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
          const { args: target } = subscriptionTarget(deps.registry, principal, args, command);
          subscribers.get(target.instance)?.delete(socket);
          joined.delete(target.instance);
          return send({ id, ok: true, data: null });
        }
        if (command === 'subscribe') {
          const data = subscribe(deps.storage, deps.registry, principal, args, raw => socket.send(raw), instance => {
            let set = subscribers.get(instance);
            if (!set) subscribers.set(instance, (set = new Set()));
            set.add(socket);
            joined.add(instance);
          });
          return send({ id, ok: true, data });
        }
        deps.commands
          .run(command, args, principal)
          .then(result => send({ id, ok: true, data: result }))
          .catch(err => send({ id, ok: false, error: toErrorBody(err) }));
      } catch (err) {
        send({ id, ok: false, error: toErrorBody(err) });
      }
    });
  });

  return {
    name: 'websocket',
    publish: (instance, _envelope, raw) => {
      for (const socket of subscribers.get(instance) ?? []) if (socket.readyState === socket.OPEN) socket.send(raw);
    }
  };
}
