import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { Compile } from 'typebox/compile';
import type { Logger } from 'pino';
import { SubscribeArgs, WsFrame } from '../../protocol/index.js';
import type { Storage } from '../../storage/index.js';
import { assertMayUse, type Principal } from '../auth/principal.js';
import type { CommandLayer } from '../commands/command-layer.js';
import { Errors, toErrorBody } from '../errors.js';
import type { EventSink } from '../events/event-pipeline.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import type { Authenticator } from './authenticate.js';
import { replayThenJoin } from './replay.js';

/** Frames larger than this are refused with the error shape (the socket stays open). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;

const frameCheck = Compile(WsFrame);
const subscribeCheck = Compile(SubscribeArgs);

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
        if (command === 'subscribe' || command === 'unsubscribe') {
          if (!subscribeCheck.Check(args)) throw new Errors.badRequest(`${command} takes {instance, after?}`);
          assertMayUse(principal, args.instance);
          const inst = deps.registry.get(args.instance);
          if (command === 'unsubscribe') {
            subscribers.get(args.instance)?.delete(socket);
            joined.delete(args.instance);
            return send({ id, ok: true, data: null });
          }
          // Synchronous from the read to the join: see replayThenJoin.
          const result = replayThenJoin(deps.storage, deps.registry, inst, args.after, raw => socket.send(raw), () => {
            let set = subscribers.get(args.instance);
            if (!set) subscribers.set(args.instance, (set = new Set()));
            set.add(socket);
            joined.add(args.instance);
          });
          return send({ id, ok: true, data: { instance: args.instance, state: inst.session.state, ...result } });
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
