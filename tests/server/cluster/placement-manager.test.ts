import { createClient } from 'redis';
import pino from 'pino';
import { Leases, type Lease } from '../../../server/cluster/leases.js';
import { PlacementManager } from '../../../server/cluster/placement-manager.js';
import type { Redis } from '../../../server/cluster/redis-client.js';
import { logLines, spawnTs, type Spawned } from '../../helpers/processes.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { until } from '../../helpers/until.js';

let server: TestRedis;
let redis: Redis;
const children: Spawned[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = createClient({ url: server.url }) as unknown as Redis;
  await redis.connect();
});
afterAll(async () => {
  for (const child of children) await child.stop('SIGKILL');
  await redis?.quit();
  await server?.stop();
});

const instances = Array.from({ length: 24 }, (_, i) => `inst-${i}`);

function node(id: string, list: () => string[] = () => instances) {
  const held = new Set<string>();
  const events: string[] = [];
  const manager = new PlacementManager({
    redis,
    node: { id, url: `http://${id}.invalid` },
    instances: list,
    ttlMs: 3000,
    // The hold-down has its own tests (hold-down.test.ts): here a joining node takes its share at once.
    settleMs: 0,
    holdDownMs: 0,
    log: pino({ level: 'silent' }),
    hooks: {
      acquired: (lease: Lease) => void (held.add(lease.instance), events.push(`acquired ${lease.instance}`)),
      lost: instance => void (held.delete(instance), events.push(`lost ${instance}`)),
      releasing: async instance => void (held.delete(instance), events.push(`releasing ${instance}`))
    }
  });
  return { manager, held, events };
}

describe('placement manager', () => {
  it('splits instances between live nodes, rebalances when one joins, and takes all back when it leaves', async () => {
    const a = node('node-a');
    const b = node('node-b');
    await a.manager.round();
    expect(a.held.size).toBe(instances.length);
    // b joins: it beats first, so a sees it on its next round and releases b's share.
    await b.manager.round();
    expect(b.held.size).toBe(0);
    await a.manager.round();
    await b.manager.round();
    expect(a.held.size + b.held.size).toBe(instances.length);
    expect(a.held.size).toBeGreaterThan(0);
    expect(b.held.size).toBeGreaterThan(0);
    for (const id of b.held) expect(a.held.has(id)).toBe(false);
    expect(new Set([...a.manager.heldInstances(), ...b.manager.heldInstances()]).size).toBe(instances.length);
    const leases = new Leases(redis, 3000);
    for (const id of b.held) expect((await leases.holder(id))?.node).toBe('node-b');
    // b leaves cleanly: its leases are deleted at once, so a claims them on its next round, not after expiry.
    await b.manager.stop();
    expect(b.events.filter(e => e.startsWith('releasing')).length).toBeGreaterThan(0);
    await a.manager.round();
    expect(a.held.size).toBe(instances.length);
    await a.manager.stop();
    expect(a.events.some(e => e.startsWith('lost'))).toBe(false);
  });

  it('a frozen holder (SIGSTOP past its lease) steps down on SIGCONT without renewing', async () => {
    const holder = await spawnTs('tests/server/cluster/fixtures/lease-holder.ts', { REDIS_URL: server.url, NODE_ID: 'frozen', INSTANCES: 'frozen-1', TTL_MS: '1500' }, 'READY');
    children.push(holder);
    const hooks = (p: Spawned) => logLines(p).filter(l => l.msg === 'hook');
    await until('the lease', () => hooks(holder).find(l => l.hook === 'acquired'));
    await until('a renewal', () => logLines(holder).find(l => l.msg === 'renewing lease'));

    holder.child.kill('SIGSTOP');
    const leases = new Leases(redis, 10_000);
    await until('the lease to expire in Redis', async () => !(await leases.holder('frozen-1')));
    const taken = await until('another claim', () => leases.claim('frozen-1', 'other'));
    const before = logLines(holder).length;
    holder.child.kill('SIGCONT');

    await until('the step-down', () => hooks(holder).find(l => l.hook === 'lost' && l.instance === 'frozen-1'));
    const after = logLines(holder).slice(before);
    const lostAt = after.findIndex(l => l.hook === 'lost');
    expect(after.slice(0, lostAt).filter(l => l.msg === 'renewing lease')).toEqual([]);
    expect(after.find(l => l.msg === 'lease lost; instance stopped')).toMatchObject({ instance: 'frozen-1', why: 'lease past its local validity' });
    expect(await leases.holder('frozen-1')).toEqual(taken);
    expect(taken.token).toBeGreaterThan(hooks(holder).find(l => l.hook === 'acquired')!.token as number);
  });
});
