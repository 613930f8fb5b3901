import { createClient } from 'redis';
import pino from 'pino';
import type { Lease } from '../../../server/cluster/leases.js';
import { PlacementManager } from '../../../server/cluster/placement-manager.js';
import { ownerOf } from '../../../server/cluster/placement.js';
import type { Redis } from '../../../server/cluster/redis-client.js';
import { logLines, spawnTs, type Spawned } from '../../helpers/processes.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { until } from '../../helpers/until.js';

const TTL = 3000;
const SETTLE = 6000;
const instances = Array.from({ length: 24 }, (_, i) => `flap-${i}`);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

let server: TestRedis;
let redis: Redis;
let managers: PlacementManager[] = [];
let children: Spawned[] = [];
// Who holds what in this process, by the hooks: an acquisition while another manager holds the instance is an overlap.
const holding = new Map<string, string>();
let overlaps: string[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = createClient({ url: server.url }) as unknown as Redis;
  await redis.connect();
});
beforeEach(async () => {
  await redis.flushAll();
  holding.clear();
  overlaps = [];
});
afterEach(async () => {
  for (const child of children) await child.stop('SIGKILL');
  await Promise.all(managers.map(m => m.stop()));
  children = [];
  managers = [];
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

interface Event {
  at: number;
  hook: 'acquired' | 'lost' | 'releasing';
  instance: string;
}

function node(id: string, opts: { settleMs?: number; holdDownMs?: number } = {}) {
  const held = new Set<string>();
  const events: Event[] = [];
  const gone = (instance: string, hook: Event['hook']) => {
    held.delete(instance);
    if (holding.get(instance) === id) holding.delete(instance);
    events.push({ at: Date.now(), hook, instance });
  };
  const manager = new PlacementManager({
    redis,
    node: { id, url: `http://${id}.invalid` },
    instances: () => instances,
    ttlMs: TTL,
    settleMs: opts.settleMs ?? SETTLE,
    holdDownMs: opts.holdDownMs ?? 0,
    log: pino({ level: 'silent' }),
    hooks: {
      acquired: (lease: Lease) => {
        const other = holding.get(lease.instance);
        if (other && other !== id) overlaps.push(`${lease.instance}: ${id} acquired while ${other} held it`);
        holding.set(lease.instance, id);
        held.add(lease.instance);
        events.push({ at: Date.now(), hook: 'acquired', instance: lease.instance });
      },
      lost: instance => gone(instance, 'lost'),
      releasing: async instance => gone(instance, 'releasing')
    }
  });
  managers.push(manager);
  manager.start();
  return { manager, held, events };
}

/** A node in its own process, to be killed for real. */
async function child(id: string, env: Record<string, string> = {}) {
  const proc = await spawnTs(
    'tests/server/cluster/fixtures/lease-holder.ts',
    { REDIS_URL: server.url, NODE_ID: id, INSTANCES: instances.join(','), TTL_MS: String(TTL), SETTLE_MS: String(SETTLE), ...env },
    'READY'
  );
  children.push(proc);
  return proc;
}
const acquiredBy = (proc: Spawned) => logLines(proc).filter(l => l.hook === 'acquired').map(l => l.instance as string);

const shareOf = (id: string, nodes: string[]) => instances.filter(i => ownerOf(i, nodes) === id).sort();
const sorted = (set: Set<string>) => [...set].sort();
const seen = (manager: PlacementManager, id: string) => manager.liveNodes().find(n => n.id === id);

describe('placement hold-down', () => {
  it('a node that joins and dies before it settles moves nothing, even restarted within the TTL; one that stays past the settle time gets exactly its share', async () => {
    const a = node('a');
    const b = node('b');
    await until('a and b to split the instances once both settled', () =>
      JSON.stringify([sorted(a.held), sorted(b.held)]) === JSON.stringify([shareOf('a', ['a', 'b']), shareOf('b', ['a', 'b'])])
    );
    const before = a.events.length + b.events.length;

    // A crash loop: c joins, dies, starts again under the same id while its old heartbeat is still live, and dies again.
    // Its two runs together last longer than the settle time: counted as one join, c would have settled.
    const started = Date.now();
    let c = await child('c');
    await until('a to see c', () => seen(a.manager, 'c'));
    expect(seen(a.manager, 'c')?.settled).toBe(false);
    await sleep(TTL);
    await c.stop('SIGKILL');
    c = await child('c');
    await sleep(TTL + 500);
    expect(Date.now() - started).toBeGreaterThan(SETTLE);
    expect(seen(a.manager, 'c')?.settled).toBe(false);
    await c.stop('SIGKILL');
    await until('c to be dead to a and b', () => !seen(a.manager, 'c') && !seen(b.manager, 'c'), 10_000);
    await sleep(TTL);
    expect(children.flatMap(acquiredBy)).toEqual([]);
    expect(a.events.length + b.events.length).toBe(before);

    // d stays: it takes nothing until it has settled, then exactly what hashes to it, from a and b.
    const joined = Date.now();
    const d = node('d');
    await until('d to hold its share', () => JSON.stringify(sorted(d.held)) === JSON.stringify(shareOf('d', ['a', 'b', 'd'])), 20_000);
    expect(Math.min(...d.events.map(e => e.at)) - joined).toBeGreaterThanOrEqual(SETTLE - 200);
    const moved = [...a.events, ...b.events].slice(0).filter(e => e.hook !== 'acquired' && e.at >= joined);
    expect(moved.map(e => e.instance).sort()).toEqual(shareOf('d', ['a', 'b', 'd']));
    expect(moved.every(e => e.hook === 'releasing')).toBe(true);
    expect(sorted(a.held)).toEqual(shareOf('a', ['a', 'b', 'd']));
    expect(sorted(b.held)).toEqual(shareOf('b', ['a', 'b', 'd']));
    expect(overlaps).toEqual([]);
  });

  it("a dead node's instances are claimed at once by the settled survivor, in its hold-down and without waiting for a newcomer to settle", async () => {
    const k = await child('k', { SETTLE_MS: '0', HOLD_DOWN_MS: '60000' });
    await until('k to hold everything', () => acquiredBy(k).length === instances.length);
    // a joins after k claimed everything, and k's claims are held down: a takes nothing while k lives, and waits for neither when it dies.
    const a = node('a', { settleMs: 0, holdDownMs: 60_000 });
    await until('a to see k', () => seen(a.manager, 'k'));
    expect(a.held.size).toBe(0);
    const b = node('b', { settleMs: 60_000 });
    await until('a to see b, not settled', () => seen(a.manager, 'b') && !seen(a.manager, 'b')!.settled);

    const killed = Date.now();
    await k.stop('SIGKILL');
    await until('a to claim every instance of the dead node', () => a.held.size === instances.length, 15_000);
    expect(a.events.every(e => e.hook === 'acquired' && e.at > killed)).toBe(true);
    expect(b.events).toEqual([]);
    expect(overlaps).toEqual([]);
  });

  it('an instance just claimed stays on its live holder through the hold-down, then moves to the node it hashes to', async () => {
    const HOLD = 5000;
    const a = node('a', { settleMs: 0, holdDownMs: HOLD });
    await until('a to hold everything', () => a.held.size === instances.length);
    const claimed = Math.max(...a.events.map(e => e.at));
    const b = node('b', { settleMs: 0, holdDownMs: HOLD });
    await until('a to see b settled', () => seen(a.manager, 'b')?.settled);
    await sleep(2 * a.manager.roundMs);
    expect(b.held.size).toBe(0);
    await until('b to hold its share', () => JSON.stringify(sorted(b.held)) === JSON.stringify(shareOf('b', ['a', 'b'])), 20_000);
    expect(Math.min(...b.events.map(e => e.at)) - claimed).toBeGreaterThanOrEqual(HOLD - 200);
    // b's claims start a hold-down of their own; a keeps its share, and nothing moves back.
    expect(sorted(a.held)).toEqual(shareOf('a', ['a', 'b']));
    expect(a.events.filter(e => e.hook === 'lost')).toEqual([]);
    expect(overlaps).toEqual([]);
  });
});
