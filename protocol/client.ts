import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { ErrorReply, InstanceName } from './common.js';
import type { Ack, CommandArgs, CommandName, CommandResult } from './commands.js';
import type { EventEnvelope, EventName } from './events.js';

/** A command the hub refused, in the error shape every transport answers with. */
export class WahubError extends Error implements ErrorReply {
  readonly status: number;
  readonly error: string;

  constructor(body: ErrorReply) {
    super(body.message);
    this.name = 'WahubError';
    this.status = body.status;
    this.error = body.error;
  }
}

/** What the hub acknowledges to a `subscribe` (server/transports/replay.ts). */
export interface SubscribeAck {
  instance: InstanceName;
  state: string;
  replayed: number;
  lastSeq: number;
  more: boolean;
  /** The instance was deleted and created again: its seqs started over. */
  reset: boolean;
  /** Retention removed some events after `after`: they cannot be replayed. */
  gap: boolean;
}

export interface ConnectOptions {
  /** The hub's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The admin key or an instance's token. */
  token: string;
  /** How long a command waits for its answer (default 30 s). */
  commandTimeoutMs?: number;
  /** Passed to Socket.IO as they are (an `agent` for a proxy, reconnection delays); `auth` and `transports` are the client's. */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

export interface SubscribeOptions {
  /** Replay every stored event after this seq first (default: only live events from now on). */
  after?: number;
  /** Called with every acknowledgement, including those of the resubscriptions after a reconnect (to see `gap` or `reset`). */
  onAck?: (ack: SubscribeAck) => void;
}

type Handler = (envelope: EventEnvelope) => void;

interface Subscription {
  handler: Handler;
  /** The seq of the last event delivered to the user; undefined until the first ack or event. */
  last: number | undefined;
  /** Events are discarded while the client re-reads an instance whose seqs started over. */
  hold: boolean;
  onAck?: (ack: SubscribeAck) => void;
}

/**
 * A typed hub client over Socket.IO. It keeps, per instance, the last seq it
 * handed to its user; after a reconnect (or a drop as too slow, which Socket.IO
 * does not reconnect by itself) it subscribes again from there, and drops any
 * event at or below it, so the user sees every event once, in order.
 */
export class WahubClient {
  readonly socket: Socket;
  private readonly subs = new Map<InstanceName, Subscription>();
  private readonly listeners = new Map<EventName, Set<Handler>>();
  // The hub runs one replay per socket at a time, so subscriptions go out one after another.
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private connectedOnce = false;
  private refused = false;

  constructor(private readonly options: ConnectOptions) {
    this.socket = io(options.url, { forceNew: true, ...options.socket, auth: { token: options.token }, transports: ['websocket'] });
    this.socket.onAny((name: string, payload: unknown) => this.receive(name, payload));
    // The hub says why before it closes a socket: too slow (come back), or the token no longer valid (do not).
    this.socket.on('error', (body: ErrorReply | undefined) => {
      this.refused = body?.status === 401 || body?.status === 403;
    });
    this.socket.on('connect', () => {
      if (this.connectedOnce) for (const instance of this.subs.keys()) void this.enqueue(() => this.resubscribe(instance)).catch(() => undefined);
      this.connectedOnce = true;
    });
    this.socket.on('disconnect', reason => {
      // The hub closing the socket (too slow) is the one reason Socket.IO does not reconnect on its own.
      if (reason === 'io server disconnect' && !this.closed && !this.refused) setTimeout(() => !this.closed && this.socket.connect(), 500);
    });
  }

