import type { Socket } from 'socket.io';
import type { EventEnvelope } from '../../protocol/index.js';
import type { Principal } from '../auth/principal.js';
import { DrainWaiters, type ClientPort } from './client-port.js';

/** How long a client closed by the hub has to read its reason before its buffers are thrown away: as long as ws gives a close handshake. */
const CLOSE_GRACE_MS = 30_000;

interface EnginePacket {
  data?: unknown;
}
interface EngineTransport {
  on(event: 'drain', listener: () => void): unknown;
}

const bytesOf = (packet: EnginePacket): number =>
  typeof packet.data === 'string' ? Buffer.byteLength(packet.data) : Buffer.isBuffer(packet.data) ? packet.data.length : 0;

/**
 * A Socket.IO socket as a delivery port. What waits is counted from engine.io's
 * documented socket events: a packet joins the write buffer (`packetCreate`),
 * the buffer goes to the transport (`flush`), and the transport has written it
 * (its `drain`, which the WebSocket transport emits once ws has handed the last
 * frame to the kernel). The transport takes one batch at a time, so a `drain`
 * clears everything that was flushed.
 */
export function socketIoPort(socket: Socket, principal: Principal): ClientPort {
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
      const e = envelope ?? (JSON.parse(raw) as EventEnvelope);
      socket.emit(e.event, e);
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
