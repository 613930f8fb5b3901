import { randomUUID } from 'node:crypto';
import type { Redis } from './redis-client.js';
import { keys, type NodeId } from './keys.js';

/** A node as the others see it. */
export interface NodeInfo {
  id: NodeId;
  /** Where other nodes and operators reach its HTTP API. */
  url: string;
  /** Redis time (ms) from which the node counts as settled once it beats again. */
  settledAt?: number;
  /**
   * The node beat at or after `settledAt`: it was alive through its settle time.
   * Until then it takes no instance another live node holds or could hold.
   */
  settled?: boolean;
}

/**
 * Renews this process's heartbeat and keeps its join time: a heartbeat that
 * expired, or was written by another process with this node id (a restart within
 * the TTL), is a new join, so the settle time starts again from Redis's clock.
 * Value: "<settledAt> <beatAt> <run> <url>", both times by Redis's clock, so every
 * node reads the same answer to "settled": the node beat at or after its settle
 * time. A node that dies before then never counts as settled, however long its
 * heartbeat takes to expire.
 */
const BEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local settled = now + tonumber(ARGV[4])
local cur = redis.call('GET', KEYS[1])
if cur then
  local s, run = string.match(cur, '^(%d+) %d+ (%S+) ')
  if run == ARGV[1] then settled = tonumber(s) end
end
redis.call('SET', KEYS[1], string.format('%d %d', settled, now) .. ' ' .. ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[5])
return 1`;

/** A node of an older version wrote just its URL: it counts as settled. */
function parse(id: NodeId, value: string): NodeInfo {
  const m = /^(\d+) (\d+) (\S+) (.*)$/.exec(value);
  if (!m) return { id, url: value, settledAt: 0, settled: true };
  const settledAt = Number(m[1]);
  return { id, url: m[4]!, settledAt, settled: Number(m[2]) >= settledAt };
}

/**
 * Node heartbeats: each node keeps a key with its advertised URL and the time it
 * settles that expires unless renewed, and adds its id to an index. A node whose
 * key expired is dead to the others, and its id leaves the index the next time
 * anyone lists the nodes.
 */
export class Membership {
  /** This process: a restart under the same node id is a new join. */
  private readonly run = randomUUID();

  constructor(
    private readonly redis: Redis,
    private readonly self: NodeInfo,
    private readonly ttlMs: number,
    /** How long after joining this node takes nothing from live nodes (placement-manager.ts). */
    private readonly settleMs = 0
  ) {}

  /** Announces this node for another `ttlMs`. */
  async beat(): Promise<void> {
    await this.redis.eval(BEAT, {
      keys: [keys.node(this.self.id), keys.nodeIndex],
      arguments: [this.run, this.self.url, String(this.ttlMs), String(this.settleMs), this.self.id]
    });
  }

  /** The nodes whose heartbeat has not expired, sorted by id. */
  async live(): Promise<NodeInfo[]> {
    const ids = (await this.redis.sMembers(keys.nodeIndex)).sort();
    if (!ids.length) return [];
    const values = await this.redis.mGet(ids.map(keys.node));
    const dead = ids.filter((_, i) => values[i] === null);
    if (dead.length) await this.redis.sRem(keys.nodeIndex, dead);
    return ids.flatMap((id, i) => (values[i] === null || values[i] === undefined ? [] : [parse(id, String(values[i]))]));
  }

  /** Leaves at once rather than at expiry (a clean shutdown). */
  async leave(): Promise<void> {
    await this.redis.multi().del(keys.node(this.self.id)).sRem(keys.nodeIndex, this.self.id).exec();
  }
}
