/**
 * Fan-out: one instance, 1, 50 and 200 Socket.IO subscribers, 50 inbound
 * messages a second; p50/p99 from the moment the bench asks the simulator to
 * send until each subscriber has the envelope. Baseline, at each level in the
 * same run: a raw Socket.IO server in this process emitting the same envelopes
 * to a room of as many clients on the same 50/s schedule. The subscribers of
 * both live in a child process (`fan-out-clients.ts`), so the figures are the
 * servers' and not the clients' decoding competing with them for this thread.
 *
 *   node --import tsx bench/fan-out.ts [messagesPerLevel=100]
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { startHub } from '../tests/helpers/hub.js';
import { pairInstance } from '../tests/helpers/pairing.js';
import { quantile, report, type Figure } from './figures.js';
import { sleep, spawnSimulator } from './harness.js';
import { wallNow, type ConnectOrder } from './fan-out-clients.js';

quietLibsignal();
const MESSAGES = Number(process.argv[2] ?? 100);
const LEVELS = [1, 50, 200];
const INTERVAL_MS = 20; // 50 messages a second
const PHONE = '5570000000001';
const FROM = '5570000000002';

const sim = await spawnSimulator();
await sim.post('/accounts', { phone: PHONE, contacts: [{ phone: FROM }], history: { chats: [] } });
const hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
const { token, client: first } = await pairInstance(hub, sim, 'fan', PHONE);
// The contact's first message sets up its Signal session: not part of any figure.
await sim.post(`/accounts/${PHONE}/messages`, { from: FROM, text: 'warm' });
await first.waitFor('new.message', e => !e.data.header.fromMe);

const raw = new Server(createServer(), { transports: ['websocket'] });
raw.on('connection', s => s.join('fan'));
await new Promise<void>(resolve => raw.httpServer.listen(0, '127.0.0.1', resolve));
const rawUrl = `http://127.0.0.1:${(raw.httpServer.address() as AddressInfo).port}`;

/** Latencies of every envelope at every subscriber, in milliseconds. */
type Latencies = number[];

/** Opens `order.clients` subscribers in a child process (`fan-out-clients.ts`); `run` sends the messages meanwhile. */
async function inClients(order: ConnectOrder, run: () => Promise<void>): Promise<Latencies> {
  const child = fork(fileURLToPath(new URL('./fan-out-clients.ts', import.meta.url)), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<Record<string, unknown>>((resolve, reject) => (child.once('message', m => resolve(m as Record<string, unknown>)), child.once('exit', reject)));
  try {
    const ready = next();
    child.send(order);
    await ready;
    await run();
    const done = next();
    child.send({ collect: order.clients * MESSAGES });
    const { latencies } = (await done) as { latencies: Latencies };
    if (latencies.length < order.clients * MESSAGES) throw new Error(`fan-out: ${latencies.length} of ${order.clients * MESSAGES} envelopes arrived`);
    return latencies;
  } finally {
    child.kill();
  }
}

/** MESSAGES sends at 50 a second, each stamped with the wall clock it was sent at. */
async function paced(sendOne: (text: string, m: number) => void): Promise<void> {
  for (let m = 0; m < MESSAGES; m++) {
    const t = performance.now();
    sendOne(`fan ${wallNow()}`, m);
    await sleep(Math.max(0, INTERVAL_MS - (performance.now() - t)));
  }
}

const hubLevel = (n: number): Promise<Latencies> =>
  inClients({ url: hub.url, token, instance: 'fan', clients: n }, () => paced(text => void sim.post(`/accounts/${PHONE}/messages`, { from: FROM, text })));

async function rawLevel(n: number, envelope: Record<string, unknown>): Promise<Latencies> {
  const data = envelope.data as { body: Record<string, unknown> };
  return inClients({ url: rawUrl, clients: n }, async () => {
    await until(() => (raw.sockets.adapter.rooms.get('fan')?.size ?? 0) >= n);
    await paced((text, m) => raw.to('fan').emit('new.message', { ...envelope, data: { ...data, body: { ...data.body, message: text } }, seq: m, timestamp: Date.now() }));
  });
}

async function until(test: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('fan-out: not every envelope arrived');
    await sleep(5);
  }
}

// The baseline emits the hub's own envelope, so both sides serialize the same bytes.
const envelope = first.of('new.message').find(e => !e.data.header.fromMe)! as unknown as Record<string, unknown>;
first.close();
const figures: Figure[] = [];
for (const n of LEVELS) {
  const viaHub = await hubLevel(n);
  const bare = await rawLevel(n, envelope);
  for (const [q, label] of [
    [0.5, 'p50'],
    [0.99, 'p99']
  ] as const) {
    figures.push({
      id: `fanout.${label}.${n}`,
      figure: `fan-out at 50 msg/s to ${n} subscriber${n > 1 ? 's' : ''}, ${label}`,
      unit: 'ms',
      wahub: quantile(viaHub, q),
      baseline: quantile(bare, q),
      goal: n === 200 && label === 'p99' ? { atMost: 50 } : null,
      ...(n === 200 && label === 'p99'
        ? { note: 'wahub: from the request to the simulator to the envelope in each subscriber (Signal decrypt, store, emit); baseline: a raw Socket.IO room emitting the same envelope; the subscribers of both in a child process' }
        : {})
    });
  }
}
report(figures);
raw.close();
await hub.close();
await sim.stop();
process.exit(0);
