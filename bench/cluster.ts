/**
 * Events per second delivered to Socket.IO subscribers by three cluster nodes
 * (one Redis, one PostgreSQL database), against one hub on its own PostgreSQL
 * database under the same load: as many instances, subscribers and inbound
 * messages, from the same simulator process, in alternating rounds.
 *
 * In the cluster the instances are spread by placement and each instance's
 * subscribers are connected to different nodes, so most envelopes reach their
 * subscriber through the relay (Redis sharded pub/sub) rather than from the owner.
 *
 *   node --import tsx bench/cluster.ts [instances=6] [perInstance=200] [rounds=2]
 */
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { holdersOf, spawnNodes } from '../tests/helpers/cluster.js';
import { ADMIN_KEY, EventClient, hubClient } from '../tests/helpers/hub.js';
import { pairInstances } from '../tests/helpers/pairing.js';
import { sharedPostgres, stopSharedPostgres } from '../tests/helpers/postgres.js';
import { spawnHub, type Spawned } from '../tests/helpers/processes.js';
import { startRedis } from '../tests/helpers/redis.js';
import { tempDir } from '../tests/helpers/temp-dir.js';
import { until } from '../tests/helpers/until.js';
import { report, since } from './figures.js';
import { cpuSeconds, sleep, spawnSimulator } from './harness.js';

quietLibsignal();
const INSTANCES = Number(process.argv[2] ?? 6);
const PER_INSTANCE = Number(process.argv[3] ?? 200);
const ROUNDS = Number(process.argv[4] ?? 2);
const CONTACTS = 2;
/** Subscribers per instance: in the cluster, each on a different node. */
const SUBSCRIBERS = 3;
const NODES = ['node-a', 'node-b', 'node-c'];

const sim = await spawnSimulator();
const redis = await startRedis();
const postgres = await sharedPostgres();
const dir = tempDir('wahub-bench-cluster-');
for (const sub of ['cluster', 'single']) mkdirSync(`${dir.path}/${sub}`);
const env = { RATE_LIMIT_PER_SECOND: '0', LOG_LEVEL: 'error' };

type Side = 'cluster' | 'single';
const phoneOf = (side: Side, i: number) => String((side === 'cluster' ? 5570000000000 : 5571000000000) + i * 100);
const contactsOf = (phone: string) => Array.from({ length: CONTACTS }, (_, c) => String(Number(phone) + c + 1));
const accountsOf = (side: Side) => Array.from({ length: INSTANCES }, (_, i) => ({ name: `${side}${i}`, phone: phoneOf(side, i) }));
for (const side of ['cluster', 'single'] as const) {
  for (const { phone } of accountsOf(side)) await sim.post('/accounts', { phone, contacts: contactsOf(phone).map(p => ({ phone: p })), history: { chats: [] } });
}

// The cluster's default lease (15 s): nothing is killed here, and a node starved on two cores must not step down mid-pairing.
// No settle time or hold-down: the nodes start together and the instances spread by their hash at once.
const clusterDb = await postgres.createDatabase();
const nodes = await spawnNodes(NODES, node => spawnHub(`${dir.path}/cluster`, sim, ADMIN_KEY, { ...env, REDIS_URL: redis.url, NODE_ID: node, DATABASE_URL: clusterDb, CLUSTER_SETTLE_MS: '0', CLUSTER_HOLD_DOWN_MS: '0' }));
const single: Spawned = await spawnHub(`${dir.path}/single`, sim, ADMIN_KEY, { ...env, DATABASE_URL: await postgres.createDatabase() });
const hubsOf: Record<Side, Spawned[]> = { cluster: [...nodes.values()], single: [single] };
const urlOf = (hub: Spawned) => hub.vars.WAHUB_URL!;

await until('every node to see the others', async () => {
  for (const hub of nodes.values()) if ((await hubClient(urlOf(hub)).request('GET', '/cluster')).json.nodes.length !== NODES.length) return false;
  return true;
}, 60_000);
const pairer = { cluster: new EventClient(urlOf(hubsOf.cluster[0]!), ADMIN_KEY), single: new EventClient(urlOf(single), ADMIN_KEY) };
for (const side of ['cluster', 'single'] as const) {
  await pairer[side].connected();
  const ready = side === 'cluster' ? (name: string) => until(`a holder of ${name}`, async () => (await holdersOf(nodes, name)).length === 1, 60_000) : undefined;
  await pairInstances(hubClient(urlOf(hubsOf[side][0]!)), sim, pairer[side], accountsOf(side), { concurrency: 3, ready, timeoutMs: 120_000 });
  pairer[side].close();
  process.stderr.write(`${side}: ${INSTANCES} instances paired\n`);
}
const owners = new Map<string, number>();
for (const [i, hub] of [...nodes.values()].entries()) for (const { name } of (await hubClient(urlOf(hub)).request('GET', '/cluster')).json.held as { name: string }[]) owners.set(name, i);

