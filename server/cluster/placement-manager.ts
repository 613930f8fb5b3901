import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { InstanceId } from '../../storage/index.js';
import type { NodeId } from './keys.js';
import { HoldDown } from './hold-down.js';
import { Leases, type Lease } from './leases.js';
import { Membership, type NodeInfo } from './membership.js';
import { ownerOf, placementOf, type Placement } from './placement.js';
import type { Redis } from './redis-client.js';

/** What the node does as instances come and go. */
export interface PlacementHooks {
  /** The lease is this node's now: open the instance. */
  acquired(lease: Lease): void | Promise<void>;
  /** The lease may already be another node's: stop at once and write nothing more. */
  lost(instance: InstanceId, why: string): void;
  /** This node gives the lease up (rebalance, shutdown): close the instance; the lease is deleted once this resolves. */
  releasing(instance: InstanceId): Promise<void>;
}

export interface PlacementOptions {
  redis: Redis;
  node: NodeInfo;
  /** Every instance there is: each round places them all. */
  instances(): InstanceId[];
  hooks: PlacementHooks;
  log: Logger;
  /** The largest token the store took for the instance: a claim's token is always above it (0 when not known). */
  storedToken?(instance: InstanceId): number;
  /** Lease and heartbeat lifetime (default 15 s). */
  ttlMs?: number;
  /** How long before the Redis expiry this node stops counting on a lease (default a fifth of the TTL). */
  safetyMarginMs?: number;
  /** Time between rounds (default a third of the TTL). */
  roundMs?: number;
  /** How long after joining this node takes nothing another live node holds or could hold (default twice the TTL). */
  settleMs?: number;
  /** How long after a claim a live holder keeps the instance although a settled node hashes higher (default four times the TTL). */
  holdDownMs?: number;
}

/** A live node as the last round saw it. */
export type LiveNode = NodeInfo & { settled: boolean };

interface Held {
  lease: Lease;
  /** Monotonic milliseconds after which this node no longer counts on the lease. */
  validUntil: number;
}

export const DEFAULT_LEASE_TTL_MS = 15_000;

/**
 * Places instances on the live nodes. Each round it beats its heartbeat, claims
 * the free instances that hash to this node among the settled ones, releases those
 * a settled node now hashes higher for once their hold-down is over (placementOf in
 * placement.ts), and renews the rest.
 *
 * A lease counts as held only until the start of its last successful claim or
 * renewal plus the TTL minus a safety margin, by this process's monotonic clock.
 * Redis's expiry starts later than that start, so a node that was paused
 * (SIGSTOP, a long GC), cut off from Redis, or slow to hear back knows it lost the
 * lease before Redis lets anyone else take it, and it never renews a lease it has
 * stopped counting on: it steps down (`lost`) and claims afresh, with a new token.
 */
export class PlacementManager {
  readonly ttlMs: number;
  readonly safetyMarginMs: number;
  readonly roundMs: number;
  readonly settleMs: number;
  private readonly leases: Leases;
  private readonly holdDown: HoldDown;
  private readonly membership: Membership;
  private readonly held = new Map<InstanceId, Held>();
  private timer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private nodes: LiveNode[] = [];

  constructor(private readonly opts: PlacementOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.safetyMarginMs = opts.safetyMarginMs ?? Math.floor(this.ttlMs / 5);
    this.roundMs = opts.roundMs ?? Math.floor(this.ttlMs / 3);
    if (this.safetyMarginMs <= 0 || this.roundMs + this.safetyMarginMs >= this.ttlMs) {
      throw new Error(`lease TTL ${this.ttlMs} ms leaves no time to renew (round ${this.roundMs} ms, margin ${this.safetyMarginMs} ms)`);
    }
    this.settleMs = opts.settleMs ?? 2 * this.ttlMs;
    this.leases = new Leases(opts.redis, this.ttlMs);
    this.holdDown = new HoldDown(opts.redis, opts.holdDownMs ?? 4 * this.ttlMs);
    this.membership = new Membership(opts.redis, opts.node, this.ttlMs, this.settleMs);
  }

  get nodeId(): NodeId {
    return this.opts.node.id;
  }

  /** Joins: the first round now, the next every `roundMs`. */
  start(): void {
    this.timer = setInterval(() => void this.round(), this.roundMs);
    // Between rounds as well: a lease must be dropped on time even while a round waits on Redis.
    this.watchdog = setInterval(() => this.expireOverdue(), Math.max(50, Math.floor(this.safetyMarginMs / 2)));
    void this.round();
  }

  /**
   * Whether this node may act for the instance now (open its socket, write its
   * events). Checked synchronously before every write: a lease past its local
   * validity is dropped here, before the write, even if no timer has run yet.
   */
  holds(instance: InstanceId): boolean {
    const h = this.held.get(instance);
    if (!h) return false;
    if (performance.now() < h.validUntil) return true;
    this.lose(instance, 'lease past its local validity');
    return false;
  }

