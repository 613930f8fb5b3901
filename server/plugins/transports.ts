import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { restRoutes } from '../transports/rest-routes.js';
import { leaveUpgradesTo } from '../transports/share-upgrades.js';
import { attachSocketIo } from '../transports/socketio.js';
import { MAX_FRAME_BYTES, websocketRoutes } from '../transports/websocket.js';

/** The surfaces: REST, Socket.IO and a plain WebSocket, thin adapters over the command layer and the event pipeline. */
export default fp(
  async app => {
    const deps = {
      authenticate: app.hub.authenticate,
      registry: app.hub.registry,
      storage: app.storage,
      commands: app.hub.commands,
      logger: app.log as unknown as Logger
    };
    // OpenAPI from the same TypeBox schemas the routes validate with, browsable at /docs.
    await app.register(swagger, {
      openapi: {
        info: { title: 'wahub', description: 'Realtime event hub for WhatsApp', version: '0.1.0' },
        components: { securitySchemes: { apikey: { type: 'apiKey', in: 'header', name: 'apikey' } } }
      }
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    await app.register(restRoutes, { commands: app.hub.commands, authenticate: app.hub.authenticate });
    // Oversized frames get the error shape from the handler, so ws itself allows a little more.
    await app.register(fastifyWebsocket, { options: { maxPayload: MAX_FRAME_BYTES * 2 } });
    let wsSink: ReturnType<typeof websocketRoutes> | undefined;
    await app.register(async scope => {
      wsSink = websocketRoutes(scope, deps);
    });
    leaveUpgradesTo(app.server, '/socket.io/');
    const { io, sink } = attachSocketIo(app.server, deps);
    const detach = [app.hub.pipeline.addSink(sink), app.hub.pipeline.addSink(wsSink!)];
    app.addHook('preClose', async () => {
      detach.forEach(d => d());
      await io.close();
    });
  },
  { name: 'transports', dependencies: ['hub'] }
);
