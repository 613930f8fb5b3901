import type { Logger } from 'pino';
import type { EventEnvelope } from '../../protocol/index.js';
import type { InstanceId } from '../../storage/index.js';
import type { EventSink, EventSource } from '../events/event-pipeline.js';
import { keys, type NodeId } from './keys.js';
import type { Redis } from './redis-client.js';

/** Hands an envelope that another node committed to this node's own delivery. */
export type RemoteDelivery = (source: EventSource, envelope: EventEnvelope, raw: string) => void;

/**
 * Carries event envelopes between nodes, one sharded pub/sub channel per instance
 * (SPUBLISH/SSUBSCRIBE, so a Redis Cluster spreads the channels over its shards).
 * The owner publishes every envelope it commits, as stored, prefixed with its node
 * id; a node subscribes to an instance's channel once one of its clients follows
 * that instance, and hands what arrives to its own per-socket delivery (byte bound,
 * authorization, slow-client drop), skipping what it published itself.
 *
 * Pub/sub delivers at most once. What a subscriber misses while its connection is
 * down is reported through `onGap`, so its clients are closed and resubscribe
 * with `after`, which replays from the shared store.
 */
export class EventRelay {
  private readonly channels = new Map<InstanceId, Promise<void>>();
  private deliver: RemoteDelivery = () => undefined;
  private gapListeners = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly node: NodeId,
    private readonly log: Logger
  ) {
    // Every drop of the subscriber connection may lose messages (node-redis resubscribes on its own once back).
    sub.on('error', () => this.gap());
    sub.on('reconnecting', () => this.gap());
    sub.on('end', () => this.gap());
  }

  /** The pipeline's sink on the owner: every committed envelope goes out on its instance's channel, in commit order. */
  readonly sink: EventSink = {
    name: 'cluster',
    publish: (source, _envelope, raw) => {
      if (this.closed) return;
      this.pub.sPublish(keys.events(source.id), `${this.node}\n${raw}`).catch(err => this.log.warn({ err, instance: source.ref.name }, 'could not relay an event to other nodes'));
    }
  };

  /** Where envelopes from other nodes go. */
  onRemote(deliver: RemoteDelivery): void {
    this.deliver = deliver;
  }

  /** Called when envelopes may have been missed. */
  onGap(listener: () => void): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  /** Resolves once this node receives the instance's envelopes from any node. */
  follow(instance: InstanceId): Promise<void> {
    let subscribed = this.channels.get(instance);
    if (!subscribed) {
      subscribed = this.sub.sSubscribe(keys.events(instance), message => this.receive(instance, message));
      subscribed.catch(() => this.channels.delete(instance));
      this.channels.set(instance, subscribed);
    }
    return subscribed;
  }

  /** The instance is gone: its channel is dropped. */
  forget(instance: InstanceId): void {
    if (!this.channels.delete(instance)) return;
    this.sub.sUnsubscribe(keys.events(instance)).catch(err => this.log.debug({ err }, 'could not unsubscribe'));
  }

  close(): void {
    this.closed = true;
    this.gapListeners.clear();
  }

  private receive(instance: InstanceId, message: string): void {
    const cut = message.indexOf('\n');
    if (cut < 0 || message.slice(0, cut) === this.node) return;
    const raw = message.slice(cut + 1);
    let envelope: EventEnvelope;
    try {
      envelope = JSON.parse(raw) as EventEnvelope;
    } catch (err) {
      this.log.warn({ err, instance }, 'dropped a relayed event that is not JSON');
      return;
    }
    this.deliver({ id: instance, ref: envelope.instance }, envelope, raw);
  }

  private gap(): void {
    if (this.closed || !this.channels.size) return;
    for (const listener of this.gapListeners) listener();
  }
}