  /** Resolves once the first connection is up; rejects with the hub's error when the token is refused. */
  ready(): Promise<this> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve(this);
      const onError = (err: Error & { data?: ErrorReply }) => {
        this.socket.off('connect', onConnect);
        this.close();
        reject(err.data ? new WahubError(err.data) : err);
      };
      const onConnect = () => {
        this.socket.off('connect_error', onError);
        resolve(this);
      };
      this.socket.once('connect', onConnect);
      this.socket.once('connect_error', onError);
    });
  }

  /**
   * Follows an instance: `handler` gets each of its events once, in seq order,
   * across reconnects. Resolves with the first acknowledgement.
   */
  subscribe(instance: InstanceName, handler: Handler, opts: SubscribeOptions = {}): Promise<SubscribeAck> {
    this.subs.set(instance, { handler, last: opts.after, hold: false, onAck: opts.onAck });
    return this.enqueue(() => this.resubscribe(instance));
  }

  /** Stops following an instance. */
  async unsubscribe(instance: InstanceName): Promise<void> {
    this.subs.delete(instance);
    await this.call('unsubscribe', { instance });
  }

  /** The seq of the last event of `instance` handed to a handler. */
  lastSeq(instance: InstanceName): number | undefined {
    return this.subs.get(instance)?.last;
  }

  /** Calls `handler` with every event of that name on any subscribed instance (after the same de-duplication). */
  on<N extends EventName>(event: N, handler: (envelope: EventEnvelope<N>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const h = handler as Handler;
    set.add(h);
    return () => set.delete(h);
  }

  /** Runs a command; answers its result or throws a `WahubError` with the hub's `{status, error, message}`. */
  async command<C extends CommandName>(name: C, args: CommandArgs<C>): Promise<CommandResult<C>> {
    return (await this.call(name, args, this.options.commandTimeoutMs ?? 30_000)) as CommandResult<C>;
  }

  private async call(name: string, args: unknown, timeoutMs?: number): Promise<unknown> {
    const socket = timeoutMs === undefined ? this.socket : this.socket.timeout(timeoutMs);
    const ack = (await socket.emitWithAck(name, args)) as Ack;
    if (!ack.ok) throw new WahubError(ack.error);
    return ack.data;
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Subscribes from the last delivered seq until the hub says nothing more is stored. */
  private async resubscribe(instance: InstanceName): Promise<SubscribeAck> {
    for (;;) {
      const sub = this.subs.get(instance);
      if (!sub) throw new Error(`not subscribed to ${instance}`);
      const args = sub.last === undefined ? { instance } : { instance, after: sub.last };
      let data: SubscribeAck;
      try {
        // No timeout: a long replay is answered only after its last event.
        data = (await this.call('subscribe', args)) as SubscribeAck;
      } catch (err) {
        if (err instanceof WahubError || this.closed) throw err;
        // Cut off mid-replay: the next connection carries on from what was delivered.
        await new Promise<void>(resolve => this.socket.once('connect', () => resolve()));
        continue;
      }
      sub.onAck?.(data);
      if (data.reset) {
        // The seqs started over, so the replay was dropped as already seen: stop the stream, then read it again from 0.
        sub.hold = true;
        await this.call('unsubscribe', { instance }).finally(() => (sub.hold = false));
        sub.last = 0;
        continue;
      }
      // Every event up to lastSeq came before the ack (or was already delivered); live ones follow it.
      sub.last = Math.max(sub.last ?? 0, data.lastSeq);
      if (!data.more) return data;
    }
  }

  private receive(name: string, payload: unknown): void {
    const envelope = payload as EventEnvelope;
    if (typeof envelope?.seq !== 'number' || envelope.event !== name) return;
    const sub = this.subs.get(envelope.instance.name);
    if (!sub || sub.hold) return;
    if (sub.last !== undefined && envelope.seq <= sub.last) return;
    sub.last = envelope.seq;
    sub.handler(envelope);
    for (const h of this.listeners.get(envelope.event as EventName) ?? []) h(envelope);
  }
}

/** Connects to a hub; resolves once connected, or rejects with the hub's error (e.g. 401 for a wrong token). */
export function connect(options: ConnectOptions): Promise<WahubClient> {
  return new WahubClient(options).ready();
}
