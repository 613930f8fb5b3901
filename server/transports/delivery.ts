import type { EventEnvelope } from '../../protocol/index.js';
import type { InstanceId, Storage } from '../../storage/index.js';
import { assertMayUse, mayReceive, type CurrentId } from '../auth/principal.js';
import { Errors, toErrorBody } from '../errors.js';
import type { EventSink, EventSource } from '../events/event-pipeline.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import { WS_TRY_AGAIN_LATER, type ClientBudget, type ClientPort, type SocketTransport } from './client-port.js';
import { REPLAY_PAGE, replayThenJoin, subscriptionTarget, type ReplayResult } from './replay.js';

/** What `subscribe` acknowledges. */
export type SubscribeData = { instance: string; state: string } & ReplayResult;

interface Client {
  /** The instances it follows, each with the last seq it has: an envelope at or below it is not sent again. */
  following: Map<InstanceId, number>;
  replaying: boolean;
}

/** Envelopes committed on other nodes of a cluster (server/cluster/event-relay.ts). */
export interface RemoteEvents {
  /** Resolves once envelopes of the instance committed on any node reach this node's sink. */
  follow(instance: InstanceId): Promise<void>;
}

/** WebSocket close code for a token whose instance was deleted (4000–4999 are the application's). */
const WS_UNAUTHORIZED = 4401;

/** Why a client is closed when envelopes from another node may have been missed; it loses nothing by resubscribing. Fits a WebSocket close reason (123 bytes). */
const RELAY_INTERRUPTED = {
  status: 503,
  error: 'Service Unavailable',
  message: 'relayed events were cut; resubscribe with after=<last seq>'
};

/**
 * Live events and replays for every socket of both socket transports: who
 * follows which instance (by id, so a name deleted and created again is another
 * instance), within each client's byte bound, authorized again on every event.
 * Writes to each socket one by one rather than by room broadcast, because the
 * bound and the authorization are per socket and are checked before writing.
 */
export class Delivery {
  readonly sink: EventSink = { name: 'sockets', publish: (source, envelope, raw) => this.publish(source, envelope, raw) };
  private readonly followers = new Map<InstanceId, Set<ClientPort>>();
  private readonly clients = new Map<ClientPort, Client>();
  private readonly currentId: CurrentId;

  constructor(
    private readonly storage: Storage,
    private readonly registry: InstanceRegistry,
    readonly budget: ClientBudget,
    private readonly remote?: RemoteEvents
  ) {
    this.currentId = name => registry.idOf(name);
  }

  attach(port: ClientPort): void {
    this.clients.set(port, { following: new Map(), replaying: false });
  }

  detach(port: ClientPort): void {
    const client = this.clients.get(port);
    if (!client) return;
    for (const id of client.following.keys()) this.followers.get(id)?.delete(port);
    this.clients.delete(port);
  }

  /**
   * Replays after `after` (when given) and starts live delivery. `reply` is
   * called with the acknowledgement right before live delivery starts, so the ack
   * comes after the replayed events and before the first live one.
   */
  async subscribe(port: ClientPort, raw: unknown, reply: (data: SubscribeData) => void): Promise<void> {
    const client = this.client(port);
    const { args, inst } = subscriptionTarget(this.registry, port.principal, raw, 'subscribe');
    if (client.replaying) throw new Errors.replayInFlight();
    const id = inst.row.id;
    const state = inst.session.state;
    const lastSeq = () => this.registry.lastSeq(inst);
    // Before anything is read from the store: an envelope committed on another node after that read must reach this one.
    if (this.remote) {
      client.replaying = true;
      try {
        await this.remote.follow(id);
      } finally {
        client.replaying = false;
      }
    }
    const join = (result: ReplayResult) => {
      reply({ instance: args.instance, state, ...result });
      if (port.closed) return;
      client.following.set(id, result.lastSeq);
      let set = this.followers.get(id);
      if (!set) this.followers.set(id, (set = new Set()));
      set.add(port);
    };
    if (args.after === undefined) return join({ replayed: 0, lastSeq: lastSeq(), more: false, reset: false, gap: false });
    // Live delivery of this instance pauses while it replays, or its live events would come twice.
    this.unfollow(port, id);
    client.replaying = true;
    try {
      const authorize = () => assertMayUse(this.currentId, port.principal, args.instance);
      const src = { storage: this.storage, budget: this.budget, instanceId: id, lastSeq, authorize };
      const result = await replayThenJoin(src, port, args.after, join);
      if (result.more) reply({ instance: args.instance, state, ...result });
    } finally {
      client.replaying = false;
    }
  }

