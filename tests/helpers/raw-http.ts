import { connect, type Socket } from 'node:net';

/** A raw TCP connection to the hub that records everything it receives and when it closed. */
export interface RawConnection {
  socket: Socket;
  received: () => string;
  /** Resolves once the server has closed the connection; rejects after the deadline. */
  closed(timeoutMs: number): Promise<{ afterMs: number }>;
}

export async function rawConnect(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const opened = Date.now();
  let data = '';
  let closedAt: number | undefined;
  socket.on('data', d => (data += d.toString('latin1')));
  socket.on('error', () => undefined); // a reset is one way the server closes
  socket.on('close', () => (closedAt = Date.now()));
  return {
    socket,
    received: () => data,
    closed: timeoutMs =>
      new Promise((resolve, reject) => {
        if (closedAt !== undefined) return resolve({ afterMs: closedAt - opened });
        const timer = setTimeout(() => reject(new Error(`the server kept the connection open for ${timeoutMs} ms`)), timeoutMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve({ afterMs: Date.now() - opened });
        });
      })
  };
}

/** Splits a raw HTTP/1.1 response into its status, lower-cased headers and body. */
export function parseResponse(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body: raw.slice(end + 4) };
}
