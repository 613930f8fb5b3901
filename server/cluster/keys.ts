import type { InstanceId } from '../../storage/index.js';

/** An id a hub node goes by in the cluster (NODE_ID). */
export type NodeId = string;

/** Every key and channel the hub uses starts with this, so one Redis can serve other applications too. */
export const PREFIX = 'wahub:';

/**
 * Redis keys and channels of the cluster. The braces are Redis Cluster hash tags:
 * an instance's lease and its fencing counter share a slot (one Lua script touches
 * both), and so do the node index and every node's heartbeat (read with one MGET).
 */
export const keys = {
  /** The set of node ids that have announced themselves; dead ones are pruned by whoever lists them. */
  nodeIndex: `${PREFIX}{nodes}`,
  /** A node's heartbeat: its advertised URL, expiring unless renewed. */
  node: (node: NodeId) => `${PREFIX}{nodes}:${node}`,
  /** Who holds an instance: "<nodeId> <token>", expiring unless renewed. */
  lease: (instance: InstanceId) => `${PREFIX}lease:{${instance}}`,
  /** The instance's fencing counter: every claim takes the next value, so a later holder always has a larger token. */
  fence: (instance: InstanceId) => `${PREFIX}fence:{${instance}}`,
  /** Present for a while after the instance's lease was claimed: a live holder keeps it until this expires, even if a newly settled node hashes higher. */
  moved: (instance: InstanceId) => `${PREFIX}moved:{${instance}}`,
  /** The sharded pub/sub channel of an instance's event envelopes. */
  events: (instance: InstanceId) => `${PREFIX}events:{${instance}}`,
  /** The sharded channel a node takes forwarded commands on. */
  commands: (node: NodeId) => `${PREFIX}commands:{${node}}`,
  /** The sharded channel a node hears the answers to the commands it forwarded on. */
  replies: (node: NodeId) => `${PREFIX}replies:{${node}}`
} as const;
