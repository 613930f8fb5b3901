/**
 * Webhook delivery throughput, beside a baseline measured in the same run:
 * N events committed through the pipeline and delivered by a webhook (read from
 * the log, signed, one POST in flight, cursor stored after each 2xx) against a
 * bare loop of N sequential fetch POSTs of the same bodies to the same receiver.
 *
 *   npx tsx bench/webhooks.ts [events=2000]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WhatsAppSimulator } from '../simulator/simulator.js';
import { startHub } from '../tests/helpers/hub.js';
import { report } from './figures.js';

const N = Number(process.argv[2] ?? 2000);

let received = 0;
let onCount: (() => void) | undefined;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(204).end();
    onCount?.();
  });
});
await new Promise<void>(resolve => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
const until = (n: number) => new Promise<void>(resolve => (onCount = () => received >= n && resolve()));

const sim = await new WhatsAppSimulator().start();
const hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
const created = await hub.request('POST', '/instance/create', { instanceName: 'bench' });
const source = { id: created.json.instance.id as string, ref: { name: 'bench', owner: null } };
const chat = (i: number) => ({ id: `55990000${String(i).padStart(5, '0')}@s.whatsapp.net`, unreadCount: i % 7 });
const body = (i: number) => JSON.stringify({ event: 'chats.update', instance: source.ref, data: [chat(i)], seq: i + 1, timestamp: Date.now() });

// Warm the receiver's connection on both paths.
await fetch(url, { method: 'POST', body: body(0) }).then(r => r.body?.cancel());

async function bareLoop(): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) });
    await res.body?.cancel();
  }
  return performance.now() - start;
}
const bareBeforeMs = await bareLoop();
let t = 0;

await hub.request('POST', '/webhook/set/bench', { url });
received = 0;
const done = until(N);
// The commits run synchronously, so no POST leaves before the last one: delivery is timed from there.
t = performance.now();
for (let i = 0; i < N; i++) hub.app.hub.pipeline.commit(source, () => [{ event: 'chats.update', data: [chat(i)] }]);
const commitMs = performance.now() - t;
t = performance.now();
await done;
const webhookMs = performance.now() - t;

// The baseline is the faster of a bare loop before and after, so warm-up cannot flatter the webhook.
const bareMs = Math.min(bareBeforeMs, await bareLoop());
const bare = N / (bareMs / 1000);
const hooks = N / (webhookMs / 1000);
report([
  {
    id: 'webhooks.perSecond',
    figure: `webhook deliveries, ${N} events`,
    unit: 'POST/s',
    wahub: hooks,
    baseline: bare,
    goal: null,
    note: `baseline: a bare loop of sequential fetch POSTs of the same bodies; each delivery also reads the log (100 at a time), signs twice and stores the cursor; committing cost ${(commitMs / N).toFixed(3)} ms per event`
  }
]);
await hub.close();
await sim.stop();
receiver.close();
process.exit(0);
