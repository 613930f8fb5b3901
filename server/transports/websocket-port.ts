import type { WebSocket } from 'ws';
import type { Principal } from '../auth/principal.js';
import { DrainWaiters, type ClientPort } from './client-port.js';

/** A /ws socket as a delivery port: what waits is ws's `bufferedAmount` (its sender's queue and the TCP socket's buffer). */
export function websocketPort(socket: WebSocket, principal: Principal): ClientPort & { send(text: string): void } {
  let closing = false;
  const port: ClientPort & { send(text: string): void } = {
    transport: 'websocket',
    principal,
    get closed() {
      return closing || socket.readyState !== socket.OPEN;
    },
    waitingBytes: () => socket.bufferedAmount,
    drained: bytes => waiters.wait(bytes),
    // ws calls back once a frame is handed to the kernel: the moment to see whether a replay may go on.
    write: raw => socket.send(raw, written),
    send: text => socket.send(text, written),
    close(reason, wsCode) {
      if (port.closed) return;
      closing = true;
      // A close reason is at most 123 bytes; the error shape fits. ws destroys the socket if the close handshake does not finish in 30 s.
      socket.close(wsCode, JSON.stringify(reason));
      waiters.settle();
    }
  };
  const waiters = new DrainWaiters(port);
  const written = () => waiters.settle();
  socket.on('close', written);
  return port;
}
