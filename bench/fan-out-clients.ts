/**
 * The subscribers of `fan-out.ts`, in a process of their own: 200 Socket.IO
 * clients decoding 50 envelopes a second each take about as much CPU as the
 * server that writes to them, and in the server's process they would be measured
 * as its latency. Run by `fan-out.ts` over IPC, never by hand:
 *
 *   parent → { url, token?, instance?, clients }   connect (and subscribe, for the hub)
 *   child  → { ready: true }
 *   parent → { collect: n }                        once n latencies have arrived, send them
 *   child  → { latencies: number[] }               and the parent ends it
 *
 * A latency is the time from the `sentAt` in the message text (milliseconds on
 * the wall clock, `performance.timeOrigin + performance.now()` in both processes)
 * to the envelope's arrival here.
 */
import { performance } from 'node:perf_hooks';
import { io as connect, type Socket } from 'socket.io-client';

export interface ConnectOrder {
  url: string;
  /** The instance token and name: subscribe to the hub. Without them the server puts each socket in its room itself. */
  token?: string;
  instance?: string;
  clients: number;
}

/** The wall clock in milliseconds, comparable between processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** The send time a fan-out message text carries. */
export const sentAt = (text: unknown): number | undefined => (typeof text === 'string' && text.startsWith('fan ') ? Number(text.slice(4)) : undefined);

const send = (message: unknown) => process.send!(message);

async function open(order: ConnectOrder): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < order.clients; i++) {
    const s = connect(order.url, { auth: { token: order.token }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => (s.once('connect', () => resolve()), s.once('connect_error', reject)));
    if (order.instance) {
      const ack = await s.timeout(10_000).emitWithAck('subscribe', { instance: order.instance });
      if (!ack.ok) throw new Error(`subscribe: ${JSON.stringify(ack)}`);
    }
    sockets.push(s);
  }
  return sockets;
}

if (process.send) {
  const latencies: number[] = [];
  let sockets: Socket[] = [];
  process.on('message', async (m: ConnectOrder | { collect: number }) => {
    if ('collect' in m) {
      const deadline = Date.now() + 120_000;
      while (latencies.length < m.collect && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
      sockets.forEach(s => s.close());
      // The parent ends this process once it has them.
      send({ latencies });
      return;
    }
    sockets = await open(m);
    for (const s of sockets) {
      s.on('new.message', (e: { data: { body: { message: unknown } } }) => {
        const t = sentAt(e.data.body.message);
        if (t !== undefined) latencies.push(wallNow() - t);
      });
    }
    send({ ready: true });
  });
}
