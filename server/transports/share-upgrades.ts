import type { Server } from 'node:http';

/**
 * @fastify/websocket routes every HTTP upgrade through Fastify's router and
 * answers 404 to the paths it has no route for, which would cut Socket.IO's own
 * WebSocket upgrades on the same port. This leaves upgrades under `prefix` to
 * Socket.IO alone; every other upgrade still reaches @fastify/websocket.
 */
export function leaveUpgradesTo(server: Server, prefix: string): void {
  const listeners = server.listeners('upgrade') as ((...args: unknown[]) => void)[];
  server.removeAllListeners('upgrade');
  for (const listener of listeners) {
    server.on('upgrade', (req: { url?: string }, ...rest: unknown[]) => {
      if (!req.url?.startsWith(prefix)) listener.call(server, req, ...rest);
    });
  }
}
