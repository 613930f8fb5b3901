/**
 * A fleet of idle instances: the hub process's RSS per open instance at N
 * instances (default 200), against N bare Baileys sockets in one process on the
 * same simulator (BARE of them, default N: their RSS per socket is the
 * baseline); then the hub process is restarted and timed until all N are open
 * again from their stored credentials.
 *
 *   node --expose-gc --import tsx bench/fleet.ts [instances=200] [bare=instances]
 */
import { performance } from 'node:perf_hooks';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { TestClient } from '../tests/helpers/baileys-client.js';
import { ADMIN_KEY, hubClient } from '../tests/helpers/hub.js';
import { pairInstance } from '../tests/helpers/pairing.js';
import { rssOf, spawnHub, type Spawned } from '../tests/helpers/processes.js';
import { tempDir } from '../tests/helpers/temp-dir.js';
import { report, since } from './figures.js';
import { collect, sleep, spawnSimulator } from './harness.js';

quietLibsignal();
const N = Number(process.argv[2] ?? 200);
const BARE = Number(process.argv[3] ?? N);
const CONCURRENCY = 8;
const MiB = 2 ** 20;

const sim = await spawnSimulator();
const phone = (side: number, i: number) => String(5590000000000 + side * 100_000 + i);
for (let i = 0; i < N; i++) await sim.post('/accounts', { phone: phone(1, i), history: { chats: [] } });
for (let i = 0; i < BARE; i++) await sim.post('/accounts', { phone: phone(2, i), history: { chats: [] } });

/** Runs `task(i)` for i < n, `CONCURRENCY` at a time. */
async function pool(n: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await task(next++);
  }));
}

const dir = tempDir('wahub-bench-fleet-');
const env = { RATE_LIMIT_PER_SECOND: '0', LOG_LEVEL: 'error' };
let hub: Spawned = await spawnHub(dir.path, sim, ADMIN_KEY, env);
await sleep(2000);
const hubBefore = rssOf(hub.child.pid!);
let api = hubClient(hub.vars.WAHUB_URL!);
const pairing = performance.now();
await pool(N, async i => {
  const { client } = await pairInstance(api, sim, `f${i}`, phone(1, i));
  client.close();
});
process.stderr.write(`paired ${N} in ${Math.round(since(pairing) / 1000)} s\n`);
await sleep(5000); // every instance finishes its first sync and settles
const hubPerInstance = (rssOf(hub.child.pid!) - hubBefore) / N;

collect();
const bareBefore = process.memoryUsage().rss;
const bare: TestClient[] = [];
await pool(BARE, async i => {
  const client = new TestClient(sim.url).start();
  const { qr } = await client.waitFor('connection.update', u => !!u.qr, { timeoutMs: 120_000 });
  await sim.scan(phone(2, i), qr!);
  await client.waitFor('connection.update', u => u.connection === 'open', { timeoutMs: 120_000 });
  bare.push(client);
});
await sleep(5000);
collect();
const barePerInstance = (process.memoryUsage().rss - bareBefore) / BARE;
bare.forEach(c => c.stop());

// Restart: the same data folder, every instance back to open without a QR.
await hub.stop('SIGTERM');
const spawned = performance.now();
hub = await spawnHub(dir.path, sim, ADMIN_KEY, env);
// Timed from the new process listening: loading TypeScript through tsx is no part of a deployed restart.
const startSeconds = since(spawned) / 1000;
const t = performance.now();
api = hubClient(hub.vars.WAHUB_URL!);
let open = 0;
/** Seconds from listening until the k-th instance was seen open: whether they open one after the other or all at the end. */
const openAt: number[] = [];
const deadline = Date.now() + 120_000;
while (open < N && Date.now() < deadline) {
  const list = await api.request('GET', '/instance/fetchInstances');
  open = (list.json as { state: string }[]).filter(i => i.state === 'open').length;
  while (openAt.length < open) openAt.push(since(t) / 1000);
  if (open < N) await sleep(100);
}
const restartMs = since(t);
const seen = (share: number) => openAt[Math.min(openAt.length - 1, Math.floor(share * N))]?.toFixed(1) ?? '—';
await hub.stop();
dir.cleanup();

report([
  {
    id: 'fleet.rssPerInstance',
    figure: `RSS per open idle instance at ${N} instances`,
    unit: 'MiB',
    wahub: hubPerInstance / MiB,
    baseline: barePerInstance / MiB,
    goal: { atMost: 2 },
    note: `growth of the hub process's RSS from start to ${N} open instances; baseline: the growth per socket of ${BARE} bare Baileys sockets in one process on the same simulator`
  },
  {
    id: 'fleet.restart',
    figure: `restart until all ${N} paired instances are open`,
    unit: 's',
    wahub: open === N ? restartMs / 1000 : NaN,
    baseline: null,
    goal: { atMost: 20 },
    note: `${open === N ? '' : `only ${open} of ${N} were open after 120 s; `}first open after ${seen(0)} s, half after ${seen(0.5)} s; timed from the new process listening (it took ${startSeconds.toFixed(1)} s to load and listen through tsx)`
  }
]);
await sim.stop();
process.exit(0);
