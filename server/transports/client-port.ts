import type { Logger } from 'pino';
import type { EventEnvelope } from '../../protocol/index.js';
import type { Principal } from '../auth/principal.js';
import type { ErrorBody } from '../errors.js';

export type SocketTransport = 'websocket' | 'socket.io';

/** One connected socket as delivery sees it; each socket transport implements it over its own library. */
export interface ClientPort {
  readonly transport: SocketTransport;
  readonly principal: Principal;
  readonly closed: boolean;
  /** Bytes handed to this client and not yet written to the network: the transport's queue and the socket's buffer. */
  waitingBytes(): number;
  /** Resolves once at most `bytes` wait, or the client is gone. */
  drained(bytes: number): Promise<void>;
  /** Writes one stored envelope (its JSON text; the parsed form when the caller has it). */
  write(raw: string, envelope?: EventEnvelope): void;
  /** Closes the client with a reason it can read: the close frame on /ws (with `wsCode`), an `error` event before the disconnect on Socket.IO. */
  close(reason: ErrorBody, wsCode: number): void;
}

/** The reason a client that does not read fast enough is closed with; it loses nothing by resubscribing. */
export const TOO_SLOW: ErrorBody = {
  status: 503,
  error: 'Service Unavailable',
  message: 'client too slow; resubscribe with after=<last seq>'
};
/** WebSocket close code "try again later" (RFC 6455 registry). */
export const WS_TRY_AGAIN_LATER = 1013;

/** Counters for a metrics endpoint: clients closed because they did not read what they were sent. */
export class DeliveryStats {
  readonly droppedTooSlow: Record<SocketTransport, number> = { websocket: 0, 'socket.io': 0 };

  get droppedTooSlowTotal(): number {
    return this.droppedTooSlow.websocket + this.droppedTooSlow['socket.io'];
  }
}

/**
 * The per-client bound on what waits to be written, shared by live events,
 * replays and command replies: a client that stops reading (a frozen tab, a
 * hostile script) otherwise keeps everything it is sent in the hub's memory.
 */
export class ClientBudget {
  constructor(
    readonly maxBytes: number,
    readonly stats: DeliveryStats,
    private readonly logger: Logger
  ) {}

  /** Whether `bytes` more can be written now without passing the bound. */
  fits(port: ClientPort, bytes: number): boolean {
    const waiting = port.waitingBytes();
    // A single message larger than the bound still goes to a client with nothing waiting: it is big, not slow.
    return waiting === 0 || waiting + bytes <= this.maxBytes;
  }

  /** Like `fits`, but a client past the bound is closed as too slow (and false answered): nothing more is written to it. */
  admit(port: ClientPort, bytes: number): boolean {
    if (port.closed) return false;
    if (this.fits(port, bytes)) return true;
    this.drop(port);
    return false;
  }

  /** Closes a client as too slow and counts it. */
  drop(port: ClientPort): void {
    if (port.closed) return;
    this.stats.droppedTooSlow[port.transport]++;
    this.logger.warn(
      { transport: port.transport, waitingBytes: port.waitingBytes(), droppedTooSlow: this.stats.droppedTooSlowTotal },
      'client too slow; closed'
    );
    port.close(TOO_SLOW, WS_TRY_AGAIN_LATER);
  }
}

/** Pending `drained` calls of one port, settled whenever its transport reports bytes written. */
export class DrainWaiters {
  private waiters: { bytes: number; resolve: () => void }[] = [];

  constructor(private readonly port: Pick<ClientPort, 'waitingBytes' | 'closed'>) {}

  wait(bytes: number): Promise<void> {
    return new Promise(resolve => {
      this.waiters.push({ bytes, resolve });
      this.settle();
    });
  }

  settle(): void {
    if (!this.waiters.length) return;
    const waiting = this.port.closed ? 0 : this.port.waitingBytes();
    this.waiters = this.waiters.filter(w => (waiting <= w.bytes ? (w.resolve(), false) : true));
  }
}
