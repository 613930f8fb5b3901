import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { CommandForwarding } from '../cluster/command-forwarding.js';
import { EventRelay } from '../cluster/event-relay.js';
import { Leases } from '../cluster/leases.js';
import type { NodeId } from '../cluster/keys.js';
import { PlacementManager, type LiveNode } from '../cluster/placement-manager.js';
import { connectRedis } from '../cluster/redis-client.js';
import type { InstanceId } from '../../storage/index.js';
import { ClusterStatus } from '../../protocol/cluster.js';
import { Errors } from '../errors.js';

/** This node's part in a cluster; absent without REDIS_URL. */
export interface Cluster {
  nodeId: NodeId;
  relay: EventRelay;
  /** Whether this node runs the instance now (holds its lease). */
  holds(instance: InstanceId): boolean;
  /** The instances this node holds now. */
  held(): InstanceId[];
  /** The live nodes as the last placement round saw them. */
  nodes(): LiveNode[];
}

declare module 'fastify' {
  interface FastifyInstance {
    cluster: Cluster | null;
  }
}

export interface ClusterOptions {
  config: Pick<Config, 'REDIS_URL' | 'NODE_ID' | 'NODE_URL' | 'LEASE_TTL_MS' | 'CLUSTER_SETTLE_MS' | 'CLUSTER_HOLD_DOWN_MS'>;
}

/** The listen address as other nodes reach it: a wildcard address is no address to them. */
function advertised(address: string | AddressInfo | null): string {
  if (!address || typeof address === 'string') throw new Error('NODE_URL is needed: the hub does not listen on a TCP port');
  const host = address.address === '0.0.0.0' || address.address === '::' ? hostname() : address.address;
  return `http://${address.family === 'IPv6' && host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * With REDIS_URL the hub is one node of a cluster (docs/SCALING.md): instances are
 * placed on the live nodes by leases (server/cluster/), this node opens only those
 * whose lease it holds, and every committed envelope is relayed so clients on any
 * node receive it. Without REDIS_URL nothing here runs.
 */
export default fp(
  async (app, opts: ClusterOptions) => {
    const { config } = opts;
    app.get('/cluster', { schema: { response: { 200: ClusterStatus } } }, async req => {
      const principal = app.hub.authenticate(req.headers.apikey);
      if (!principal) throw new Errors.unauthorized();
      if (principal.kind !== 'admin') throw new Errors.adminOnly('GET /cluster');
      const cluster = app.cluster;
      const ids = new Set(cluster ? cluster.held() : app.hub.registry.list().map(i => i.row.id));
      const held = app.hub.registry.list().filter(i => ids.has(i.row.id)).map(i => ({ name: i.row.name, id: i.row.id }));
      if (!cluster) return { clustered: false, node: config.NODE_ID ?? hostname(), nodes: [], held };
      return { clustered: true, node: cluster.nodeId, nodes: cluster.nodes(), held };
    });
    if (!config.REDIS_URL) {
      app.decorate('cluster', null);
      return;
    }
    const log = (app.log as unknown as Logger).child({ component: 'cluster' });
    const nodeId = config.NODE_ID ?? hostname();
    const redis = await connectRedis(config.REDIS_URL, log, 'commands', nodeId);
    // Subscriptions take a connection of their own (RESP2 allows nothing else on it).
    const sub = await connectRedis(config.REDIS_URL, log, 'events', nodeId);
    const { registry, webhooks, pipeline, commands, media } = app.hub;
    const relay = new EventRelay(redis, sub, nodeId, log);
    let placement: PlacementManager | undefined;
    const holds = (id: InstanceId) => placement?.holds(id) ?? false;
    registry.placeWith({ holds });
    webhooks.placeWith(holds);
    // Every write of an instance's data carries this node's lease token; the store refuses one older than the newest it took.
    app.storage.fenceWith(
      id => placement?.tokenOf(id),
      id => placement?.refused(id)
    );
    pipeline.addSink(relay.sink);
    registry.onDeleted(id => relay.forget(id));
    const forwarding = new CommandForwarding({
      pub: redis,
      sub,
      node: nodeId,
      leases: new Leases(redis, config.LEASE_TTL_MS),
      log,
      // A name this node has not synced yet may be an instance another node just created.
      idOf: name => {
        try {
          return registry.idOf(name) ?? registry.get(name).row.id;
        } catch {
          return undefined;
        }
      },
      holds,
      runHere: (name, args, principal, upload) => {
        if (!upload) return commands.runHere(name, args, principal);
        // The file must be in this node's media folder already, byte for byte: nodes that share the folder see it there.
        if (media.store.size(upload.sha256) !== upload.bytes) {
          return Promise.reject(new Errors.uploadNotShared(String((args as { instance?: string }).instance)));
        }
        return commands.runHere(name, args, principal, { file: { ...upload, path: media.store.pathOf(upload.sha256) } });
      }
    });
    await forwarding.start();
    commands.forwardWith(forwarding);

    // A node joins once it listens: it advertises the address it can be reached at.
    app.addHook('onListen', async () => {
      const url = config.NODE_URL ?? advertised(app.server.address());
      placement = new PlacementManager({
        redis,
        node: { id: nodeId, url },
        // Each round also brings in instances other nodes created and drops those they deleted.
        instances: () => registry.sync(),
        storedToken: id => app.storage.fence.stored(id),
        ttlMs: config.LEASE_TTL_MS,
        settleMs: config.CLUSTER_SETTLE_MS,
        holdDownMs: config.CLUSTER_HOLD_DOWN_MS,
        log,
        hooks: {
          acquired: lease => {
            registry.adopt(lease.instance);
            webhooks.adopt(lease.instance);
          },
          lost: id => {
            void webhooks.disown(id);
            void registry.disown(id);
          },
          releasing: async id => {
            await webhooks.disown(id);
            await registry.disown(id);
          }
        }
      });
      placement.start();
      log.info({ node: nodeId, url, leaseTtlMs: placement.ttlMs, settleMs: placement.settleMs }, 'joined the cluster');
    });
    // Before the sessions and the store close: every instance is handed back, so other nodes open it at once.
    app.addHook('preClose', async () => {
      await placement?.stop();
      relay.close();
      forwarding.close();
    });
    app.addHook('onClose', async () => {
      await Promise.allSettled([sub.quit(), redis.quit()]);
    });
    app.decorate('cluster', {
      nodeId,
      relay,
      holds,
      held: () => placement?.heldInstances() ?? [],
      nodes: () => placement?.liveNodes() ?? []
    });
  },
  { name: 'cluster', dependencies: ['hub'] }
);
