import type { InstanceId } from '../../storage/index.js';
import type { Redis } from './redis-client.js';
import { keys, type NodeId } from './keys.js';

/**
 * The per-instance hold-down after a move: a key that expires by Redis's clock, so
 * every node agrees whether it is still on. Only a live holder's rebalance waits for
 * it; an instance nobody holds is claimed regardless.
 */
export class HoldDown {
  constructor(
    private readonly redis: Redis,
    readonly ms: number
  ) {}

  /** The instance has just been claimed by `node`. */
  async start(instance: InstanceId, node: NodeId): Promise<void> {
    if (this.ms > 0) await this.redis.set(keys.moved(instance), node, { expiration: { type: 'PX', value: this.ms } });
  }

  /** Whether the instance moved too recently to move again. */
  async active(instance: InstanceId): Promise<boolean> {
    return (await this.redis.exists(keys.moved(instance))) === 1;
  }
}
