import { Type, type Static } from 'typebox';
import { InstanceName } from './common.js';

/** `GET /cluster` (admin key): this node, the live nodes and the instances this node runs. */
export const ClusterStatus = Type.Object({
  /** False on a single node (no REDIS_URL); the rest is then this node alone. */
  clustered: Type.Boolean(),
  node: Type.String({ description: 'this node (NODE_ID)' }),
  nodes: Type.Array(
    Type.Object({
      id: Type.String(),
      url: Type.String(),
      /** A node that has not settled takes no instance another live node holds (CLUSTER_SETTLE_MS). */
      settled: Type.Boolean(),
      settledAt: Type.Optional(Type.Integer({ description: "Redis time (ms since the epoch) from which the node counts as settled" }))
    }),
    { description: 'the live nodes, as the last placement round saw them' }
  ),
  /** The instances whose lease this node holds: it runs their WhatsApp sockets, queues and webhooks. */
  held: Type.Array(Type.Object({ name: InstanceName, id: Type.String() }))
});
export type ClusterStatus = Static<typeof ClusterStatus>;
