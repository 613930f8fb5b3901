import { createClient } from 'redis';
import { Leases } from '../../../server/cluster/leases.js';
import type { Redis } from '../../../server/cluster/redis-client.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';

let server: TestRedis;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = createClient({ url: server.url }) as unknown as Redis;
  await redis.connect();
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

describe('instance leases in Redis', () => {
  it('takes a token above the floor it is given: a Redis that lost its counters does not hand out old tokens again', async () => {
    const leases = new Leases(redis, 10_000);
    const first = await leases.claim('inst-floor', 'node-a');
    expect(first).toMatchObject({ token: 1 });
    await redis.flushAll();
    // The store holds token 7 for the instance (earlier holders wrote with it); Redis's counter is gone.
    const second = await leases.claim('inst-floor', 'node-b', 7);
    expect(second).toMatchObject({ node: 'node-b', token: 8 });
    await leases.release(second!);
    // A floor below the counter changes nothing: the counter only grows.
    expect(await leases.claim('inst-floor', 'node-a', 3)).toMatchObject({ token: 9 });
  });

  it('lets one node claim an instance; another cannot until it is released', async () => {
    const leases = new Leases(redis, 10_000);
    const a = await leases.claim('inst-1', 'node-a');
    expect(a).toMatchObject({ instance: 'inst-1', node: 'node-a' });
    expect(await leases.claim('inst-1', 'node-b')).toBeUndefined();
    expect(await leases.holder('inst-1')).toEqual(a);
    expect(await redis.get('wahub:lease:{inst-1}')).toBe(`node-a ${a!.token}`);
    expect(await leases.release(a!)).toBe(true);
    expect(await leases.claim('inst-1', 'node-b')).toMatchObject({ node: 'node-b' });
  });

  it('gives every claim a larger fencing token than the one before', async () => {
    const leases = new Leases(redis, 10_000);
    const tokens: number[] = [];
    for (const node of ['a', 'b', 'a', 'c']) {
      const lease = await leases.claim('inst-2', node);
      tokens.push(lease!.token);
      await leases.release(lease!);
    }
    expect([...tokens].sort((x, y) => x - y)).toEqual(tokens);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('renews and releases only the holder’s own lease, not a later holder’s', async () => {
    const leases = new Leases(redis, 10_000);
    const first = (await leases.claim('inst-3', 'node-a'))!;
    await leases.release(first);
    const second = (await leases.claim('inst-3', 'node-a'))!;
    // Same node, older token: a stale holder cannot touch the current lease.
    expect(await leases.renew(first)).toBe(false);
    expect(await leases.release(first)).toBe(false);
    expect(await leases.holder('inst-3')).toEqual(second);
    expect(await leases.renew(second)).toBe(true);
  });

  it('renewing extends the expiry to a full TTL again', async () => {
    const leases = new Leases(redis, 10_000);
    const lease = (await leases.claim('inst-4', 'node-a'))!;
    await redis.pExpire('wahub:lease:{inst-4}', 500);
    expect(await leases.renew(lease)).toBe(true);
    expect(await redis.pTTL('wahub:lease:{inst-4}')).toBeGreaterThan(5000);
  });

  it('expires without renewal, and the next claim gets a larger token', async () => {
    const leases = new Leases(redis, 300);
    const lease = (await leases.claim('inst-5', 'node-a'))!;
    while (await leases.holder('inst-5')) await new Promise(r => setTimeout(r, 50));
    expect(await leases.renew(lease)).toBe(false);
    const next = (await leases.claim('inst-5', 'node-b'))!;
    expect(next.token).toBeGreaterThan(lease.token);
  });
});
