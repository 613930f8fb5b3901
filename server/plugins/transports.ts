import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { restRoutes } from '../transports/rest-routes.js';
import { attachSocketIo } from '../transports/socketio.js';

/** The surfaces: REST routes and Socket.IO, both thin adapters over the hub's command layer and event pipeline. */
export default fp(
  async app => {
    await app.register(restRoutes, { commands: app.hub.commands, authenticate: app.hub.authenticate });
    const { io, sink } = attachSocketIo(app.server, { authenticate: app.hub.authenticate, registry: app.hub.registry, logger: app.log as unknown as Logger });
    const detach = app.hub.pipeline.addSink(sink);
    app.addHook('preClose', async () => {
      detach();
      await io.close();
    });
  },
  { name: 'transports', dependencies: ['hub'] }
);
