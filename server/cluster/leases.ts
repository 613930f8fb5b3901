import type { InstanceId } from '../../storage/index.js';
import type { Redis } from './redis-client.js';
import { keys, type NodeId } from './keys.js';

/** A claim that succeeded: the fencing token is larger than any earlier holder's. */
export interface Lease {
  instance: InstanceId;
  node: NodeId;
  token: number;
}

/**
 * Set-if-absent with expiry; the token comes from the instance's own counter, so it only grows,
 * and is raised above ARGV[3] first: a Redis that lost its data starts its counters again at 0,
 * while the store keeps the largest token it was written with.
 */
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local floor = tonumber(ARGV[3]) or 0
if (tonumber(redis.call('GET', KEYS[2])) or 0) < floor then redis.call('SET', KEYS[2], floor) end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token`;

/** Extends only the holder's own lease: a lease that expired and was claimed by another node is not taken back. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Deletes only the holder's own lease. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const valueOf = (lease: Lease) => `${lease.node} ${lease.token}`;

/** Instance leases in Redis: the value is "<nodeId> <token>". */
export class Leases {
  constructor(
    private readonly redis: Redis,
    readonly ttlMs: number
  ) {}

  /** Takes the instance's lease for `node` if nobody holds it, with a token above `above`; undefined when somebody does. */
  async claim(instance: InstanceId, node: NodeId, above = 0): Promise<Lease | undefined> {
    const token = await this.redis.eval(CLAIM, {
      keys: [keys.lease(instance), keys.fence(instance)],
      arguments: [node, String(this.ttlMs), String(above)]
    });
    return token === null ? undefined : { instance, node, token: Number(token) };
  }

  /** Extends the lease by a full TTL; false when it is no longer this holder's. */
  async renew(lease: Lease): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, { keys: [keys.lease(lease.instance)], arguments: [valueOf(lease), String(this.ttlMs)] })) === 1;
  }

  /** Gives the lease up; false when it was no longer this holder's. */
  async release(lease: Lease): Promise<boolean> {
    return Number(await this.redis.eval(RELEASE, { keys: [keys.lease(lease.instance)], arguments: [valueOf(lease)] })) === 1;
  }

  /** Who holds the instance now, as Redis says. */
  async holder(instance: InstanceId): Promise<Lease | undefined> {
    const value = await this.redis.get(keys.lease(instance));
    if (!value) return undefined;
    const [node, token] = value.split(' ');
    return node && token ? { instance, node, token: Number(token) } : undefined;
  }
}