/** Each instance's subscribers, counting inbound texts as they arrive; in the cluster subscriber k of instance i is on node (i + k) mod 3. */
const subscribers: Record<Side, { count: () => number; client: EventClient; lastSeq: number }[]> = { cluster: [], single: [] };
let relayed = 0;
/** The first subscriber the hub closed (too slow, relay cut): its count would never reach the round's target. */
let closed: string | undefined;
/** Subscribers told that relayed events were cut, and the reasons Redis logged for dropping a client. */
let cuts = 0;
let finished = false;
const redisLog: string[] = [];
redis.child.stdout?.on('data', (d: Buffer) => redisLog.push(...String(d).split('\n').filter(l => /clos|buffer/i.test(l))));
for (const side of ['cluster', 'single'] as const) {
  for (const [i, { name }] of accountsOf(side).entries()) {
    for (let k = 0; k < SUBSCRIBERS; k++) {
      const hubs = hubsOf[side];
      const at = (i + k) % hubs.length;
      if (side === 'cluster' && owners.get(name) !== at) relayed++;
      const sub = { client: undefined as unknown as EventClient, count: () => n, lastSeq: 0 };
      let n = 0;
      /** Subscribes as an application would: after a cut (503), a new socket resubscribes after the last seq it got. */
      const follow = async (after?: number) => {
        const client = new EventClient(urlOf(hubs[at]!), ADMIN_KEY);
        sub.client = client;
        client.socket.onAny((_event: string, e: { seq?: number }) => void (typeof e?.seq === 'number' && (sub.lastSeq = e.seq)));
        client.socket.on('new.message', (e: { data: { header: { fromMe: boolean } } }) => void (e.data.header.fromMe || n++));
        let cut = false;
        client.socket.on('disconnect', (why: string) => void (cut || finished || (closed ??= `${name} on ${at}: ${why}`)));
        client.socket.on('error', (e: { status?: number }) => {
          if (e?.status !== 503) return void (closed ??= `${name} on ${at}: ${JSON.stringify(e)}`);
          cuts++;
          cut = true;
          client.close();
          follow(sub.lastSeq).catch(err => (closed ??= `${name} on ${at}: resubscribe failed: ${String(err)}`));
        });
        await client.connected();
        let ack;
        do {
          ack = await client.emit('subscribe', after === undefined ? { instance: name } : { instance: name, after: sub.lastSeq }, 60_000);
          if (!ack.ok) throw new Error(`subscribe ${name}: ${JSON.stringify(ack)}`);
        } while (ack.data.more);
      };
      await follow();
      subscribers[side].push(sub);
    }
  }
}

const hubCpu = (side: Side) => hubsOf[side].reduce((sum, hub) => sum + cpuSeconds(hub.child.pid!), 0);
async function round(side: Side, perContact: number): Promise<{ ms: number; delivered: number; cpu: number }> {
  const subs = subscribers[side];
  const before = subs.map(s => s.count());
  const cpu = hubCpu(side);
  const start = performance.now();
  await Promise.all(
    accountsOf(side).flatMap(({ phone }) => contactsOf(phone).map(from => sim.post(`/accounts/${phone}/messages/burst`, { from, text: 'load', count: perContact })))
  );
  const target = perContact * CONTACTS;
  const deadline = Date.now() + 300_000;
  while (subs.some((s, i) => s.count() - before[i]! < target)) {
    if (closed) throw new Error(`${side}: a subscriber was closed: ${closed}`);
    if (Date.now() > deadline) throw new Error(`${side}: not every event arrived (${subs.map((s, i) => s.count() - before[i]!).join(' ')} of ${target} each)`);
    await sleep(5);
  }
  return { ms: since(start), delivered: target * subs.length, cpu: hubCpu(side) - cpu };
}

process.stderr.write(`subscribed; ${relayed} subscriptions relayed\n`);
// Each contact's first message is a pkmsg that sets up the session; later ones are plain msg, as in real traffic.
await round('cluster', 1);
await round('single', 1);
await sleep(2000);
const totals = { cluster: { ms: 0, n: 0, cpu: 0 }, single: { ms: 0, n: 0, cpu: 0 } };
for (let r = 0; r < ROUNDS; r++) {
  for (const side of r % 2 ? (['single', 'cluster'] as const) : (['cluster', 'single'] as const)) {
    const o = await round(side, PER_INSTANCE / CONTACTS);
    totals[side].ms += o.ms;
    totals[side].n += o.delivered;
    totals[side].cpu += o.cpu;
    process.stderr.write(`${side}: ${Math.round(o.delivered / (o.ms / 1000))} events/s; ${cuts} cuts so far\n`);
  }
}
const spread = [0, 1, 2].map(i => [...owners.values()].filter(o => o === i).length).join('/');
const load = `${INSTANCES} instances (${spread} over the nodes), ${SUBSCRIBERS} subscribers each, ${PER_INSTANCE} inbound messages per instance per round`;
report([
  {
    id: 'cluster.eventsPerSecond',
    figure: `events to Socket.IO subscribers, 3 nodes vs 1, PostgreSQL, ${INSTANCES} instances`,
    unit: 'events/s',
    wahub: totals.cluster.n / (totals.cluster.ms / 1000),
    baseline: totals.single.n / (totals.single.ms / 1000),
    goal: null,
    note: `${load}; in the cluster ${relayed} of ${INSTANCES * SUBSCRIBERS} subscriptions are on a node that does not own the instance, so their envelopes go through Redis; ${cuts} times a node's relay subscription was cut meanwhile and its subscribers resubscribed after their last seq, as applications do${redisLog.length ? ` (Redis: ${redisLog[0]!.slice(0, 160)})` : ''}; baseline: one hub without Redis on its own database, same load. On 2 cores three node processes cannot outrun one on CPU: the ratio is the relay's cost, not the cluster's capacity`
  },
  {
    id: 'cluster.cpuPerEvent',
    figure: 'hub CPU per delivered event, 3 nodes (summed) vs 1',
    unit: 'ms',
    wahub: (totals.cluster.cpu * 1000) / totals.cluster.n,
    baseline: (totals.single.cpu * 1000) / totals.single.n,
    goal: null,
    note: 'user + system CPU of the hub processes over their side\'s rounds, divided by the envelopes the subscribers received'
  }
]);
finished = true;
for (const side of ['cluster', 'single'] as const) subscribers[side].forEach(s => s.client.close());
for (const hub of [...hubsOf.cluster, single]) await hub.stop('SIGKILL');
await redis.stop();
await stopSharedPostgres();
await sim.stop();
dir.cleanup();
process.exit(0);
