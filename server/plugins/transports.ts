import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import fp from 'fastify-plugin';
import { asyncApiDocument } from '../../protocol/asyncapi.js';
import type { Logger } from 'pino';
import { restRoutes } from '../transports/rest-routes.js';
import { mediaRoutes } from '../media/media-routes.js';
import { leaveUpgradesTo } from '../transports/share-upgrades.js';
import { attachSocketIo } from '../transports/socketio.js';
import { MAX_FRAME_BYTES, websocketRoutes } from '../transports/websocket.js';
import { ClientBudget, DeliveryStats } from '../transports/client-port.js';
import { Delivery } from '../transports/delivery.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Socket delivery counters (clients dropped as too slow), for a metrics endpoint. */
    deliveryStats: DeliveryStats;
    /** Live delivery to socket clients; metrics count its clients and subscriptions. */
    delivery: Delivery;
  }
}

export interface TransportOptions {
  clientMaxBufferBytes: number;
}

/** The surfaces: REST, Socket.IO and a plain WebSocket, thin adapters over the command layer and the event pipeline. */
export default fp(
  async (app, opts: TransportOptions) => {
    const logger = app.log as unknown as Logger;
    const stats = new DeliveryStats();
    const cluster = app.cluster;
    const delivery = new Delivery(app.storage, app.hub.registry, new ClientBudget(opts.clientMaxBufferBytes, stats, logger), cluster?.relay);
    // In a cluster the envelopes other nodes commit reach this node's clients through the same per-socket delivery.
    cluster?.relay.onRemote((source, envelope, raw) => delivery.sink.publish(source, envelope, raw));
    cluster?.relay.onGap(() => delivery.interrupt(id => cluster.holds(id)));
    app.decorate('deliveryStats', stats);
    app.decorate('delivery', delivery);
    const deps = { authenticate: app.hub.authenticate, delivery, commands: app.hub.commands, logger };
    // OpenAPI from the same TypeBox schemas the routes validate with, browsable at /docs.
    await app.register(swagger, {
      openapi: {
        info: { title: 'wahub', description: 'Realtime event hub for WhatsApp', version: '0.1.0' },
        components: { securitySchemes: { apikey: { type: 'apiKey', in: 'header', name: 'apikey' } } }
      }
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    // The socket side of the same schemas: events and commands as AsyncAPI 3, built once.
    const asyncApi = JSON.stringify(asyncApiDocument('0.1.0'));
    app.get('/docs/asyncapi.json', { schema: { hide: true } }, (_req, reply) => reply.type('application/json').send(asyncApi));
    await app.register(restRoutes, { commands: app.hub.commands, authenticate: app.hub.authenticate, media: app.hub.media });
    // Media bytes: its own scope, as it also opens to signed URLs without the apikey header.
    await app.register(async scope =>
      mediaRoutes(scope, {
        media: app.hub.media,
        signer: app.hub.signer,
        authenticate: app.hub.authenticate,
        currentId: name => app.hub.registry.idOf(name)
      })
    );
    // Oversized frames get the error shape from the handler, so ws itself allows a little more.
    await app.register(fastifyWebsocket, { options: { maxPayload: MAX_FRAME_BYTES * 2 } });
    await app.register(async scope => websocketRoutes(scope, deps));
    leaveUpgradesTo(app.server, '/socket.io/');
    const io = attachSocketIo(app.server, deps);
    const detach = [app.hub.pipeline.addSink(delivery.sink), app.hub.registry.onDeleted(id => delivery.revoke(id))];
    app.addHook('preClose', async () => {
      detach.forEach(d => d());
      await io.close();
    });
  },
  { name: 'transports', dependencies: ['hub', 'cluster'] }
);