  /** Connected clients by transport and the instances they follow, summed: for metrics. */
  census(): { clients: Record<SocketTransport, number>; subscriptions: number } {
    const clients: Record<SocketTransport, number> = { websocket: 0, 'socket.io': 0 };
    let subscriptions = 0;
    for (const [port, client] of this.clients) {
      clients[port.transport]++;
      subscriptions += client.following.size;
    }
    return { clients, subscriptions };
  }

  unsubscribe(port: ClientPort, raw: unknown): void {
    const { inst } = subscriptionTarget(this.registry, port.principal, raw, 'unsubscribe');
    this.unfollow(port, inst.row.id);
  }

  /**
   * Envelopes from other nodes may have been missed (the relay's connection
   * dropped): every client that follows an instance this node does not run is
   * closed, and resubscribing with `after` replays what it missed from the store.
   */
  interrupt(runsHere: (id: InstanceId) => boolean): void {
    for (const [port, client] of [...this.clients]) {
      if (![...client.following.keys()].some(id => !runsHere(id))) continue;
      // One client that fails to close (its socket already gone) must not keep the others open.
      try {
        port.close(RELAY_INTERRUPTED, WS_TRY_AGAIN_LATER);
      } catch {
        continue;
      }
    }
  }

  /** Closes every socket an instance's token opened, once the instance is deleted. */
  revoke(id: InstanceId): void {
    const reason = toErrorBody(new Errors.tokenRevoked());
    for (const port of [...this.clients.keys()]) {
      this.unfollow(port, id);
      // Closed on the next turn, not now: a socket that deleted its own instance still gets that command's answer,
      // which is written once the command's promise settles (microtasks, before setImmediate). It can do nothing
      // more meanwhile: it follows nothing, and every command checks the token's instance.
      if (port.principal.kind === 'instance' && port.principal.instanceId === id) setImmediate(() => port.close(reason, WS_UNAUTHORIZED));
    }
    this.followers.delete(id);
  }

  private publish(source: EventSource, envelope: EventEnvelope, raw: string): void {
    const ports = this.followers.get(source.id);
    if (!ports?.size) return;
    const bytes = Buffer.byteLength(raw);
    for (const port of ports) {
      // A client closed as too slow stays a follower until its socket is gone: nothing more is read or written for it.
      if (port.closed) continue;
      const client = this.clients.get(port);
      const had = client?.following.get(source.id);
      // Relayed envelopes can overlap what the client got by replay or arrive twice around a move between nodes.
      if (had !== undefined && envelope.seq <= had) continue;
      if (!mayReceive(this.currentId, port.principal, source.id)) this.unfollow(port, source.id);
      else {
        // A relayed envelope can be missing: a node killed between its commit and its publish. The store has it.
        if (had !== undefined && envelope.seq > had + 1 && !this.fill(port, source.id, had, envelope.seq)) continue;
        if (!this.budget.admit(port, bytes)) continue;
        client?.following.set(source.id, envelope.seq);
        this.write(port, raw, envelope);
      }
    }
  }

  /**
   * Writes the stored envelopes between `had` and `next` to a client that did not
   * get them live; false when it was closed instead (too slow, or too many to
   * catch up here: resubscribing with `after` replays them page by page).
   */
  private fill(port: ClientPort, id: InstanceId, had: number, next: number): boolean {
    if (next - had - 1 > REPLAY_PAGE) {
      port.close(RELAY_INTERRUPTED, WS_TRY_AGAIN_LATER);
      return false;
    }
    for (const row of this.storage.events.after(id, had, next - had - 1)) {
      if (row.seq >= next) break;
      if (!this.budget.admit(port, Buffer.byteLength(row.payload))) return false;
      this.clients.get(port)?.following.set(id, row.seq);
      this.write(port, row.payload);
    }
    return !port.closed;
  }

  /** One socket that fails to write must not cost the others this event: it is closed instead (1011: internal error). */
  private write(port: ClientPort, raw: string, envelope?: EventEnvelope): void {
    try {
      port.write(raw, envelope);
    } catch (err) {
      port.close(toErrorBody(err), 1011);
    }
  }

  private unfollow(port: ClientPort, id: InstanceId): void {
    this.followers.get(id)?.delete(port);
    this.clients.get(port)?.following.delete(id);
  }

  private client(port: ClientPort): Client {
    const client = this.clients.get(port);
    if (!client) throw new Errors.badRequest('socket is closed');
    return client;
  }
}