  /** The fencing token of the lease this node holds on the instance. */
  tokenOf(instance: InstanceId): number | undefined {
    return this.holds(instance) ? this.held.get(instance)?.lease.token : undefined;
  }

  /** The store refused a write with this node's token: a newer holder wrote, whatever Redis told this node. */
  refused(instance: InstanceId): void {
    this.lose(instance, 'the store holds a newer lease token');
  }

  /** The instances this node holds now. */
  heldInstances(): InstanceId[] {
    return [...this.held.keys()].filter(id => this.holds(id));
  }

  /** The live nodes as the last round saw them. */
  liveNodes(): LiveNode[] {
    return this.nodes;
  }

  /** Runs one round now (or waits for the one in progress). */
  round(): Promise<void> {
    if (!this.running) this.running = this.placeAll().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Leaves: every instance is released through `releasing`, then the heartbeat goes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.watchdog);
    await this.running;
    await Promise.all([...this.held.keys()].map(id => this.release(id)));
    await this.membership.leave().catch(err => this.opts.log.warn({ err }, 'could not remove the node heartbeat'));
  }

  private async placeAll(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.membership.beat();
      this.nodes = (await this.membership.live()).map(n => ({ ...n, settled: n.settled ?? true }));
      const placement = placementOf(this.nodes, this.nodeId);
      const instances = this.opts.instances();
      await Promise.all(
        [...this.held.keys()].map(async id => {
          if (this.stopped) return;
          return (await this.keeps(id, placement)) ? this.renew(id) : this.release(id);
        })
      );
      const claims = instances.filter(id => !this.held.has(id) && ownerOf(id, placement.claimers) === this.nodeId);
      await Promise.all(claims.filter(() => !this.stopped).map(id => this.claim(id)));
    } catch (err) {
      this.opts.log.warn({ err }, 'placement round failed');
    }
  }

  /**
   * A held instance stays unless a settled node hashes higher than this one, and
   * then only once its hold-down is over: that node claims it when it is released.
   */
  private async keeps(instance: InstanceId, placement: Placement): Promise<boolean> {
    const best = ownerOf(instance, placement.keepers);
    if (best === this.nodeId) return true;
    if (!(await this.holdDown.active(instance))) return false;
    this.opts.log.debug({ instance, to: best }, 'move held down');
    return true;
  }

  private async claim(instance: InstanceId): Promise<void> {
    const started = performance.now();
    const lease = await this.leases.claim(instance, this.nodeId, this.opts.storedToken?.(instance) ?? 0);
    if (!lease) return;
    const h: Held = { lease, validUntil: started + this.ttlMs - this.safetyMarginMs };
    if (this.stopped || performance.now() >= h.validUntil) {
      // The answer came too late to count on (or the node is leaving): hand it straight back.
      await this.leases.release(lease);
      return;
    }
    this.held.set(instance, h);
    this.opts.log.info({ instance, token: lease.token }, 'lease acquired');
    await this.holdDown.start(instance, this.nodeId).catch(err => this.opts.log.warn({ err, instance }, 'could not start the hold-down of a claimed instance'));
    try {
      await this.opts.hooks.acquired(lease);
    } catch (err) {
      this.opts.log.error({ err, instance }, 'could not open an acquired instance; releasing it');
      await this.release(instance);
    }
  }

  private async renew(instance: InstanceId): Promise<void> {
    // Never renew a lease already past its local validity: another node may hold it by now.
    if (!this.holds(instance)) return;
    const h = this.held.get(instance)!;
    const started = performance.now();
    this.opts.log.debug({ instance, token: h.lease.token }, 'renewing lease');
    const ok = await this.leases.renew(h.lease);
    if (this.held.get(instance) !== h) return;
    if (!ok) return this.lose(instance, 'lease taken or expired in Redis');
    h.validUntil = Math.max(h.validUntil, started + this.ttlMs - this.safetyMarginMs);
    this.holds(instance);
  }

  private async release(instance: InstanceId): Promise<void> {
    const h = this.held.get(instance);
    if (!h) return;
    try {
      await this.opts.hooks.releasing(instance);
    } catch (err) {
      this.opts.log.error({ err, instance }, 'closing a released instance failed');
    }
    // Deleted only after the instance closed: until then nobody else may open it.
    if (this.held.get(instance) !== h) return;
    this.held.delete(instance);
    await this.leases.release(h.lease).catch(err => this.opts.log.warn({ err, instance }, 'could not delete a released lease; it expires'));
    this.opts.log.info({ instance }, 'lease released');
  }

  private expireOverdue(): void {
    for (const id of [...this.held.keys()]) this.holds(id);
  }

  private lose(instance: InstanceId, why: string): void {
    if (!this.held.delete(instance)) return;
    this.opts.log.warn({ instance, why }, 'lease lost; instance stopped');
    try {
      this.opts.hooks.lost(instance, why);
    } catch (err) {
      this.opts.log.error({ err, instance }, 'stopping a lost instance failed');
    }
  }
}
