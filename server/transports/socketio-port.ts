import type { Socket } from 'socket.io';
import * as ws from 'ws';
import type { EventEnvelope } from '../../protocol/index.js';
import type { Principal } from '../auth/principal.js';
import { DrainWaiters, type ClientPort } from './client-port.js';

/** How long a client closed by the hub has to read its reason before its buffers are thrown away: as long as ws gives a close handshake. */
const CLOSE_GRACE_MS = 30_000;

interface EnginePacket {
  data?: unknown;
}
interface EngineConnection {
  write(packet: string, options: PreEncoded): unknown;
}
interface EngineTransport {
  on(event: 'drain', listener: () => void): unknown;
}

const bytesOf = (packet: EnginePacket): number =>
  typeof packet.data === 'string' ? Buffer.byteLength(packet.data) : Buffer.isBuffer(packet.data) ? packet.data.length : 0;

/** What engine.io's WebSocket transport sends as is instead of framing the packet again (Socket.IO's room broadcast uses it). */
interface PreEncoded {
  wsPreEncodedFrame?: Buffer[];
}
/**
 * `ws` computes a frame without a socket (untyped in @types/ws). Its ESM entry exports
 * `Sender` by name only, its CommonJS one on the module too: the namespace has it in both.
 */
const frameOf = (ws as unknown as { Sender?: { frame?(data: Buffer, options: object): Buffer[] } }).Sender?.frame;

/**
 * Encodes each envelope once for all the Socket.IO sockets it goes to, as Socket.IO's
 * own room broadcast does, though delivery writes socket by socket (each has its own
 * bound and authorization). The EVENT packet is built from the stored JSON text, which
 * socket.io-parser would otherwise serialise again from the parsed envelope for every
 * socket, and its WebSocket frame is computed once as well.
 */
export class PacketEncoder {
  private last?: { raw: string; packet: string; options: PreEncoded };

  encode(raw: string, event: string): { packet: string; options: PreEncoded } {
    // Delivery writes one envelope to every follower before the next: one entry is the whole cache.
    if (this.last?.raw === raw) return this.last;
    // socket.io-parser's text form of an EVENT packet ("2") in the main namespace: `2["name",<data>]`.
    const packet = `2[${JSON.stringify(event)},${raw}]`;
    // "4" is engine.io's message packet type; the frame is unmasked, as from a server.
    const options = frameOf ? { wsPreEncodedFrame: frameOf(Buffer.from(`4${packet}`), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true }) } : {};
    this.last = { raw, packet, options };
    return this.last;
  }
}

/**
 * A Socket.IO socket as a delivery port. What waits is counted from engine.io's
 * documented socket events: a packet joins the write buffer (`packetCreate`),
 * the buffer goes to the transport (`flush`), and the transport has written it
 * (its `drain`, which the WebSocket transport emits once ws has handed the last
 * frame to the kernel). The transport takes one batch at a time, so a `drain`
 * clears everything that was flushed.
 */
export function socketIoPort(socket: Socket, principal: Principal, encoder = new PacketEncoder()): ClientPort {
  let queued = 0;
  let sending = 0;
  let closing = false;
  const conn = socket.conn;
  const port: ClientPort = {
    transport: 'socket.io',
    principal,
    get closed() {
      return closing || !socket.connected;
    },
    waitingBytes: () => queued + sending,
    drained: bytes => waiters.wait(bytes),
    write(raw, envelope) {
      // What Socket.IO's own write checks: nothing goes to a connection that is closing.
      if (conn.readyState !== 'open') return;
      const { packet, options } = encoder.encode(raw, envelope?.event ?? (JSON.parse(raw) as EventEnvelope).event);
      (conn as unknown as EngineConnection).write(packet, options);
    },
    close(reason) {
      if (port.closed) return;
      closing = true;
      // Socket.IO's disconnect reason is fixed ("io server disconnect"), so the reason goes first as an `error` event.
      socket.emit('error', reason);
      socket.disconnect(true);
      // engine.io waits for the write buffer to drain before closing, which a client that does not read never lets happen.
      setTimeout(() => conn.close(true), CLOSE_GRACE_MS).unref();
      waiters.settle();
    }
  };
  const waiters = new DrainWaiters(port);
  // Packets created before this port existed are not counted; clamping keeps the count from going below zero.
  conn.on('packetCreate', (packet: EnginePacket) => (queued += bytesOf(packet)));
  conn.on('flush', (packets: EnginePacket[]) => {
    const n = packets.reduce((sum, p) => sum + bytesOf(p), 0);
    queued = Math.max(0, queued - n);
    sending += n;
  });
  const onDrain = () => {
    sending = 0;
    waiters.settle();
  };
  (conn.transport as EngineTransport).on('drain', onDrain);
  conn.on('upgrade', (transport: EngineTransport) => {
    sending = 0;
    transport.on('drain', onDrain);
  });
  socket.on('disconnect', () => waiters.settle());
  return port;
}
