import type { Redis } from './redis-client.js';
import { keys, type NodeId } from './keys.js';

/** A node as the others see it. */
export interface NodeInfo {
  id: NodeId;
  /** Where other nodes and operators reach its HTTP API. */
  url: string;
}

/**
 * Node heartbeats: each node keeps a key with its advertised URL that expires
 * unless renewed, and adds its id to an index. A node whose key expired is dead to
 * the others, and its id leaves the index the next time anyone lists the nodes.
 */
export class Membership {
  constructor(
    private readonly redis: Redis,
    private readonly self: NodeInfo,
    private readonly ttlMs: number
  ) {}

  /** Announces this node for another `ttlMs`. */
  async beat(): Promise<void> {
    await this.redis.multi().set(keys.node(this.self.id), this.self.url, { expiration: { type: 'PX', value: this.ttlMs } }).sAdd(keys.nodeIndex, this.self.id).exec();
  }

  /** The nodes whose heartbeat has not expired, sorted by id. */
  async live(): Promise<NodeInfo[]> {
    const ids = (await this.redis.sMembers(keys.nodeIndex)).sort();
    if (!ids.length) return [];
    const urls = await this.redis.mGet(ids.map(keys.node));
    const dead = ids.filter((_, i) => urls[i] === null);
    if (dead.length) await this.redis.sRem(keys.nodeIndex, dead);
    return ids.flatMap((id, i) => (urls[i] === null || urls[i] === undefined ? [] : [{ id, url: String(urls[i]) }]));
  }

  /** Leaves at once rather than at expiry (a clean shutdown). */
  async leave(): Promise<void> {
    await this.redis.multi().del(keys.node(this.self.id)).sRem(keys.nodeIndex, this.self.id).exec();
  }
}
