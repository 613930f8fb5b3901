import { createClient } from 'redis';
import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { ownerOf } from '../../../server/cluster/placement.js';
import { ADMIN_KEY, EventClient, hubClient } from '../../helpers/hub.js';
import { logLines, spawnHub, type Spawned } from '../../helpers/processes.js';
import { clusterStatus, holdersOf, sharedStore, untilEveryNodeSeesAll } from '../../helpers/cluster.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSimulator } from '../../helpers/simulator.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/until.js';

const PHONE = '5541983000001';
const CONTACT = '5541983000002';
const HOLDER = 'node-a';
/** The holder renews every 20 s and counts on its lease for 48 s: whatever stops it within seconds is not its clock. */
const HOLDER_TTL_MS = '60000';

type Redis = ReturnType<typeof createClient>;

/**
 * The case Redis cannot cover by itself: it loses its data (FLUSHALL here, as a
 * restart without persistence would), the other node finds the instance unclaimed
 * and claims it while the holder still counts on its lease. The store's fence
 * decides: the new claim's token is above the one the store took, so the old
 * holder's next write is refused there and it steps down.
 */
// On PostgreSQL, the store of nodes on several machines; the other cluster tests run on a shared SQLite file as well.
describe.each(['postgres'] as const)('nodes on %s', store => {
  let redis: TestRedis;
  let client: Redis;
  let sim: WhatsAppSimulator;
  let dir: ReturnType<typeof tempDir>;
  let database: Record<string, string>;
  const hubs = new Map<string, Spawned>();
  const closers: (() => void)[] = [];
  const urlOf = (node: string) => hubs.get(node)!.vars.WAHUB_URL!;

  beforeAll(async () => {
    redis = await startRedis();
    client = createClient({ url: redis.url });
    await client.connect();
    sim = await startSimulator();
    sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Rui' }], history: { chats: [] } });
    dir = tempDir('wahub-redis-loss-');
    database = await sharedStore(store);
  });
  afterAll(async () => {
    closers.forEach(close => close());
    for (const hub of hubs.values()) await hub.stop('SIGKILL');
    await client?.quit();
    await sim?.stop();
    await redis?.stop();
    dir?.cleanup();
  });

  test('after Redis loses its data, the store refuses the old holder’s writes; one node ends up with the instance and every message arrives once', async () => {
    const env = { REDIS_URL: redis.url, RATE_LIMIT_PER_SECOND: '0', CLUSTER_SETTLE_MS: '0', ...database };
    hubs.set(HOLDER, await spawnHub(dir.path, sim, ADMIN_KEY, { ...env, NODE_ID: HOLDER, LEASE_TTL_MS: HOLDER_TTL_MS }));
    const created = await hubClient(urlOf(HOLDER)).request('POST', '/instance/create', { instanceName: 'fenced' });
    const token = created.json.token as string;
    const held = await until('the holder to take the instance', async () => (await clusterStatus(hubs.get(HOLDER)!)).held.find(h => h.name === 'fenced'));
    const id = (held as unknown as { id: string }).id;
    // The second node's id is one the instance does not hash to while both are seen: only a Redis that forgot the holder sends it there.
    const other = Array.from({ length: 50 }, (_, i) => `node-b${i}`).find(n => ownerOf(id, [HOLDER, n]) === HOLDER)!;
    hubs.set(other, await spawnHub(dir.path, sim, ADMIN_KEY, { ...env, NODE_ID: other, LEASE_TTL_MS: '3000' }));
    await untilEveryNodeSeesAll(hubs);
    expect(await holdersOf(hubs, 'fenced')).toEqual([HOLDER]);

    const events = new EventClient(urlOf(other), token);
    closers.push(() => events.close());
    await events.connected();
    expect(await events.emit('subscribe', { instance: 'fenced' })).toMatchObject({ ok: true });
    await hubClient(urlOf(HOLDER)).request('GET', '/instance/connect/fenced', undefined, token);
    await sim.scan(PHONE, (await events.waitFor('qrcode.updated')).data.qrcode.code);
    await events.waitFor('connection.update', e => e.data.state === 'open');
    const sent: string[] = [(await sim.sendText(PHONE, CONTACT, 'before the loss')).messageId];
    await events.waitFor('new.message', e => JSON.stringify(e.data).includes(sent[0]!));

    // Right after the holder renewed: its next round (and with it its own look at Redis) is 20 s away.
    const lease = `wahub:lease:{${id}}`;
    let last = await client.pTTL(lease);
    await until('the holder to renew its lease', async () => {
      const now = await client.pTTL(lease);
      const renewed = now > last;
      last = now;
      return renewed;
    }, 30_000, 20);
    await client.flushAll();
    const lostAt = Date.now();

    // Messages keep coming the whole time: to the old holder, in the handover, to whoever holds it after.
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        sent.push((await sim.sendText(PHONE, CONTACT, `during ${i}`)).messageId);
        await new Promise(resolve => setTimeout(resolve, 300));
      }
    })();

    const holder = hubs.get(HOLDER)!;
    const stepDown = await until('the old holder to step down', () => logLines(holder).find(l => l.msg === 'lease lost; instance stopped' && l.instance === id), 30_000);
    // Refused by the store, within seconds, while its own clock and its last look at Redis still said it held the lease.
    expect(stepDown.why).toBe('the store holds a newer lease token');
    expect(Date.now() - lostAt).toBeLessThan(20_000);

    await until('one holder, as placement wants it', async () => {
      const h = await holdersOf(hubs, 'fenced');
      return h.length === 1 && h[0] === HOLDER;
    }, 60_000);
    sending = false;
    await sender;
    const after = (await sim.sendText(PHONE, CONTACT, 'settled')).messageId;
    sent.push(after);
    for (const messageId of sent) await events.waitFor('new.message', e => JSON.stringify(e.data).includes(messageId), 30_000);
    expect(await holdersOf(hubs, 'fenced')).toEqual([HOLDER]);

    const arrivals = (messageId: string, list = events.events) => list.filter(e => e.event === 'new.message' && JSON.stringify(e.data).includes(messageId)).length;
    expect(sent.map(m => arrivals(m))).toEqual(sent.map(() => 1));

    // The log has no hole and no double: replayed from either node, seq runs 1..n and holds each message once.
    for (const node of hubs.keys()) {
      const replay = new EventClient(urlOf(node), token);
      closers.push(() => replay.close());
      await replay.connected();
      expect(await replay.emit('subscribe', { instance: 'fenced', after: 0 })).toMatchObject({ ok: true, data: { gap: false } });
      await until(`${node}'s replay`, () => replay.events.some(e => e.event === 'new.message' && JSON.stringify(e.data).includes(after)));
      expect(replay.events.map(e => e.seq)).toEqual(Array.from({ length: replay.events.length }, (_, i) => i + 1));
      expect(sent.map(m => arrivals(m, replay.events))).toEqual(sent.map(() => 1));
      // The old holder's close by WhatsApp (440) was refused by the store, not reported as the instance's own.
      const states = replay.events.filter(e => e.event === 'connection.update').map(e => e.data as { state: string; statusReason: number });
      expect(states.filter(s => s.state === 'refused' || s.statusReason === 440)).toEqual([]);
    }
  }, 180_000);
});
